// The shell analyser's oracle: runs analyzeShell over a large, fixed set of commands and records each ShellAnalysis
// as golden fixtures in test/policy/shell-golden/*.json, which test/policy/shell-golden.test.ts compares the current
// analyser against. Recorded first with the mvdan-sh analyser (src/policy/shell.ts, before the move to unbash), so
// that the fixtures are the differential test that outlives the old parser.
//
//   node scripts/shell-oracle.mjs [--analyzer PATH] [--out DIR] [--only SOURCE,...]
//
// Sources: bench/corpus.txt; every command of the conformance vectors; every command test/policy/shell.test.ts
// analyses (recorded by running the suite with analyzeShell wrapped) and the commands the other suites send; the
// adversarial list and several thousand generated commands of scripts/shell-gen.mjs.
//
// Re-recording a fixture changes what the differential test expects: do it only for a documented decision
// (test/policy/shell-differential.test.ts says which and why, from what bash does).
import { build } from 'esbuild';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { readCorpus } from '../bench/inprocess.mjs';
import { generate, REDTEAM } from './shell-gen.mjs';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const analyzerPath = resolve(REPO, opt('--analyzer', existsSync(join(REPO, 'src/policy/shell/index.ts')) ? 'src/policy/shell/index.ts' : 'src/policy/shell.ts'));
const outDir = resolve(REPO, opt('--out', 'test/policy/shell-golden'));
const only = opt('--only', null)?.split(',');

/** Seed and size of the generated set: changing either rewrites generated.json. */
export const GENERATED_SEED = 20261130;
export const GENERATED_COUNT = 6000;
/** Commands longer than this stay out of the fixtures (shell.test.ts covers the large ones with its own assertions). */
const MAX_COMMAND = 4096;

const work = mkdtempSync(join(tmpdir(), 'aflock-oracle-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

async function bundle(entry, outName, plugins = []) {
  const outfile = join(work, outName);
  await build({
    entryPoints: [entry], bundle: true, platform: 'node', target: 'node20', format: 'esm', outfile, logLevel: 'warning',
    plugins, define: { AFLOCK_VERSION: '"oracle"' },
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  return import(pathToFileURL(outfile).href);
}

const analyzer = await bundle(analyzerPath, 'analyzer.mjs');
const analyzeShell = analyzer.analyzeShell;

// ----- sources

function vectorCommands() {
  const candidates = [process.env.AFLOCK_VECTORS, join(REPO, 'test/vectors/policy-vectors.json')].filter(Boolean);
  const file = candidates.find((p) => existsSync(p));
  if (!file) throw new Error('policy-vectors.json not found; set AFLOCK_VECTORS');
  const out = [];
  for (const v of JSON.parse(readFileSync(file, 'utf8'))) {
    for (const call of [...(v.history ?? []), { tool: v.tool, input: v.input }]) {
      if (typeof call.input?.command === 'string') out.push(call.input.command);
    }
  }
  return out;
}

/** Every command test/policy/shell.test.ts analyses: the suite runs with analyzeShell wrapped and uvu stubbed. */
async function shellTestCommands() {
  const recorded = [];
  globalThis.__aflockRecord = (c) => recorded.push(c);
  const tests = [];
  globalThis.__aflockTests = tests;
  const plugin = {
    name: 'record',
    setup(b) {
      b.onResolve({ filter: /src\/policy\/shell(\.ts|\/index\.ts)?$/ }, (a) => {
        if (a.importer.endsWith('record-shell.ts')) return undefined;
        return { path: 'record-shell.ts', namespace: 'record' };
      });
      b.onLoad({ filter: /^record-shell\.ts$/, namespace: 'record' }, () => ({
        loader: 'ts',
        resolveDir: REPO,
        contents: `import * as real from ${JSON.stringify(analyzerPath)};
export * from ${JSON.stringify(analyzerPath)};
export function analyzeShell(c: string) { (globalThis as any).__aflockRecord(c); return real.analyzeShell(c); }`,
      }));
      b.onResolve({ filter: /^uvu$/ }, () => ({ path: 'uvu-stub', namespace: 'record' }));
      b.onLoad({ filter: /^uvu-stub$/, namespace: 'record' }, () => ({
        loader: 'js',
        contents: 'export const test = (name, fn) => globalThis.__aflockTests.push([name, fn]); test.run = () => {};',
      }));
    },
  };
  const prev = process.cwd();
  process.chdir(REPO); // the suite finds its files (test/vectors, fixtures) from the working directory
  try {
    await bundle(join(REPO, 'test/policy/shell.test.ts'), 'shell-test.mjs', [plugin]);
    let failed = 0;
    for (const [name, fn] of tests) {
      try { await fn(); } catch (e) { failed++; if (failed < 5) console.error(`shell.test.ts: ${name}: ${String(e.message).slice(0, 200)}`); }
    }
    console.error(`shell.test.ts: ${tests.length} tests run in the oracle, ${failed} failed, ${recorded.length} analyses recorded`);
  } finally {
    process.chdir(prev);
  }
  return recorded;
}

/** String literals given as `command:` in the other suites (the smoke suites send them to the server). */
function otherTestCommands() {
  const out = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, name.name);
      if (name.isDirectory()) walk(p);
      else if (name.name.endsWith('.ts') && !p.endsWith('policy/shell.test.ts')) {
        const src = readFileSync(p, 'utf8');
        for (const m of src.matchAll(/command:\s*('(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*")/g)) {
          out.push(Function(`return ${m[1]}`)());
        }
      }
    }
  };
  walk(join(REPO, 'test'));
  return out;
}

const sources = {
  corpus: () => readCorpus(join(REPO, 'bench/corpus.txt')).map((e) => e.command),
  vectors: vectorCommands,
  tests: async () => [...(await shellTestCommands()), ...otherTestCommands()],
  redteam: () => REDTEAM,
  generated: () => generate(GENERATED_SEED, GENERATED_COUNT),
};

// ----- recording

mkdirSync(outDir, { recursive: true });
const seen = new Set();
let total = 0;
for (const [name, get] of Object.entries(sources)) {
  const commands = await get();
  const cases = [];
  for (const c of commands) {
    if (typeof c !== 'string' || c.length > MAX_COMMAND || seen.has(c)) continue;
    seen.add(c);
    cases.push([c, analyzeShell(c)]);
  }
  total += cases.length;
  if (only && !only.includes(name)) continue;
  // One case a line: a re-recorded fixture shows in a diff as the lines that changed.
  const body = cases.map((x) => JSON.stringify(x)).join(',\n');
  writeFileSync(join(outDir, `${name}.json`), `[\n${body}\n]\n`);
  console.error(`${name}: ${cases.length} commands -> ${join(outDir, `${name}.json`)}`);
}
console.error(`${total} commands recorded with ${analyzerPath.slice(REPO.length + 1)}`);
