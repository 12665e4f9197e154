// 4b. Memory over a long session: VmRSS of the server process (/proc/<pid>/status) after 1 000 and after 10 000
// tool calls of an ordinary mix (allowed and denied checks, guarded reads with their audit records, a denied read,
// now and then a bash command), with a checkpoint every 1 000 calls. The floor's echo over as many calls is the
// reference for what the SDK and Node alone do.
import { startServer } from './roundtrip.mjs';
import { log } from './lib/setup.mjs';

export async function rssGrowth(ws, all, { calls = 10_000, every = 1000 } = {}) {
  const aflock = await startServer(ws, all['aflock node']);
  const floor = await startServer(ws, all['floor node']);
  try {
    await aflock.call('get_identity', {}); // the background hash of the parent's executable is done
    const mix = [
      () => aflock.call('check_tool', { tool_name: 'Bash', tool_input: { command: 'git status' } }),
      () => aflock.call('check_tool', { tool_name: 'Bash', tool_input: { command: 'rm -rf /' } }),
      () => aflock.call('read_file', { path: 'src/file4k.ts' }),
      () => aflock.call('check_tool', { tool_name: 'Read', tool_input: { file_path: 'src/file4k.ts' } }),
      () => aflock.call('read_file', { path: '.env' }, { expectError: true }),
    ];
    const checkpoints = { aflock: [], floor: [] };
    const sample = (c, n) => ({ calls: n, rssKiB: c.rssKiB() });
    checkpoints.aflock.push(sample(aflock, 0));
    checkpoints.floor.push(sample(floor, 0));
    const t = performance.now();
    for (let i = 1; i <= calls; i++) {
      if (i % 100 === 0) await aflock.call('bash', { command: 'echo hi' });
      else await mix[i % mix.length]();
      await floor.call('echo', { text: 'hi' });
      if (i % every === 0) {
        checkpoints.aflock.push(sample(aflock, i));
        checkpoints.floor.push(sample(floor, i));
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
    return { calls, seconds, aflock: summary(checkpoints.aflock), floor: summary(checkpoints.floor) };
  } finally {
    await Promise.all([aflock.close(), floor.close()]);
  }
}
