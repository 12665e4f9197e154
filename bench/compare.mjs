// Decisions of two (or more) builds of aflock-mcp, side by side in one run: `check_tool` round trips over stdio for a
// command seen before, a new command every call, a pipeline never seen, and a denied command, against the floor's
// echo (a bare SDK server). Every round runs each operation as a block of calls on every server, in a fresh random
// order, so the builds share the machine's noise; the first call of a block is not recorded. This is how "no slower
// than before" is measured (BENCHMARKS.md): the before build comes from a git worktree of the older commit.
//
//   git worktree add /tmp/before <commit> && (cd /tmp/before && npm ci && AFLOCK_NO_SEA=1 node build.mjs)
//   node bench/compare.mjs /tmp/before/dist/aflock-mcp.cjs dist/aflock-mcp.cjs [--rounds N]
import { build } from 'esbuild';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { StdioClient } from './lib/rpc.mjs';
import { REPO } from './lib/setup.mjs';
import { shuffled, summarize } from './lib/stats.mjs';

const args = process.argv.slice(2);
const roundsAt = args.indexOf('--rounds');
const rounds = roundsAt >= 0 ? Number(args.splice(roundsAt, 2)[1]) : 60;
const bundles = args.map((b) => resolve(b));
if (bundles.length === 0) {
  process.stderr.write('usage: node bench/compare.mjs BUNDLE.cjs [BUNDLE.cjs ...] [--rounds N]\n');
  process.exit(2);
}

const work = mkdtempSync(join(tmpdir(), 'aflock-compare-'));
const BLOCK = 21;
try {
  const floorBundle = join(work, 'floor.cjs');
  await build({ entryPoints: [join(REPO, 'bench/floor/echo.ts')], bundle: true, platform: 'node', target: 'node20', format: 'cjs', outfile: floorBundle, logLevel: 'warning' });
  const project = mkdtempSync(join(work, 'project-'));
  copyFileSync(join(REPO, 'bench/policy.aflock'), join(project, '.aflock'));
  const start = async (bundle) => {
    const c = new StdioClient(process.execPath, [bundle], { cwd: project, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: project, AFLOCK_HOME: mkdtempSync(join(work, 'home-')) } });
    await c.initialize();
    await c.request('tools/list', {});
    return c;
  };
  const floor = await start(floorBundle);
  const servers = [];
  for (const b of bundles) {
    const c = await start(b);
    await c.request('tools/call', { name: 'get_identity', arguments: {} }); // waits for the parent's hash at start
    servers.push(c);
  }
  let k = 0;
  const ops = {
    'seen before (git status)': () => 'git status',
    'new command every call (git log -n N)': () => `git log --oneline -n ${++k}`,
    'new pipeline every call': () => `grep -rn "TODO${++k}" src | sort | head -n 20 > /tmp/out.txt`,
    'deny (rm -rf /)': () => 'rm -rf /',
  };
  const times = servers.map(() => Object.fromEntries(Object.keys(ops).map((o) => [o, []])));
  const echo = [];
  const block = async (call, into) => {
    for (let j = 0; j < BLOCK; j++) {
      const { ms } = await call();
      if (j > 0) into.push(ms);
    }
  };
  for (let r = 0; r < rounds; r++) {
    for (const [name, command] of shuffled(Object.entries(ops))) {
      for (const i of shuffled(servers.map((_, n) => n))) {
        await block(() => servers[i].request('tools/call', { name: 'check_tool', arguments: { tool_name: 'Bash', tool_input: { command: command() } } }), times[i][name]);
      }
    }
    await block(() => floor.request('tools/call', { name: 'echo', arguments: { text: 'hi' } }), echo);
  }
  const floorMedian = summarize(echo).median;
  const us = (ms) => `${(ms * 1000).toFixed(0)} µs`;
  const header = ['check_tool', ...bundles.map((b) => b.replace(`${REPO}/`, ''))];
  const rows = Object.keys(ops).map((name) => [name, ...servers.map((_, i) => {
    const m = summarize(times[i][name]).median;
    return `${us(m)} (${(m / floorMedian).toFixed(2)}x)`;
  })]);
  const line = (cells) => `| ${cells.join(' | ')} |`;
  console.log(line(header));
  console.log(line(header.map((_, i) => (i === 0 ? ':--' : '--:'))));
  for (const row of rows) console.log(line(row));
  console.log(`\nMedians of ${rounds * (BLOCK - 1)} calls per cell; (x) = against the floor's echo, ${us(floorMedian)} in this run.`);
  for (const c of [floor, ...servers]) c.child.kill('SIGTERM');
} finally {
  rmSync(work, { recursive: true, force: true });
}
