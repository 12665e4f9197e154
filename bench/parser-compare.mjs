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
// The evaluator of each checkout, for a whole decision (bench/policy.aflock, the file system as the server sees it).
const evaluators = {
  'mvdan-sh': await bundleEval(OLD, 'old-eval.cjs'),
  unbash: await bundleEval(REPO, 'new-eval.cjs'),
};
async function bundleEval(root, name) {
  const entry = join(work, `${name}.ts`);
  writeFileSync(entry, `export { evaluateCall, clearAnalysisCache } from ${JSON.stringify(join(root, 'src/policy/evaluate.ts'))};
export { compilePolicy } from ${JSON.stringify(join(root, 'src/policy/compile.ts'))};`);
  return bundle(entry, name, [join(root, 'node_modules')]);
}
const corpus = readCorpus().map((e) => e.command);
const big = Array.from({ length: 3200 }, (_, i) => `echo hello${i} "world" $x > out${i}.txt; `).join('');
const child = (file, evalFile) => `
const ev = require(${JSON.stringify(evalFile)});
const fs = require('node:fs');
const policy = ev.compilePolicy(JSON.parse(fs.readFileSync(${JSON.stringify(join(REPO, 'bench/policy.aflock'))}, 'utf8')));
const ctx = { root: process.cwd(), cwd: process.cwd(), realpath: (p) => { try { return fs.realpathSync(p); } catch { return null; } } };
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
const dec = [];
for (let r = 0; r < 5; r++) { const t = performance.now(); for (const c of corpus) { ev.clearAnalysisCache(); ev.evaluateCall(policy, { tool: 'Bash', input: { command: c } }, ctx); } dec.push((performance.now() - t) / corpus.length * 1000); }
dec.sort((a, b) => a - b);
const bigD = []; for (let r = 0; r < 3; r++) { ev.clearAnalysisCache(); const t = performance.now(); ev.evaluateCall(policy, { tool: 'Bash', input: { command: ${JSON.stringify(big)} } }, ctx); bigD.push(performance.now() - t); }
bigD.sort((a, b) => a - b);
global.gc?.();
console.log(JSON.stringify({ load, perCommandUs: per[2], bigMs: bigT[1], decisionUs: dec[2], bigDecisionMs: bigD[1], rssMiB: process.memoryUsage().rss / 2 ** 20 }));`;
const runs = { 'mvdan-sh': [], unbash: [] };
for (let i = 0; i < 5; i++) {
  for (const [k, f] of Object.entries(files)) {
    const script = join(work, `child-${k}.cjs`);
    writeFileSync(script, child(f, evaluators[k]));
    const r = spawnSync(process.execPath, ['--expose-gc', script], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr ?? String(r.error));
    runs[k].push(JSON.parse(r.stdout));
  }
}
const med = (xs, k) => xs.map((x) => x[k]).sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`corpus: ${corpus.length} commands, each analysed fresh (never seen); big: ${big.length} bytes`);
console.log('| analyser | load + first analysis | analysis, never-seen command | analysis, 100 KB | decision, never-seen command | decision, 100 KB | RSS after | bundled size |');
console.log('|:--|--:|--:|--:|--:|--:|--:|--:|');
for (const [k, xs] of Object.entries(runs)) {
  console.log(`| ${k} | ${med(xs, 'load').toFixed(1)} ms | ${med(xs, 'perCommandUs').toFixed(1)} µs | ${med(xs, 'bigMs').toFixed(1)} ms | ${med(xs, 'decisionUs').toFixed(1)} µs | ${med(xs, 'bigDecisionMs').toFixed(1)} ms | ${med(xs, 'rssMiB').toFixed(1)} MiB | ${(statSync(files[k]).size / 1024).toFixed(0)} KiB |`);
}
