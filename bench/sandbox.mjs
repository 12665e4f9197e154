// What the sandbox adds to a command, in one interleaved run (so a busy machine slows every variant alike):
//   server level: a `bash` tool call round trip through the running server, sandboxed vs --no-sandbox;
//   command line: `aflock-mcp sandbox -- CMD` vs `srt -c CMD` (Anthropic's sandbox-runtime CLI, same policy) vs
//                 plain `bash -c CMD`. Each command-line variant starts a fresh process, Node's start-up included.
//   node bench/sandbox.mjs [iterations]       (default 40; SRT=/path/to/srt, else node_modules/.bin/srt or PATH)
// srt is not a dependency of the project: install it anywhere (`npm i @anthropic-ai/sandbox-runtime` in a scratch
// directory) and point SRT at its bin; without it the srt column is skipped.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StdioClient } from './lib/rpc.mjs';

const N = Number(process.argv[2] ?? 40);
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = join(REPO, 'dist/aflock-mcp.cjs');
const COMMAND = 'cat README.md >/dev/null && echo ok';

const findSrt = () => {
  if (process.env.SRT) return process.env.SRT;
  const local = join(REPO, 'node_modules/.bin/srt');
  if (existsSync(local)) return local;
  const r = spawnSync('sh', ['-c', 'command -v srt'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
};
const srt = findSrt();

const scratch = mkdtempSync(join(tmpdir(), 'aflock-bench-sbx-'));
const project = join(scratch, 'project');
const home = join(scratch, 'home');
mkdirSync(join(project, 'secrets'), { recursive: true });
mkdirSync(home);
writeFileSync(join(project, 'README.md'), '# bench\n');
writeFileSync(join(project, '.env'), 'X=1\n');
writeFileSync(join(project, 'secrets/key.txt'), 'k\n');
// The same rules for both sandboxes: deny-read .env and secrets/, write the project (minus the policy), one domain.
writeFileSync(join(project, '.aflock'), JSON.stringify({ files: { deny: ['**/.env', 'secrets/**'], readOnly: ['.aflock'] }, domains: { allow: ['registry.npmjs.org'] } }));
const srtSettings = join(scratch, 'srt-settings.json');
writeFileSync(srtSettings, JSON.stringify({
  filesystem: { denyRead: [join(project, '.env'), join(project, 'secrets')], allowWrite: [project], denyWrite: [join(project, '.aflock')] },
  network: { allowedDomains: ['registry.npmjs.org'], deniedDomains: [] },
}));

function timeProcess(cmd, args) {
  return new Promise((res, rej) => {
    const t0 = process.hrtime.bigint();
    const c = spawn(cmd, args, { cwd: project, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, AFLOCK_HOME: home } });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (out += d));
    c.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (code !== 0 || !out.includes('ok')) rej(new Error(`${cmd} ${args.join(' ')} -> ${code}: ${out}`));
      else res(ms);
    });
  });
}

async function server(args) {
  const c = new StdioClient(process.execPath, [bundle, ...args], { cwd: project, env: { ...process.env, AFLOCK_HOME: home } });
  await c.initialize();
  return c;
}

async function timeCall(c) {
  const { result, ms } = await c.call('bash', { command: COMMAND });
  const body = JSON.parse(result.content[0].text);
  if (body.output !== 'ok') throw new Error(`bash call failed: ${result.content[0].text}`);
  return ms;
}

const q = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * (s.length - 1) + 0.5))];
};

const sandboxed = await server([]);
const unsandboxed = await server(['--no-sandbox']);
const variants = {
  'bash tool, sandboxed (server)': () => timeCall(sandboxed),
  'bash tool, --no-sandbox (server)': () => timeCall(unsandboxed),
  'bash -c (process)': () => timeProcess('bash', ['-c', COMMAND]),
  'aflock-mcp sandbox -- (process)': () => timeProcess(process.execPath, [bundle, 'sandbox', '--', 'bash', '-c', COMMAND]),
  ...(srt ? { 'srt -c (process)': () => timeProcess(srt, ['--settings', srtSettings, '-c', COMMAND]) } : {}),
};
const samples = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
for (const fn of Object.values(variants)) await fn(); // warm-up
for (let i = 0; i < N; i++) for (const [k, fn] of Object.entries(variants)) samples[k].push(await fn());
await sandboxed.close();
await unsandboxed.close();
rmSync(scratch, { recursive: true, force: true });

console.log(`${N} interleaved iterations of \`${COMMAND}\`; ms`);
console.log('| variant | median | p90 | p99 | min |');
console.log('|:--|--:|--:|--:|--:|');
for (const [k, xs] of Object.entries(samples)) console.log(`| ${k} | ${q(xs, 0.5).toFixed(1)} | ${q(xs, 0.9).toFixed(1)} | ${q(xs, 0.99).toFixed(1)} | ${Math.min(...xs).toFixed(1)} |`);
const added = samples['bash tool, sandboxed (server)'].map((x, i) => x - samples['bash tool, --no-sandbox (server)'][i]);
console.log(`\nadded by the sandbox per bash call (paired per iteration): median ${q(added, 0.5).toFixed(1)} ms, p99 ${q(added, 0.99).toFixed(1)} ms`);
if (srt) {
  const vs = samples['aflock-mcp sandbox -- (process)'].map((x, i) => x - samples['srt -c (process)'][i]);
  console.log(`aflock-mcp sandbox minus srt (paired): median ${q(vs, 0.5).toFixed(1)} ms, p99 ${q(vs, 0.99).toFixed(1)} ms`);
}
if (!srt) console.log('srt: SKIPPED, not found (it is not a dependency; set SRT=/path/to/srt to compare)');
const summary = (xs) => ({ n: xs.length, median: q(xs, 0.5), p90: q(xs, 0.9), p99: q(xs, 0.99), min: Math.min(...xs) });
const out = { when: new Date().toISOString(), iterations: N, command: COMMAND, srt: srt ?? null, variants: Object.fromEntries(Object.entries(samples).map(([k, xs]) => [k, summary(xs)])), addedPerCall: summary(added) };
if (srt) out.aflockMinusSrt = summary(samples['aflock-mcp sandbox -- (process)'].map((x, i) => x - samples['srt -c (process)'][i]));
writeFileSync(join(REPO, 'bench', 'sandbox-results.json'), JSON.stringify(out, null, 2) + '\n');
