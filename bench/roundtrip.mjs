// 2. Per-call round trips over stdio, warm: aflock-mcp (node bundle), the floor's echo (node bundle) and
// @modelcontextprotocol/server-filesystem (node), all alive at once. Every round runs each operation as a block of
// `block` back-to-back calls, operations in a fresh random order, so the servers share the machine's noise; the first
// call of a block is not recorded (a server that sat idle while the others ran pays a wake-up that is about the
// machine, not the server: one call at a time per operation made the least-called server look slowest).
import { StdioClient } from './lib/rpc.mjs';
import { cleanEnv, log } from './lib/setup.mjs';
import { shuffled, summarize } from './lib/stats.mjs';

export async function startServer(ws, v) {
  const c = new StdioClient(v.cmd, v.args, { env: cleanEnv(ws, v.env), cwd: ws.project });
  await c.initialize();
  await c.request('tools/list', {});
  return c;
}

export async function roundTrips(ws, all, { rounds, block = 10, bashBlock = 3, warmup = 50, aflockVariant = 'aflock node', floorVariant = 'floor node' }) {
  const aflock = await startServer(ws, all[aflockVariant]);
  const floor = await startServer(ws, all[floorVariant]);
  const fs = await startServer(ws, all['server-filesystem node']);
  try {
    // aflock hashes its parent's executable in the background at start; get_identity waits for that, so the timed
    // calls do not share the CPU with it.
    await aflock.call('get_identity', {});
    const checkAllow = () => aflock.call('check_tool', { tool_name: 'Bash', tool_input: { command: 'git status' } }).then(expectDecision('allow'));
    // A command never seen before: the evaluator's analysis cache cannot help (git log -n 1, -n 2, ...).
    let fresh = 0;
    const checkFresh = () => aflock.call('check_tool', { tool_name: 'Bash', tool_input: { command: `git log --oneline -n ${++fresh}` } }).then(expectDecision('allow'));
    const checkDeny = () => aflock.call('check_tool', { tool_name: 'Bash', tool_input: { command: 'rm -rf /' } }).then(expectDecision('deny'));
    const readAflock = () => aflock.call('read_file', { path: 'src/file4k.ts' }).then(expectText(4096));
    const bash = () => aflock.call('bash', { command: 'echo hi' }).then(expectStructured((s) => s.exitCode === 0 && s.output.trim() === 'hi'));
    // What Claude Code's mcp_tool PreToolUse hook sends about a native Bash call (its fields as init --claude writes
    // them; ${tool_input} arrives as JSON text): decided by the same pipeline and recorded (one signed record).
    let hookId = 0;
    const hookPre = () =>
      aflock
        .call('hook', { hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: JSON.stringify({ command: 'git status', description: 'bench' }), tool_use_id: `toolu_bench_${++hookId}`, session_id: 'bench', cwd: ws.project })
        .then(expectHookAllow);
    const echo = () => floor.call('echo', { text: 'hi' }).then(expectText(2));
    const readFs = () => fs.call('read_text_file', { path: ws.file4k }).then(expectText(4096));
    const ops = {
      'aflock check_tool allow': checkAllow,
      'aflock check_tool allow, new command': checkFresh,
      'aflock check_tool deny': checkDeny,
      'aflock read_file 4 KB': readAflock,
      'aflock bash echo hi': bash,
      'aflock hook PreToolUse Bash (mcp_tool)': hookPre,
      'floor echo': echo,
      'server-filesystem read_text_file 4 KB': readFs,
    };
    for (let i = 0; i < warmup; i++) for (const fn of Object.values(ops)) await fn();
    const samples = Object.fromEntries(Object.keys(ops).map((k) => [k, []]));
    for (let r = 0; r < rounds; r++) {
      for (const name of shuffled(Object.keys(ops))) {
        const n = name === 'aflock bash echo hi' ? bashBlock : block;
        await ops[name](); // wake-up call, not recorded
        for (let i = 1; i < n; i++) samples[name].push(await ops[name]());
      }
      if ((r + 1) % 50 === 0) log(`round trips: ${r + 1}/${rounds} rounds`);
    }
    return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, summarize(v)]));
  } finally {
    await Promise.all([aflock.close(), floor.close(), fs.close()]);
  }
}

function expectDecision(decision) {
  return ({ result, ms }) => {
    if (result.structuredContent?.decision !== decision) throw new Error(`check_tool: expected ${decision}, got ${JSON.stringify(result).slice(0, 300)}`);
    return ms;
  };
}

function expectHookAllow({ result, ms }) {
  const text = result.content?.[0]?.text ?? '';
  if (!text.includes('"allow"')) throw new Error(`hook: expected an allow answer, got ${JSON.stringify(result).slice(0, 300)}`);
  return ms;
}

function expectText(length) {
  return ({ result, ms }) => {
    const text = result.content?.[0]?.text ?? '';
    if (text.length !== length) throw new Error(`expected ${length} characters of text, got ${JSON.stringify(result).slice(0, 300)}`);
    return ms;
  };
}

function expectStructured(ok) {
  return ({ result, ms }) => {
    if (!result.structuredContent || !ok(result.structuredContent)) throw new Error(`unexpected result ${JSON.stringify(result).slice(0, 300)}`);
    return ms;
  };
}
