// Test runner: compiles the uvu suites under test/ with esbuild, runs them with uvu and closes with the line
// "N passed, N failed, N skipped" (uvu's own summary has no failed count). Exit 1 on any failure.
//   node test/run.mjs [filter]   filter = a regular expression on the test file path
import { build } from 'esbuild';
import { spawn } from 'node:child_process';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

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
rmSync('build-test', { recursive: true, force: true });
await build({
  entryPoints: entries,
  outdir: 'build-test',
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

const child = spawn(process.execPath, ['node_modules/uvu/bin.js', 'build-test', '\\.test\\.mjs$'], {
  env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
let out = '';
child.stdout.on('data', (d) => { out += d; process.stdout.write(d); });
const code = await new Promise((resolve) => child.on('close', resolve));

const num = (label) => { const m = out.match(new RegExp(`^\\s*${label}:\\s+(\\d+)`, 'm')); return m ? Number(m[1]) : null; };
const total = num('Total'), passed = num('Passed'), skipped = num('Skipped') ?? 0;
let failed;
if (total === null || passed === null) {
  console.log('uvu printed no summary (a suite failed to load or a hook threw)');
  failed = Math.max(1, code === 0 ? 0 : 1);
  console.log(`${passed ?? 0} passed, ${failed} failed, ${skipped} skipped`);
  process.exit(1);
}
failed = total - passed;
if (code !== 0 && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || code !== 0 ? 1 : 0);
