// 4b. Memory over a long session: VmRSS of the server process (/proc/<pid>/status) after 1 000 and after 10 000
// tool calls of an ordinary mix (allowed and denied checks, guarded reads with their audit records, a denied read,
// now and then a bash command), with a checkpoint every 1 000 calls. The floor's echo over as many calls is the
// reference for what the SDK and Node alone do. A third server, the same bundle under bench/lib/gc-wrapper.cjs, gets
// the same calls and reports its heap after a forced full GC at each checkpoint: growth that survives a GC is a leak,
// growth that does not is V8 sizing its heap.
import { join } from 'node:path';
import { StdioClient } from './lib/rpc.mjs';
import { cleanEnv, log, REPO } from './lib/setup.mjs';
import { startServer } from './roundtrip.mjs';

async function heapAfterGc(c) {
  const before = (c.stderr.match(/^HEAP /gm) ?? []).length;
  c.child.kill('SIGUSR2');
  for (let i = 0; i < 200; i++) {
    await new Promise((r) => setTimeout(r, 10));
    const lines = c.stderr.match(/^HEAP .*$/gm) ?? [];
    if (lines.length > before) return JSON.parse(lines[lines.length - 1].slice(5));
  }
  throw new Error('the gc wrapper did not answer SIGUSR2');
}

export async function rssGrowth(ws, all, { calls = 10_000, every = 1000 } = {}) {
  const aflock = await startServer(ws, all['aflock node']);
  // The single executable (startup snapshot) gets the same calls: the RSS target is about what ships.
  const exe = all['aflock exe'] ? await startServer(ws, all['aflock exe']) : null;
  const floor = await startServer(ws, all['floor node']);
  const gcv = { cmd: process.execPath, args: ['--expose-gc', join(REPO, 'bench/lib/gc-wrapper.cjs')] };
  const gc = new StdioClient(gcv.cmd, gcv.args, { env: cleanEnv(ws, { BUNDLE: all['aflock node'].args[0] }), cwd: ws.project });
  await gc.initialize();
  await gc.request('tools/list', {});
  try {
    await aflock.call('get_identity', {}); // the background hash of the parent's executable is done
    await gc.call('get_identity', {});
    if (exe) await exe.call('get_identity', {});
    const both = (name, args, opts) => Promise.all([aflock.call(name, args, opts), gc.call(name, args, opts), ...(exe ? [exe.call(name, args, opts)] : [])]);
    const mix = [
      () => both('check_tool', { tool_name: 'Bash', tool_input: { command: 'git status' } }),
      () => both('check_tool', { tool_name: 'Bash', tool_input: { command: 'rm -rf /' } }),
      () => both('read_file', { path: 'src/file4k.ts' }),
      () => both('check_tool', { tool_name: 'Read', tool_input: { file_path: 'src/file4k.ts' } }),
      () => both('read_file', { path: '.env' }, { expectError: true }),
    ];
    const checkpoints = { aflock: [], exe: [], floor: [], afterGc: [] };
    const sample = (c, n) => ({ calls: n, rssKiB: c.rssKiB() });
    checkpoints.aflock.push(sample(aflock, 0));
    checkpoints.floor.push(sample(floor, 0));
    if (exe) checkpoints.exe.push(sample(exe, 0));
    const t = performance.now();
    for (let i = 1; i <= calls; i++) {
      if (i % 100 === 0) await both('bash', { command: 'echo hi' });
      else await mix[i % mix.length]();
      await floor.call('echo', { text: 'hi' });
      if (i % every === 0) {
        checkpoints.aflock.push(sample(aflock, i));
        checkpoints.floor.push(sample(floor, i));
        if (exe) checkpoints.exe.push(sample(exe, i));
        checkpoints.afterGc.push({ calls: i, ...(await heapAfterGc(gc)) });
      }
      if (i % 2500 === 0) log(`rss: ${i}/${calls} calls`);
    }
    const seconds = (performance.now() - t) / 1000;
    const at = (list, n) => list.find((s) => s.calls === n)?.rssKiB;
    const summary = (list) => {
      const a = at(list, 1000);
      const b = at(list, calls);
      return { at1000KiB: a, atEndKiB: b, growthPct: a && b ? ((b - a) / a) * 100 : null, checkpoints: list };
    };
    const g = (n) => checkpoints.afterGc.find((s) => s.calls === n);
    const pct = (a, b) => (a && b ? ((b - a) / a) * 100 : null);
    const afterGc = {
      heapUsedGrowthPct: pct(g(1000)?.heapUsedKiB, g(calls)?.heapUsedKiB),
      rssGrowthPct: pct(g(1000)?.rssKiB, g(calls)?.rssKiB),
      checkpoints: checkpoints.afterGc,
    };
    return { calls, seconds, aflock: summary(checkpoints.aflock), ...(exe ? { exe: summary(checkpoints.exe) } : {}), floor: summary(checkpoints.floor), afterGc };
  } finally {
    await Promise.all([aflock.close(), floor.close(), gc.close(), ...(exe ? [exe.close()] : [])]);
  }
}
