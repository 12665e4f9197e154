// Builds a Node single executable (SEA) from a CommonJS bundle, offline. Shared by build.mjs (dist/aflock-mcp) and
// bench/run.mjs (the floor's executable), so both are built exactly the same way:
//   blob from the bundle with V8 code cache -> copy of this node, stripped -> NODE_OPTIONS switched off ->
//   blob injected with postject -> caller's check -> moved into place.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const require = createRequire(import.meta.url);

/** The Node fuse postject flips so the binary runs the injected blob instead of acting as `node`. */
export const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

export class SeaBuildError extends Error {}

export function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { encoding: 'utf8', ...opts });
  if (r.error) throw new SeaBuildError(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new SeaBuildError(`${cmd} ${argv.join(' ')} exited ${r.status}:\n${r.stderr}${r.stdout}`);
  return r;
}

function hasCommand(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

/** process.env without NODE_OPTIONS. */
export function cleanEnv() {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  return env;
}

/**
 * main: the CommonJS bundle; output: where the executable goes; assets: {name: contents} embedded in the blob;
 * check(exe, workDir): called on the finished executable before it is moved into place (throw to refuse it).
 * Returns nothing; throws SeaBuildError on failure.
 */
export async function buildSea({ main, output, assets = {}, snapshot = false, check, log = (m) => console.error(m) }) {
  if (process.platform !== 'linux') log(`note: the single executable is built for ${process.platform}-${process.arch}; only Linux x64 is tested`);
  const work = mkdtempSync(join(tmpdir(), 'aflock-sea-'));
  try {
    const blob = join(work, 'sea-prep.blob');
    const assetFiles = {};
    for (const [name, contents] of Object.entries(assets)) {
      const file = join(work, name);
      writeFileSync(file, contents);
      assetFiles[name] = file;
    }
    const config = join(work, 'sea-config.json');
    // A startup snapshot replaces the code cache (Node ignores useCodeCache with useSnapshot): `main` then runs at
    // build time and must hand its run-time start to v8.startupSnapshot.setDeserializeMainFunction.
    const seaConfig = snapshot ? { useSnapshot: true } : { useCodeCache: true };
    writeFileSync(config, JSON.stringify({ main: resolve(main), output: blob, ...seaConfig, disableExperimentalSEAWarning: true, assets: assetFiles }));
    // The blob must come from the same node binary that is copied below.
    const made = run(process.execPath, ['--experimental-sea-config', config], { env: cleanEnv() });
    if (snapshot) checkSnapshotWarnings(made.stderr, log);

    const exe = join(work, 'sea-executable');
    copyFileSync(process.execPath, exe);
    chmodSync(exe, 0o755);
    if (hasCommand('strip')) run('strip', ['--strip-all', exe]);
    else log('note: strip is not installed, the executable keeps its symbols (about 12 MB larger)');

    disableNodeOptions(exe);

    const { inject } = require('postject');
    const warn = console.warn; // postject warns "Can't find string offset for section name '.note'": harmless
    console.warn = () => {};
    const out = console.log; // ... and prints "Injection done!" on stdout
    console.log = () => {};
    try {
      await inject(exe, 'NODE_SEA_BLOB', readFileSync(blob), { sentinelFuse: SEA_FUSE });
    } finally {
      console.warn = warn;
      console.log = out;
    }
    if (check) check(exe, work);
    renameOrCopy(exe, output);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Built-in modules Node does not yet vouch for in a startup snapshot ("It's not yet fully verified whether built-in
 * module X works in user snapshot builder scripts"), that we have reviewed for this project: both are loaded at build
 * time only as module objects; nothing of theirs that holds process state (a child, a handle, a resolved path) is
 * made before the snapshot is restored. child_process: spawn is called per bash command, at run time. module:
 * createRequire is called by the shell parser's loader, on first use. Any other unverified module fails the build,
 * so a new dependency that loads one at build time gets a look first.
 */
export const SNAPSHOT_REVIEWED_BUILTINS = new Set(['node:child_process', 'node:module']);

function checkSnapshotWarnings(stderr, log) {
  const unverified = [...stderr.matchAll(/built-in module "([^"]+)" works in user snapshot/g)].map((m) => m[1]);
  const unreviewed = [...new Set(unverified)].filter((m) => !SNAPSHOT_REVIEWED_BUILTINS.has(m));
  if (unreviewed.length > 0) throw new SeaBuildError(`the startup snapshot loads built-in module(s) Node does not vouch for in a snapshot and nobody reviewed here: ${unreviewed.join(', ')} (see SNAPSHOT_REVIEWED_BUILTINS in scripts/sea.mjs)`);
  for (const line of stderr.split('\n')) {
    if (/Warning:/.test(line) && !/built-in module|ExperimentalWarning/.test(line)) log(`snapshot: ${line.trim()}`);
  }
}

/**
 * A single executable honours NODE_OPTIONS (--require, --import, --inspect ...) before its own code runs, and Node 20
 * has no switch to stop it. Node looks the variable up through one C string, "NODE_OPTIONS", in .rodata; blanking
 * its first byte makes that lookup ask for "", which getenv never finds. Only that string is changed: the other
 * "NODE_OPTIONS" bytes in the binary are JavaScript source and V8 snapshot data (length-prefixed), which we leave
 * alone. build.mjs's check then proves the effect by running the result with a preload that must not run.
 */
export function disableNodeOptions(exe) {
  const data = readFileSync(exe);
  const needle = Buffer.from('\0NODE_OPTIONS\0', 'latin1');
  const hits = [];
  for (let i = data.indexOf(needle); i >= 0; i = data.indexOf(needle, i + 1)) {
    const lengthPrefixed = i >= 3 && data.readUInt32LE(i - 3) === 12; // a V8 string: 4-byte length, then the bytes
    const prevIsText = i > 0 && data[i - 1] >= 0x20 && data[i - 1] < 0x7f; // a C string table: text NUL text NUL
    if (!lengthPrefixed && prevIsText) hits.push(i + 1);
  }
  if (hits.length !== 1) throw new SeaBuildError(`expected one "NODE_OPTIONS" C string in ${process.execPath}, found ${hits.length}; this Node needs a look before its binary is patched`);
  data[hits[0]] = 0;
  writeFileSync(exe, data);
}

export function renameOrCopy(from, to) {
  rmSync(to, { force: true });
  try {
    renameSync(from, to);
  } catch {
    copyFileSync(from, to);
    chmodSync(to, 0o755);
  }
}
