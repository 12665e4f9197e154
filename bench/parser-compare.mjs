// One run, interleaved: the mvdan-sh analyser (src/policy/shell.ts of a checkout that still has it, default
// /work/main) against the unbash one (src/policy/shell/), on a never-seen command (each corpus command analysed
// fresh), on a 100 KB command, and the cost of loading each (start-up, RSS).
//   node bench/parser-compare.mjs [OLD_CHECKOUT]
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCorpus } from './inprocess.mjs';
import { REPO } from './lib/setup.mjs';

const OLD = process.argv[2] ?? '/work/main';
const work = mkdtempSync(join(tmpdir(), 'aflock-parsers-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
async function bundle(entry, name, nodePaths) {
  const outfile = join(work, name);
  await build({ entryPoints: [entry], bundle: true, platform: 'node', target: 'node20', format: 'cjs', outfile, logLevel: 'error', nodePaths });
  return outfile;
}
const files = {
  'mvdan-sh': await bundle(join(OLD, 'src/policy/shell.ts'), 'old.cjs', [join(OLD, 'node_modules')]),
  unbash: await bundle(join(REPO, 'src/policy/shell/index.ts'), 'new.cjs', [join(REPO, 'node_modules')]),
};
const corpus = readCorpus().map((e) => e.command);
const big = Array.from({ length: 3200 }, (_, i) => `echo hello${i} "world" $x > out${i}.txt; `).join('');
const child = (file) => `
const t0 = performance.now();
const { analyzeShell } = require(${JSON.stringify(file)});
analyzeShell('true');
const load = performance.now() - t0;
const corpus = ${JSON.stringify(corpus)};
const per = [];
for (let r = 0; r < 5; r++) { const t = performance.now(); for (const c of corpus) analyzeShell(c); per.push((performance.now() - t) / corpus.length * 1000); }
per.sort((a, b) => a - b);
const bigT = []; for (let r = 0; r < 3; r++) { const t = performance.now(); analyzeShell(${JSON.stringify(big)}); bigT.push(performance.now() - t); }
bigT.sort((a, b) => a - b);
global.gc?.();
console.log(JSON.stringify({ load, perCommandUs: per[2], bigMs: bigT[1], rssMiB: process.memoryUsage().rss / 2 ** 20 }));`;
const runs = { 'mvdan-sh': [], unbash: [] };
for (let i = 0; i < 5; i++) {
  for (const [k, f] of Object.entries(files)) {
    const script = join(work, `child-${k}.cjs`);
    writeFileSync(script, child(f));
    const r = spawnSync(process.execPath, ['--expose-gc', script], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr ?? String(r.error));
    runs[k].push(JSON.parse(r.stdout));
  }
}
const med = (xs, k) => xs.map((x) => x[k]).sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`corpus: ${corpus.length} commands, each analysed fresh (never seen); big: ${big.length} bytes`);
console.log('| analyser | load + first analysis | per never-seen command | 100 KB command | RSS after | bundled size |');
console.log('|:--|--:|--:|--:|--:|--:|');
for (const [k, xs] of Object.entries(runs)) {
  console.log(`| ${k} | ${med(xs, 'load').toFixed(1)} ms | ${med(xs, 'perCommandUs').toFixed(1)} µs | ${med(xs, 'bigMs').toFixed(1)} ms | ${med(xs, 'rssMiB').toFixed(1)} MiB | ${(statSync(files[k]).size / 1024).toFixed(0)} KiB |`);
}
