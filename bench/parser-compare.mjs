// One run, interleaved: the mvdan-sh analyser (src/policy/shell.ts of a checkout that still has it, default
// /work/main) against the unbash one (src/policy/shell/), on a never-seen command (each corpus command analysed
// fresh), on a 100 KB command, and the cost of loading each (start-up, RSS).
//   node bench/parser-compare.mjs [OLD_CHECKOUT]
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
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
// A checkout from before the move to unbash has src/policy/shell.ts; a later one is compared folder to folder
// (`node bench/parser-compare.mjs /work/main` from a branch: the branch against main).
const OLD_SHELL = existsSync(join(OLD, 'src/policy/shell.ts')) ? 'src/policy/shell.ts' : 'src/policy/shell/index.ts';
const OLD_NAME = OLD_SHELL.endsWith('shell.ts') ? 'mvdan-sh' : `unbash (${OLD})`;
const NEW_NAME = OLD_SHELL.endsWith('shell.ts') ? 'unbash' : `unbash (${REPO})`;
const files = {
  [OLD_NAME]: await bundle(join(OLD, OLD_SHELL), 'old.cjs', [join(OLD, 'node_modules')]),
  [NEW_NAME]: await bundle(join(REPO, 'src/policy/shell/index.ts'), 'new.cjs', [join(REPO, 'node_modules')]),
};
// The evaluator of each checkout, for a whole decision (bench/policy.aflock, the file system as the server sees it).
const evaluators = {
  [OLD_NAME]: await bundleEval(OLD, 'old-eval.cjs'),
  [NEW_NAME]: await bundleEval(REPO, 'new-eval.cjs'),
};
async function bundleEval(root, name) {
  const entry = join(work, `${name}.ts`);
  writeFileSync(entry, `export { evaluateCall, flowCheck, clearAnalysisCache } from ${JSON.stringify(join(root, 'src/policy/evaluate.ts'))};
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
// A decision as a guarded call makes it: evaluateCall, then flowCheck when allowed (no labels held).
const decide = (command) => {
  const call = { tool: 'Bash', input: { command } };
  if (ev.evaluateCall(policy, call, ctx).decision === 'allow') ev.flowCheck(policy, call, new Set(), ctx);
};
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
for (let r = 0; r < 5; r++) { const t = performance.now(); for (const c of corpus) { ev.clearAnalysisCache(); decide(c); } dec.push((performance.now() - t) / corpus.length * 1000); }
dec.sort((a, b) => a - b);
const bigD = []; for (let r = 0; r < 3; r++) { ev.clearAnalysisCache(); const t = performance.now(); decide(${JSON.stringify(big)}); bigD.push(performance.now() - t); }
bigD.sort((a, b) => a - b);
global.gc?.();
console.log(JSON.stringify({ load, perCommandUs: per[2], bigMs: bigT[1], decisionUs: dec[2], bigDecisionMs: bigD[1], rssMiB: process.memoryUsage().rss / 2 ** 20 }));`;
const runs = { [OLD_NAME]: [], [NEW_NAME]: [] };
for (let i = 0; i < 5; i++) {
  for (const [k, f] of Object.entries(files)) {
    const script = join(work, `child-${k.replace(/[^\w-]+/g, "_")}.cjs`);
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
