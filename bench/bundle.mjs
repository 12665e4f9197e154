// Bundle composition: which packages make the 4+ MB bundle (esbuild metafile, the options of build.mjs).
//   node bench/bundle.mjs [--json]
import { build } from 'esbuild';

const r = await build({
  entryPoints: ['src/main.ts'],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  legalComments: 'none',
  write: false,
  outfile: 'bundle.cjs',
  metafile: true,
  logLevel: 'warning',
  define: { AFLOCK_VERSION: '"bench"' },
});
const out = Object.values(r.metafile.outputs)[0];
const byPackage = {};
for (const [file, v] of Object.entries(out.inputs)) {
  const m = file.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  const key = m ? m[1] : file.startsWith('src/') ? '(aflock src/)' : file;
  byPackage[key] = (byPackage[key] ?? 0) + v.bytesInOutput;
}
const rows = Object.entries(byPackage).sort((a, b) => b[1] - a[1]);
if (process.argv.includes('--json')) {
  process.stdout.write(JSON.stringify({ total: out.bytes, byPackage: Object.fromEntries(rows) }, null, 2) + '\n');
} else {
  process.stdout.write(`total ${(out.bytes / 1024).toFixed(0)} KiB\n`);
  for (const [k, v] of rows) if (v >= 1024) process.stdout.write(`${(v / 1024).toFixed(0).padStart(6)} KiB  ${(100 * v / out.bytes).toFixed(1).padStart(5)}%  ${k}\n`);
}
