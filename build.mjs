// Builds aflock-mcp.
//   dist/aflock-mcp.cjs  CommonJS bundle for Node >= 20 (the executable is built from the same code)
//   dist/aflock-mcp.mjs  ESM bundle (Deno)
//   dist/aflock-mcp      single Linux executable: Node 20's own single-executable support, works offline, started
//                        from a V8 startup snapshot (src/main-snapshot.ts; AFLOCK_NO_SNAPSHOT=1: code cache instead)
//
//   node build.mjs                 all three (the executable takes about 4 s more)
//   node build.mjs --no-sea        the bundles only (also: AFLOCK_NO_SEA=1)
//   node build.mjs --release       all three, then dist/release/: executable, .sha256 files, tarball
//   node build.mjs --release-only  only package the dist/aflock-mcp already built (--release-dir DIR: elsewhere)
//   node build.mjs --pkg TARGETS   bundles, then @yao-pkg/pkg for other platforms (e.g. node20-macos-arm64,node20-win-x64)
//                                  into dist/pkg/. pkg downloads its base binaries: needs internet. Not tested offline.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSea as buildSeaExecutable, SeaBuildError } from './scripts/sea.mjs';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
const args = process.argv.slice(2);
const release = args.includes('--release');
const releaseOnly = args.includes('--release-only');
const optionValue = (name) => {
  const at = args.indexOf(name);
  if (at < 0) return null;
  const v = args[at + 1];
  if (!v || v.startsWith('-')) fail(`${name} needs a value`);
  return v;
};
const pkgTargets = optionValue('--pkg');
const releaseDir = optionValue('--release-dir') ?? 'dist/release';
for (const a of args) if (!['--release', '--release-only', '--no-sea', '--pkg', pkgTargets, '--release-dir', releaseDir].includes(a)) fail(`unknown option ${a}`);
if (releaseOnly) {
  if (!existsSync('dist/aflock-mcp')) fail('--release-only packages dist/aflock-mcp, which is not built (npm run build)');
  writeRelease();
  process.exit(0);
}
const noSea = (args.includes('--no-sea') || process.env.AFLOCK_NO_SEA === '1') && !release;

/** Must match SEA_HARDENING_ASSET in src/runtime.ts. */
const HARDENING_ASSET = 'aflock-hardening.json';
/** Must match SHELL_WARMUP_UNSAFE in src/snapshot/prepare.ts. */
const SHELL_WARMUP_UNSAFE = 'AFLOCK_SNAPSHOT_SHELL_WARMUP_UNSAFE';

function fail(message) {
  console.error(`build: ${message}`);
  process.exit(1);
}

function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { encoding: 'utf8', ...opts });
  if (r.error) fail(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) fail(`${cmd} ${argv.join(' ')} exited ${r.status}:\n${r.stderr}${r.stdout}`);
  return r;
}

const t0 = performance.now();
mkdirSync('dist', { recursive: true });

const common = {
  entryPoints: ['src/main.ts'],
  bundle: true,
  platform: 'node',
  target: 'node20',
  legalComments: 'none',
  logLevel: 'warning',
  define: { AFLOCK_VERSION: JSON.stringify(pkg.version) },
};

await Promise.all([
  build({ ...common, format: 'cjs', outfile: 'dist/aflock-mcp.cjs', banner: { js: '#!/usr/bin/env node' } }),
  build({
    ...common,
    format: 'esm',
    outfile: 'dist/aflock-mcp.mjs',
    // Some bundled CommonJS dependencies call require(); give the ESM bundle a real one.
    banner: { js: "import { createRequire as __aflockCreateRequire } from 'node:module'; const require = __aflockCreateRequire(import.meta.url);" },
  }),
]);
chmodSync('dist/aflock-mcp.cjs', 0o755);
console.error(`built dist/aflock-mcp.cjs and dist/aflock-mcp.mjs (${ms(t0)})`);

