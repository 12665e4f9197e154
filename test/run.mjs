// Test runner: compiles the uvu suites under test/ with esbuild, runs them with uvu and closes with the line
// "N passed, N failed, N skipped" (uvu's own summary has no failed count). Exit 1 on any failure.
//   node test/run.mjs [filter]   filter = a regular expression on the test file path
// Legs: every suite runs once against the node bundle; the smoke suites (test/smoke/) run again against the single
// executable and under Deno when those are there (AFLOCK_SERVER_CMD tells test/helpers/rpc.ts what to spawn).
// A leg that cannot run is skipped with a visible line and counts one skipped test.
//   AFLOCK_LEGS=node,sea,deno   which legs to run (default: all three)
import { build } from 'esbuild';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';

const filter = process.argv[2] ? new RegExp(process.argv[2]) : null;

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (name.endsWith('.test.ts') && (!filter || filter.test(p))) out.push(p);
  }
  return out.sort();
}

const entries = findTests('test');
// A directory per run, so runs started side by side (several people, one work tree) never wipe each other's build.
const OUT = `build-test-${process.pid}`;
rmSync(OUT, { recursive: true, force: true });
process.on('exit', () => rmSync(OUT, { recursive: true, force: true }));
await build({
  entryPoints: entries,
  outdir: OUT,
  outbase: 'test',
  bundle: true,
  packages: 'external',
  platform: 'node',
  target: 'node20',
  format: 'esm',
  outExtension: { '.js': '.mjs' },
  sourcemap: 'inline',
  logLevel: 'warning',
  define: { AFLOCK_VERSION: '"test"' },
});

// Every temp directory the suites make carries this tag in its name (test/helpers/rpc.ts tempDir); after each leg,
// one still there is a test that did not clean up, and counts as a failure.
const RUN_TAG = `run${process.pid}x`;
function leftovers() {
  return readdirSync(tmpdir()).filter((name) => name.includes(RUN_TAG));
}

/** Runs uvu on build-test files matching `pattern`; returns its counts. */
async function runUvu(label, pattern, env) {
  console.log(`\n== leg ${label}`);
  const base = { ...process.env };
  delete base.NODE_OPTIONS; // the server refuses code-loading NODE_OPTIONS; the suites that test this set it themselves
  // Plain output for the summary parser. uvu sets FORCE_COLOR=1 unless told --no-color, and Node then warns in every
  // process that also sees NO_COLOR, so: --no-color, NO_COLOR, and no FORCE_COLOR.
  delete base.FORCE_COLOR;
  const child = spawn(process.execPath, ['node_modules/uvu/bin.js', '--no-color', OUT, pattern], {
    env: { ...base, NO_COLOR: '1', AFLOCK_TEST_RUN_TAG: RUN_TAG, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d) => { out += d; process.stdout.write(d); });
  const code = await new Promise((resolve) => child.on('close', resolve));
  const num = (name) => { const m = out.match(new RegExp(`^\\s*${name}:\\s+(\\d+)`, 'm')); return m ? Number(m[1]) : null; };
  const total = num('Total'), passed = num('Passed'), skipped = num('Skipped') ?? 0;
  if (total === null || passed === null) {
    console.log(`leg ${label}: uvu printed no summary (a suite failed to load or a hook threw)`);
    return { passed: passed ?? 0, failed: 1, skipped };
  }
  let failed = total - passed;
  if (code !== 0 && failed === 0) failed = 1;
  const left = leftovers();
  if (left.length > 0) {
    console.log(`leg ${label}: ${left.length} temporary directories left behind in ${tmpdir()} (${left.slice(0, 5).join(', ')}${left.length > 5 ? ', ...' : ''}); removing them`);
    for (const name of left) rmSync(join(tmpdir(), name), { recursive: true, force: true });
    failed += 1;
  }
  return { passed, failed, skipped };
}

/** The deno binary: the one npm installed, else one on PATH. */
function findDeno() {
  const local = resolve('node_modules/.bin/deno');
  if (existsSync(local)) return local;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const p = join(dir, 'deno');
    if (dir && existsSync(p)) return p;
  }
  return null;
}

/** The permissions the README gives for a fully working server under Deno, HTTP mode included. */
const DENO_FLAGS = ['--no-prompt', '--allow-env', '--allow-read', '--allow-write', '--allow-run=bash,bwrap', '--allow-sys', '--allow-net'];

const legs = (process.env.AFLOCK_LEGS ?? 'node,sea,deno').split(',').map((s) => s.trim()).filter(Boolean);
const hasSmoke = entries.some((e) => /[\\/]smoke[\\/]/.test(e));
const totals = { passed: 0, failed: 0, skipped: 0 };
const add = (r) => { totals.passed += r.passed; totals.failed += r.failed; totals.skipped += r.skipped; };
const skipLeg = (name, why) => { console.log(`\n== leg ${name}: SKIPPED, ${why}`); totals.skipped += 1; };

if (legs.includes('node')) add(await runUvu('node (node dist/aflock-mcp.cjs; every suite)', '\\.test\\.mjs$', {}));
if (hasSmoke) {
  const smoke = '^smoke[\\\\/].*\\.test\\.mjs$';
  if (legs.includes('sea')) {
    const exe = resolve('dist/aflock-mcp');
    if (!existsSync(exe)) skipLeg('sea', 'dist/aflock-mcp is not built (npm run build builds it; AFLOCK_NO_SEA=1 skips it)');
    else add(await runUvu('sea (dist/aflock-mcp; smoke suites)', smoke, { AFLOCK_SERVER_CMD: JSON.stringify([exe]), AFLOCK_TEST_LEG: 'sea' }));
  }
  if (legs.includes('deno')) {
    const deno = findDeno();
    const mjs = resolve('dist/aflock-mcp.mjs');
    if (!deno) skipLeg('deno', 'no deno binary (npm ci installs one in node_modules/.bin)');
    else if (spawnSync(deno, ['--version'], { stdio: 'ignore' }).status !== 0) skipLeg('deno', `${deno} does not run here`);
    else if (!existsSync(mjs)) skipLeg('deno', 'dist/aflock-mcp.mjs is not built');
    else add(await runUvu('deno (deno run dist/aflock-mcp.mjs; smoke suites)', smoke, { AFLOCK_SERVER_CMD: JSON.stringify([deno, 'run', ...DENO_FLAGS, mjs]), AFLOCK_TEST_LEG: 'deno' }));
  }
}

console.log(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(totals.failed > 0 ? 1 : 0);
