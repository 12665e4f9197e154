// The per-turn cost of hook mode with the real Claude Code CLI (offline, scripted by test/e2e/mock-api.ts): sessions
// of native tool calls (Bash, Read, Edit) in a project set up by `init --claude`, against the same project with its
// hooks taken out (the aflock server still connected), interleaved in one run. A turn is timed by the mock API from
// the end of its answer carrying a tool_use to the request carrying the result: the tool, the hooks and Claude
// Code's own work, no model time. Target: hook mode under 1.5x.
//   node bench/claude-hooks.mjs [--rounds N] [--turns N]     (build first: AFLOCK_NO_SEA=1 node build.mjs)
import { build } from 'esbuild';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { fmtMs, shuffled, summarize } from './lib/stats.mjs';

const arg = (name, def) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : def);
const rounds = arg('--rounds', 6);
const turns = arg('--turns', 12);
const REPO = resolve(import.meta.dirname, '..');
process.chdir(REPO);

// The e2e helpers are TypeScript: bundle them for this run.
const tmp = mkdtempSync(join(tmpdir(), 'aflock-bench-cc-'));
await build({ entryPoints: ['test/e2e/session.ts'], bundle: true, platform: 'node', format: 'esm', outfile: join(tmp, 'session.mjs'), packages: 'external', logLevel: 'warning' });
const { cleanup, findClaude, makeProject, runSession } = await import(pathToFileURL(join(tmp, 'session.mjs')).href);

const claude = findClaude();
if (claude.skip) {
  console.log(`skipped: ${claude.skip}`);
  process.exit(0);
}

const FILES = { 'notes.txt': 'line one\n', '.env': 'API_KEY=sk-bench\n' };
const POLICY = JSON.parse(readFileSync(join(REPO, 'bench', 'policy.aflock'), 'utf8'));

function withoutHooks(p) {
  for (const f of [join(p.root, '.claude', 'settings.json'), join(p.home, '.claude', 'settings.json')]) {
    const s = JSON.parse(readFileSync(f, 'utf8'));
    delete s.hooks;
    writeFileSync(f, JSON.stringify(s, null, 2));
  }
  return p;
}

/** Hook mode without the PostToolUse hooks: what recording outcomes costs. */
function preOnly(p) {
  const f = join(p.root, '.claude', 'settings.json');
  const s = JSON.parse(readFileSync(f, 'utf8'));
  delete s.hooks.PostToolUse;
  delete s.hooks.PostToolUseFailure;
  writeFileSync(f, JSON.stringify(s, null, 2));
  return p;
}

const projects = { 'hook mode': makeProject(POLICY, FILES), 'hook mode, PreToolUse only': preOnly(makeProject(POLICY, FILES)), 'no hooks': withoutHooks(makeProject(POLICY, FILES)) };
const tu = (name, input) => ({ type: 'tool_use', name, input });
function script(p) {
  const steps = [];
  for (let i = 0; i < turns; i++) {
    const k = i % 3;
    if (k === 0) steps.push(() => [tu('Bash', { command: `echo turn ${i}`, description: 'echo' })]);
    if (k === 1) steps.push(() => [tu('Read', { file_path: join(p.root, 'notes.txt') })]);
    if (k === 2) steps.push(() => [tu('Edit', { file_path: join(p.root, 'notes.txt'), old_string: `line ${i - 3 < 0 ? 'one' : i - 3}`, new_string: `line ${i}` })]);
  }
  steps.push(() => [{ type: 'text', text: 'Done.' }]);
  return steps;
}

const samples = Object.fromEntries(Object.keys(projects).map((k) => [k, []]));
const errors = Object.fromEntries(Object.keys(projects).map((k) => [k, 0]));
for (let r = 0; r < rounds; r++) {
  for (const name of shuffled(Object.keys(projects))) {
    const p = projects[name];
    writeFileSync(join(p.root, 'notes.txt'), 'line one\n');
    const res = await runSession(claude.bin, p, script(p), { args: ['--allowedTools', 'Bash,Read,Edit,mcp__aflock__*'] });
    if (res.code !== 0) throw new Error(`${name}: claude exited ${res.code}: ${res.stderr.slice(0, 500)}`);
    for (const id of res.ids) if (res.results.get(id)?.isError) errors[name]++;
    samples[name].push(...res.turnMs.slice(1)); // the first turn also pays for start-up
  }
}
for (const p of Object.values(projects)) cleanup(p);
rmSync(tmp, { recursive: true, force: true });

const a = summarize(samples['hook mode']);
const b = summarize(samples['no hooks']);
const c = summarize(samples['hook mode, PreToolUse only']);
console.log(`Claude Code ${'2.1.332'} native tool turns (Bash, Read, Edit), ${rounds} interleaved sessions each of ${turns} turns, ms per turn`);
console.log('| set-up | turns | median | mean | p99 | min | tool errors |\n|:--|--:|--:|--:|--:|--:|--:|');
for (const [name, s] of [['hook mode', a], ['hook mode, PreToolUse only', c], ['no hooks', b]]) console.log(`| ${name} | ${s.n} | ${fmtMs(s.median)} | ${fmtMs(s.mean)} | ${fmtMs(s.p99)} | ${fmtMs(s.min)} | ${errors[name]} |`);
console.log(`ratio hook mode / no hooks: median ${(a.median / b.median).toFixed(2)}x, mean ${(a.mean / b.mean).toFixed(2)}x (target < 1.5x)`);
console.log(`ratio PreToolUse only / no hooks: median ${(c.median / b.median).toFixed(2)}x, mean ${(c.mean / b.mean).toFixed(2)}x`);
writeFileSync(join(REPO, 'bench', 'claude-hooks-results.json'), JSON.stringify({ when: new Date().toISOString(), rounds, turns, hookMode: a, preOnly: c, noHooks: b, errors }, null, 2));
