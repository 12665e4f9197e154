// Command-hook start-up: spawn -> answer on stdout, for a PreToolUse of native Bash asked of a live server over its
// session socket, interleaved in one run with `node -e 0` (the floor: what node itself costs), the small entry
// (dist/aflock-hook.cjs) and the full program (dist/aflock-mcp.cjs hook). Also the same hook through /bin/sh -c, as
// Claude Code runs it, and the user-level sh gate in a directory without a policy (what every other project pays).
//   node bench/hook.mjs [--rounds N]      (build first: AFLOCK_NO_SEA=1 node build.mjs)
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fmtMs, shuffled, summarize } from './lib/stats.mjs';

const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || 40;
const REPO = resolve(import.meta.dirname, '..');
const work = realpathSync(mkdtempSync(join(tmpdir(), 'aflock-bench-hook-')));
const root = join(work, 'proj');
const home = join(work, 'home');
const sid = `bench-${process.pid}`;
const env = { ...process.env, AFLOCK_HOME: join(work, 'aflock-home'), XDG_RUNTIME_DIR: work, CLAUDE_CODE_SESSION_ID: sid, CLAUDE_PROJECT_DIR: root, HOME: home };
delete env.NODE_OPTIONS;

function run(cmd, args, input, opts = {}) {
  return new Promise((done, fail) => {
    const t = performance.now();
    const c = spawn(cmd, args, { env, cwd: opts.cwd ?? root, stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.on('error', fail);
    c.on('close', (code) => done({ ms: performance.now() - t, code, out }));
    c.stdin.on('error', () => undefined);
    c.stdin.end(input);
  });
}

await run('mkdir', ['-p', root, home], '', { cwd: work });
await run(process.execPath, [join(REPO, 'dist/aflock-mcp.cjs'), 'init', '--claude'], '');
const input = JSON.stringify({ hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: 'git status', description: 'x' }, tool_use_id: 'toolu_bench', session_id: sid, cwd: root });

// The live server of the "session": its socket is what the hooks ask.
const server = spawn(process.execPath, [join(REPO, 'dist/aflock-mcp.cjs'), '--policy', join(root, '.aflock')], { env, cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
server.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '1' } } })}\n`);
const sock = join(work, 'aflock', `cc-${sid}.sock`);
for (let i = 0; i < 200 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 25));
if (!existsSync(sock)) throw new Error('the server made no socket');

const gate = JSON.parse(readFileSync(join(home, '.claude', 'settings.json'), 'utf8')).hooks.PreToolUse[0].hooks[0].command;
const elsewhere = join(work, 'elsewhere');
await run('mkdir', ['-p', elsewhere], '', { cwd: work });
const small = join(REPO, 'dist/aflock-hook.cjs');
const variants = {
  'node -e 0 (floor)': () => run(process.execPath, ['-e', '0'], ''),
  'aflock-hook.cjs (small entry)': () => run(process.execPath, [small, 'PreToolUse'], input),
  'sh -c "node aflock-hook.cjs" (as Claude Code runs it)': () => run('/bin/sh', ['-c', `${process.execPath} ${small} PreToolUse`], input),
  'aflock-mcp.cjs hook (full program)': () => run(process.execPath, [join(REPO, 'dist/aflock-mcp.cjs'), 'hook', 'PreToolUse'], input),
  'user-level sh gate, no policy here': () => run('/bin/sh', ['-c', gate], input, { cwd: elsewhere }),
};
// Warm-up, and a check that each answers as expected.
for (const [name, f] of Object.entries(variants)) {
  const r = await f();
  if (r.code !== 0) throw new Error(`${name} exited ${r.code}`);
  if (name.includes('aflock') && !r.out.includes('{')) throw new Error(`${name} printed no answer: ${r.out}`);
}
const samples = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
for (let i = 0; i < rounds; i++) for (const name of shuffled(Object.keys(variants))) samples[name].push((await variants[name]()).ms);
server.stdin.end();
await new Promise((r) => server.on('close', r));

const floor = summarize(samples['node -e 0 (floor)']).median;
console.log(`command hook spawn -> answer, ${rounds} interleaved rounds, ms (node ${process.version})`);
console.log(`| variant | median | p99 | min | vs node -e 0 (median) |\n|:--|--:|--:|--:|--:|`);
for (const [name, s] of Object.entries(samples)) {
  const st = summarize(s);
  console.log(`| ${name} | ${fmtMs(st.median)} | ${fmtMs(st.p99)} | ${fmtMs(st.min)} | ${name.startsWith("node -e") ? "" : `${st.median >= floor ? "+" : "-"}${fmtMs(Math.abs(st.median - floor))}`} |`);
}
writeFileSync(join(REPO, 'bench', 'hook-results.json'), JSON.stringify({ when: new Date().toISOString(), rounds, samples: Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, summarize(v)])) }, null, 2));
rmSync(work, { recursive: true, force: true });