// dist/aflock-hook.cjs: Claude Code's command hook (src/hooks/entry.ts). Small on purpose: it only talks to the live
// server's socket, so it must not pull in the SDK, zod or the shell parser (checked below).
{
  const r = await build({ ...common, entryPoints: ['src/hooks/entry.ts'], format: 'cjs', outfile: 'dist/aflock-hook.cjs', banner: { js: '#!/usr/bin/env node' }, metafile: true });
  const heavy = Object.keys(r.metafile.inputs).filter((f) => /node_modules|src\/policy\/|src\/tools\//.test(f));
  if (heavy.length) fail(`dist/aflock-hook.cjs must stay small, but it bundles ${heavy.slice(0, 3).join(', ')}`);
  chmodSync('dist/aflock-hook.cjs', 0o755);
}

if (pkgTargets) buildWithPkg(pkgTargets);
if (!noSea && !pkgTargets) {
  await buildSea();
  if (release) writeRelease();
}

function ms(since) {
  return `${Math.round(performance.now() - since)} ms`;
}

/**
 * Node's single executable, offline (scripts/sea.mjs, shared with the benchmark's floor): blob from a CommonJS bundle
 * -> copy of this node, stripped -> NODE_OPTIONS switched off -> blob injected with postject -> checked -> moved into
 * place. The blob is a V8 startup snapshot of src/main-snapshot.ts: every module loaded and zod/SDK first-use work done
 * at build time, everything per process done at run time (BENCHMARKS.md, "Startup snapshot"; the build fails if a
 * module reaches for per-process state while the snapshot is made). AFLOCK_NO_SNAPSHOT=1 builds the previous form:
 * src/main.ts with a V8 code cache.
 */
async function buildSea() {
  const t = performance.now();
  const snapshot = process.env.AFLOCK_NO_SNAPSHOT !== '1';
  // The same code as dist/aflock-mcp.cjs, from the snapshot entry when there is a snapshot.
  const work = mkdtempSync(join(tmpdir(), 'aflock-sea-main-'));
  const main = join(work, 'aflock-mcp.cjs');
  const bundle = (warmShell) =>
    build({
      ...common,
      entryPoints: [snapshot ? 'src/main-snapshot.ts' : 'src/main.ts'],
      define: { ...common.define, AFLOCK_SNAPSHOT_WARM_SHELL: String(warmShell) },
      format: 'cjs',
      outfile: main,
      // The snapshot keeps the whole script's source for V8's lazy compilation: without spaces and comments the
      // executable is ~6.5 MB smaller (101.8 -> 95.4 MB) and restores a little faster. Names are kept (readable
      // stack traces); the bundles node and Deno run stay as they were.
      ...(snapshot ? { minifyWhitespace: true, minifySyntax: true } : {}),
    });
  const options = {
    main,
    output: 'dist/aflock-mcp',
    snapshot,
    assets: { [HARDENING_ASSET]: JSON.stringify({ nodeOptions: 'ignored' }) },
    check: checkExecutable,
    log: (m) => console.error(`build: ${m}`),
  };
  try {
    await bundle(true);
    try {
      await buildSeaExecutable(options);
    } catch (e) {
      // The shell parser read per-process state while it loaded (src/snapshot/warmup.ts): it stays out of the
      // snapshot and loads on the first Bash analysis instead.
      if (!(e instanceof SeaBuildError) || !e.message.includes(SHELL_WARMUP_UNSAFE)) throw e;
      console.error('build: the shell parser reads per-process state when it loads: it is left out of the snapshot and loads at run time');
      await bundle(false);
      await buildSeaExecutable(options);
    }
  } catch (e) {
    if (e instanceof SeaBuildError) fail(e.message);
    throw e;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  console.error(`built dist/aflock-mcp (${(statSync('dist/aflock-mcp').size / 1e6).toFixed(1)} MB, ${snapshot ? 'startup snapshot' : 'code cache'}, ${ms(t)})`);
}

/** The built executable must print our version, and must not run a NODE_OPTIONS preload. */
function checkExecutable(exe, work) {
  const probe = join(work, 'preload-probe.cjs');
  const witness = join(work, 'preload-ran');
  writeFileSync(probe, `require('fs').writeFileSync(${JSON.stringify(witness)}, 'ran');`);
  const r = run(exe, ['--version'], { env: { ...cleanEnv(), NODE_OPTIONS: `--require ${probe}` } });
  if (r.stdout.trim() !== pkg.version) fail(`the executable printed ${JSON.stringify(r.stdout.trim())} for --version, expected ${pkg.version}`);
  if (existsSync(witness)) fail('the executable ran a NODE_OPTIONS preload: the NODE_OPTIONS patch did not take');
}

function cleanEnv() {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  return env;
}

function sha256(file) {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** dist/release/: aflock-mcp-<os>-<arch>, its .sha256, and a tarball with the executable, README and schema. */
function writeRelease() {
  const t = performance.now();
  const os = process.platform;
  const arch = process.arch;
  const name = `aflock-mcp-${os}-${arch}`;
  const dir = releaseDir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  copyFileSync('dist/aflock-mcp', join(dir, name));
  chmodSync(join(dir, name), 0o755);
  writeFileSync(join(dir, `${name}.sha256`), `${sha256(join(dir, name))}  ${name}\n`);

  const stage = mkdtempSync(join(tmpdir(), 'aflock-release-'));
  try {
    const top = `aflock-mcp-${pkg.version}-${os}-${arch}`;
    mkdirSync(join(stage, top));
    copyFileSync('dist/aflock-mcp', join(stage, top, 'aflock-mcp'));
    chmodSync(join(stage, top, 'aflock-mcp'), 0o755);
    copyFileSync('README.md', join(stage, top, 'README.md'));
    copyFileSync('schema/aflock.schema.json', join(stage, top, 'aflock.schema.json'));
    const tarball = `${top}.tar.gz`;
    // Reproducible: fixed order, owner and time; gzip without a timestamp.
    run('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '-C', stage, '-cf', join(stage, `${top}.tar`), top]);
    run('gzip', ['-n', '-6', join(stage, `${top}.tar`)]);
    copyFileSync(join(stage, tarball), join(dir, tarball));
    writeFileSync(join(dir, `${tarball}.sha256`), `${sha256(join(dir, tarball))}  ${tarball}\n`);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
  console.error(`built ${dir}/: ${name}, ${name}.sha256, aflock-mcp-${pkg.version}-${os}-${arch}.tar.gz and its .sha256 (${ms(t)})`);
}

/**
 * Cross-platform executables with @yao-pkg/pkg, for a release machine with internet: pkg fetches its base Node
 * binaries at build time, which this project's offline build machines cannot. Not a dependency on purpose.
 * These binaries honour NODE_OPTIONS before our code runs; the server then refuses to start (see src/runtime.ts).
 */
function buildWithPkg(targets) {
  const t = performance.now();
  mkdirSync('dist/pkg', { recursive: true });
  const r = spawnSync('npx', ['--yes', '@yao-pkg/pkg', 'dist/aflock-mcp.cjs', '--targets', targets, '--out-path', 'dist/pkg'], { stdio: 'inherit', env: cleanEnv() });
  if (r.status !== 0) fail(`pkg failed (exit ${r.status}); it needs internet access to fetch base binaries`);
  console.error(`built dist/pkg/ for ${targets} with @yao-pkg/pkg (${ms(t)})`);
}
