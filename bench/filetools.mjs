// What race-free file access (src/fs/confined.ts, src/fs/hardlinks.ts) adds to one read_file and one write_file,
// in-process, against what the tools did before (realpath, stat, readFileSync; stat, temp file, rename by path).
// Interleaved rounds on real files in a temporary directory; median and p99 per operation, in microseconds.
// The hard-link walk is timed over this repository's own tree (node_modules included) as a stand-in for a project.
// With --against OLD_BUNDLE (a dist/aflock-mcp.cjs built from the commit before), also the read_file round trip
// through both servers, interleaved, with the same policy and file.
//   node bench/filetools.mjs [--rounds N] [--against OLD_BUNDLE]
// Benchmarks, not tests: nothing here fails on a number.
import { build } from 'esbuild';
import { closeSync, constants, fsyncSync, linkSync, mkdtempSync, openSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { summarize } from './lib/stats.mjs';
import { StdioClient } from './lib/rpc.mjs';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const at = process.argv.indexOf('--rounds');
const ROUNDS = at > 0 ? Number(process.argv[at + 1]) : 4000;
const ag = process.argv.indexOf('--against');
const AGAINST = ag > 0 ? resolve(process.argv[ag + 1]) : null;

const work = realpathSync(mkdtempSync(join(tmpdir(), 'aflock-bench-files-')));
try {
  const out = join(work, 'confined.mjs');
  await build({
    stdin: { contents: "export * from './src/fs/confined.ts'; export * from './src/fs/hardlinks.ts'; export { compilePathRule } from './src/policy/paths.ts';", resolveDir: REPO, loader: 'ts' },
    bundle: true, platform: 'node', target: 'node20', format: 'esm', outfile: out, logLevel: 'warning',
  });
  const m = await import(pathToFileURL(out).href);
  const rules = ['**/.env', '**/*.pem', 'secrets/**'].map(m.compilePathRule);

  const root = join(work, 'project');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(join(root, 'src'), { recursive: true });
  const file = join(root, 'src/app.ts');
  writeFileSync(file, 'x'.repeat(4096));
  const store = join(work, 'store-file');
  writeFileSync(store, 'y'.repeat(4096));
  const linked = join(root, 'src/linked.js');
  linkSync(store, linked);
  const content = Buffer.from('z'.repeat(4096));

  const ops = {
    'read before: realpath + stat + readFileSync': () => {
      realpathSync(file);
      statSync(file);
      readFileSync(file);
    },
    'read after: physicalPath + pinned open + verify + read': () => {
      const real = m.physicalPath(file);
      const f = m.openForRead(real, 'app.ts', (st) => m.hardLinkRefusal(st, 'app.ts', rules, root));
      f.read(8 << 20);
      f.close();
    },
    'read after, a pnpm-style hard link (walk cached)': () => {
      const real = m.physicalPath(linked);
      const f = m.openForRead(real, 'linked.js', (st) => m.hardLinkRefusal(st, 'linked.js', rules, root));
      f.read(8 << 20);
      f.close();
    },
    'write before: stat + temp + fsync + rename by path': () => {
      let mode = 0o600;
      try { mode = statSync(file).mode & 0o7777; } catch { /* new */ }
      const tmp = join(root, 'src', `.app.ts.aflock-${randomBytes(6).toString('hex')}.tmp`);
      const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
      writeSync(fd, content);
      fsyncSync(fd);
      closeSync(fd);
      renameSync(tmp, file);
    },
    'write after: physicalPath + pinned temp + verify + fsync + rename': () => {
      m.writeReplacing(m.physicalPath(file), content, 'app.ts', (st) => m.hardLinkRefusal(st, 'app.ts', rules, root));
    },
  };
  const samples = Object.fromEntries(Object.keys(ops).map((k) => [k, []]));
  const names = Object.keys(ops);
  for (const n of names) for (let i = 0; i < 50; i++) ops[n](); // warm up
  for (let r = 0; r < ROUNDS; r++) {
    for (const n of names) {
      if (n.startsWith('write') && r % 8 !== 0) continue; // fsync: fewer rounds
      const t0 = process.hrtime.bigint();
      ops[n]();
      samples[n].push(Number(process.hrtime.bigint() - t0) / 1000);
    }
  }
  console.log(`verification: ${m.verificationMode()}; ${ROUNDS} rounds (writes ${Math.ceil(ROUNDS / 8)}); µs`);
  console.log('| operation | median µs | p99 µs |\n|:--|--:|--:|');
  for (const n of names) {
    const s = summarize(samples[n]);
    console.log(`| ${n} | ${s.median.toFixed(1)} | ${s.p99.toFixed(1)} |`);
  }
  // The walk a hard-linked file costs once a second: over this repository (node_modules included).
  const walks = [];
  let entries = 0;
  for (let i = 0; i < 20; i++) {
    const t0 = process.hrtime.bigint();
    const set = m.findProtected(rules, REPO);
    walks.push(Number(process.hrtime.bigint() - t0) / 1e6);
    entries = set.inodes.size;
  }
  const w = summarize(walks);
  console.log(`| hard-link walk of ${REPO} (uncached; ${entries} protected files found) | ${(w.median * 1000).toFixed(0)} | ${(w.p99 * 1000).toFixed(0)} |`);
  if (AGAINST) {
    // Round trips: read_file of a 4 KiB file through the old and the new server, interleaved.
    writeFileSync(join(root, '.aflock'), JSON.stringify({ files: { deny: ['**/.env', '**/*.pem', 'secrets/**'], readOnly: ['.git/**'] } }));
    const env = { ...process.env, AFLOCK_HOME: join(work, 'home') };
    delete env.NODE_OPTIONS;
    const servers = { before: new StdioClient(process.execPath, [AGAINST], { env, cwd: root }), after: new StdioClient(process.execPath, [join(REPO, 'dist/aflock-mcp.cjs')], { env, cwd: root }) };
    const rt = { before: [], after: [] };
    try {
      for (const c of Object.values(servers)) await c.initialize();
      for (let i = 0; i < 200; i++) for (const c of Object.values(servers)) await c.call('read_file', { path: 'src/app.ts' });
      const n = Math.min(ROUNDS, 3000);
      for (let i = 0; i < n; i++) {
        for (const k of i % 2 ? ['before', 'after'] : ['after', 'before']) rt[k].push((await servers[k].call('read_file', { path: 'src/app.ts' })).ms * 1000);
      }
    } finally {
      for (const c of Object.values(servers)) await c.close();
    }
    for (const k of ['before', 'after']) {
      const s = summarize(rt[k]);
      console.log(`| read_file 4 KiB round trip, ${k} (${s.n} calls) | ${s.median.toFixed(0)} | ${s.p99.toFixed(0)} |`);
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
