// 1. Cold start: spawn -> `initialize` response over the pipe (and spawn -> `tools/list` response), for every server variant, interleaved round-robin
// (a fresh random order every round) so machine noise hits all variants alike. Each server gets a clean environment.
import { StdioClient } from './lib/rpc.mjs';
import { cleanEnv, log } from './lib/setup.mjs';
import { shuffled, summarize } from './lib/stats.mjs';

export async function coldStart(ws, all, { rounds, warmup = 2 }) {
  const names = Object.keys(all);
  const envs = Object.fromEntries(names.map((n) => [n, cleanEnv(ws, all[n].env)]));
  const samples = Object.fromEntries(names.map((n) => [n, []]));
  const lists = Object.fromEntries(names.map((n) => [n, []]));
  const exits = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = -warmup; r < rounds; r++) {
    for (const name of shuffled(names)) {
      const v = all[name];
      const c = new StdioClient(v.cmd, v.args, { env: envs[name], cwd: ws.project });
      let init;
      let listed;
      try {
        init = await c.initialize();
        // What an agent waits for before it can call anything: the tool list (the SDK builds the JSON Schemas here).
        await c.request('tools/list', {});
        listed = performance.now() - c.t0;
      } catch (e) {
        c.child.kill('SIGKILL');
        throw new Error(`${name}: ${e.message}`);
      }
      const t = performance.now();
      const code = await c.close();
      if (code !== 0) throw new Error(`${name} exited ${code} after stdin EOF; stderr:\n${c.stderr.slice(-1500)}`);
      if (r >= 0) {
        samples[name].push(init.sinceSpawn);
        lists[name].push(listed);
        exits[name].push(performance.now() - t);
      }
    }
    if (r >= 0 && (r + 1) % 10 === 0) log(`cold start: ${r + 1}/${rounds} rounds`);
  }
  return Object.fromEntries(names.map((n) => [n, { initialize: summarize(samples[n]), toolsList: summarize(lists[n]), exitAfterEof: summarize(exits[n]) }]));
}
