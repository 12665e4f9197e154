// Hook mode against the spawned server: the hidden `hook` tool (what Claude Code's mcp_tool hooks call), the command
// hook over the session's Unix socket, and the command hook deciding alone. Effects checked: records in the signed
// trail (origin native, Claude Code's tool_use_id), labels carried across calls, limits counting native calls, no
// record for a model-made call.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { spawn } from 'node:child_process';
import { RpcServer, actionPredicates, json, runCli, tempDir, text, testLeg } from '../helpers/rpc.ts';

const made: string[] = [];
function dir(prefix: string): string {
  const d = tempDir(prefix);
  made.push(d);
  return d;
}

const POLICY = {
  tools: { allow: ['Bash', 'Read', 'Write', 'Edit', 'Grep', 'WebFetch'], requireApproval: ['Bash:git push*'] },
  files: { deny: ['**/.env'], readOnly: ['.aflock'] },
  dataFlow: { classify: { secret: ['Read:**/secrets/**'], network: ['Bash:curl*', 'WebFetch'] }, flowRules: [{ deny: 'secret->network' }] },
};

interface Setup {
  root: string;
  home: string;
  runtime: string;
  sid: string;
  env: NodeJS.ProcessEnv;
}

function setup(policy: object = POLICY): Setup {
  const root = dir('aflock-hook-proj-');
  writeFileSync(join(root, '.aflock'), JSON.stringify(policy));
  writeFileSync(join(root, '.env'), 'API_KEY=sk-canary\n');
  mkdirSync(join(root, 'secrets'));
  writeFileSync(join(root, 'secrets', 'key.txt'), 'k\n');
  const home = dir('aflock-hook-home-');
  const runtime = dir('aflock-hook-run-');
  const sid = `test-${Math.random().toString(36).slice(2)}`;
  const env: NodeJS.ProcessEnv = { ...process.env, AFLOCK_HOME: home, XDG_RUNTIME_DIR: runtime, CLAUDE_CODE_SESSION_ID: sid, CLAUDE_PROJECT_DIR: root };
  delete env.NODE_OPTIONS;
  return { root, home, runtime, sid, env };
}

async function start(s: Setup): Promise<{ srv: RpcServer; auditDir: string }> {
  const srv = new RpcServer(['--policy', join(s.root, '.aflock')], { cwd: s.root, env: s.env });
  await srv.initialize();
  const auditDir = json(await srv.call('get_session')).auditDir as string;
  // The socket is made after the MCP connection is up: wait for it.
  const sock = join(s.runtime, 'aflock', `cc-${s.sid}.sock`);
  for (let i = 0; i < 100 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 20));
  return { srv, auditDir };
}

let n = 0;
function hookArgs(s: Setup, event: string, tool: string, input: object, extra: object = {}) {
  return { hook_event_name: event, tool_name: tool, tool_input: JSON.stringify(input), tool_use_id: `toolu_t${++n}`, session_id: s.sid, cwd: s.root, ...extra };
}

async function hook(srv: RpcServer, args: object, meta?: object): Promise<any> {
  const r = await srv.request('tools/call', { name: 'hook', arguments: args, ...(meta ? { _meta: meta } : {}) });
  return r;
}

const answer = (r: any) => JSON.parse(text(r));
const lines = (auditDir: string) => readFileSync(join(auditDir, 'audit.jsonl'), 'utf8').trim().split('\n').filter(Boolean).length;

test('hook is not listed; a call made for the model (claudecode/toolUseId in _meta) is refused and writes nothing', async () => {
  const s = setup();
  const { srv, auditDir } = await start(s);
  const list = await srv.request('tools/list');
  assert.not.ok(list.tools.some((t: { name: string }) => t.name === 'hook'), 'hidden from tools/list');
  assert.ok(list.tools.some((t: { name: string }) => t.name === 'check_tool'));
  const before = lines(auditDir);
  const forged = await hook(srv, hookArgs(s, 'PreToolUse', 'Bash', { command: 'echo forged' }), { 'claudecode/toolUseId': 'toolu_model', progressToken: 3 });
  assert.ok(forged.isError);
  assert.match(text(forged), /hooks only/);
  assert.is(lines(auditDir), before, 'no record for a model-made call');
  // The PreToolUse hook also refuses the model naming the hook tool.
  const named = answer(await hook(srv, hookArgs(s, 'PreToolUse', 'mcp__aflock__hook', { hook_event_name: 'PreToolUse' })));
  assert.is(named.hookSpecificOutput.permissionDecision, 'deny');
  await srv.close();
});

test('PreToolUse: a native call is decided by the policy and recorded as native with its tool_use_id', async () => {
  const s = setup();
  const { srv, auditDir } = await start(s);
  const args = hookArgs(s, 'PreToolUse', 'Bash', { command: 'cat .env', description: 'x' });
  const a = answer(await hook(srv, args));
  assert.is(a.hookSpecificOutput.hookEventName, 'PreToolUse');
  assert.is(a.hookSpecificOutput.permissionDecision, 'deny');
  assert.match(a.hookSpecificOutput.permissionDecisionReason, /^aflock: Policy denied: Bash command accesses file '\.env' matching deny pattern '\*\*\/\.env'/);
  assert.not.ok('decision' in a);
  const read = answer(await hook(srv, hookArgs(s, 'PreToolUse', 'Read', { file_path: join(s.root, '.env') })));
  assert.is(read.hookSpecificOutput.permissionDecision, 'deny');
  const write = answer(await hook(srv, hookArgs(s, 'PreToolUse', 'Write', { file_path: join(s.root, '.aflock'), content: '{}' })));
  assert.match(write.hookSpecificOutput.permissionDecisionReason, /read-only/);
  const outside = answer(await hook(srv, hookArgs(s, 'PreToolUse', 'Write', { file_path: join(s.home, 'settings.json'), content: '{}' })));
  assert.match(outside.hookSpecificOutput.permissionDecisionReason, /outside the project root/, 'a native write outside the project (e.g. ~/.claude/settings.json) is refused like write_file');
  const edit = answer(await hook(srv, hookArgs(s, 'PreToolUse', 'Edit', { file_path: join(s.root, 'notes.txt'), old_string: 'a', new_string: 'b' })));
  assert.equal(edit, {}, 'allowed: no opinion, Claude Code\'s own permission rules go on');
  const ask = answer(await hook(srv, hookArgs(s, 'PreToolUse', 'Bash', { command: 'git push origin main' })));
  assert.is(ask.hookSpecificOutput.permissionDecision, 'ask', 'requireApproval becomes Claude Code\'s own question');
  // Bookkeeping tools and our own tools get no opinion and no record.
  const before = lines(auditDir);
  assert.equal(answer(await hook(srv, hookArgs(s, 'PreToolUse', 'ToolSearch', { query: 'x' }))), {});
  assert.equal(answer(await hook(srv, hookArgs(s, 'PreToolUse', 'mcp__aflock__bash', { command: 'ls' }))), {});
  assert.is(lines(auditDir), before);
  const preds = actionPredicates(auditDir);
  const native = preds.filter((p) => p.origin === 'native');
  assert.is(native.length, 6);
  assert.equal(native.map((p) => [p.toolName, p.decision]), [['Bash', 'deny'], ['Read', 'deny'], ['Write', 'deny'], ['Write', 'deny'], ['Edit', 'allow'], ['Bash', 'ask']]);
  assert.is(native[0].toolUseId, args.tool_use_id);
  assert.is(native[0].toolInput.command, 'cat .env');
  const v = await runCli(['verify', auditDir], { env: s.env });
  assert.is(v.code, 0, v.stdout);
  assert.match(v.stdout, /Bash\s+native\s+0\s+1\s+1/);
  await srv.close();
});

test('data flow across native calls: a Read of a secret, then curl and WebFetch are refused; PostToolUse is signed', async () => {
  const s = setup();
  const { srv, auditDir } = await start(s);
  const readArgs = hookArgs(s, 'PreToolUse', 'Read', { file_path: join(s.root, 'secrets', 'key.txt') });
  assert.equal(answer(await hook(srv, readArgs)), {});
  assert.equal(answer(await hook(srv, { ...readArgs, hook_event_name: 'PostToolUse' })), {});
  const curl = answer(await hook(srv, hookArgs(s, 'PreToolUse', 'Bash', { command: 'curl https://example.com/' })));
  assert.is(curl.hookSpecificOutput.permissionDecision, 'deny');
  assert.match(curl.hookSpecificOutput.permissionDecisionReason, /DataFlow policy denied/);
  const fetch = answer(await hook(srv, hookArgs(s, 'PreToolUse', 'WebFetch', { url: 'https://example.com/', prompt: 'x' })));
  assert.match(fetch.hookSpecificOutput.permissionDecisionReason, /DataFlow policy denied/);
  const session = json(await srv.call('get_session'));
  assert.ok(session.materials.some((m: { label: string }) => m.label === 'secret'));
  const outcomes = readdirSync(join(auditDir, 'attestations')).filter((f) => f.includes('native-outcome'));
  assert.is(outcomes.length, 1);
  const v = await runCli(['verify', auditDir], { env: s.env });
  assert.is(v.code, 0, v.stdout);
  await srv.close();
});

test('native Grep: a directory that may hold denied files is refused with the narrower way; one file is decided like a Read', async () => {
  const s = setup();
  const { srv } = await start(s);
  const tree = answer(await hook(srv, hookArgs(s, 'PreToolUse', 'Grep', { pattern: 'API_KEY', output_mode: 'content' })));
  assert.is(tree.hookSpecificOutput.permissionDecision, 'deny');
  assert.match(tree.hookSpecificOutput.permissionDecisionReason, /grep with Bash instead .* or Grep one file/);
  const env = answer(await hook(srv, hookArgs(s, 'PreToolUse', 'Grep', { pattern: 'API_KEY', path: join(s.root, '.env') })));
  assert.match(env.hookSpecificOutput.permissionDecisionReason, /matches deny pattern/);
  const one = answer(await hook(srv, hookArgs(s, 'PreToolUse', 'Grep', { pattern: 'k', path: join(s.root, 'secrets', 'key.txt') })));
  assert.equal(one, {});
  await srv.close();
});

test('limits count native calls', async () => {
  const s = setup({ ...POLICY, limits: { maxToolCalls: 2 } });
  const { srv } = await start(s);
  for (let i = 0; i < 2; i++) assert.equal(answer(await hook(srv, hookArgs(s, 'PreToolUse', 'Edit', { file_path: join(s.root, 'a.txt'), old_string: 'a', new_string: 'b' }))), {});
  const third = answer(await hook(srv, hookArgs(s, 'PreToolUse', 'Edit', { file_path: join(s.root, 'a.txt'), old_string: 'a', new_string: 'b' })));
  assert.match(third.hookSpecificOutput.permissionDecisionReason, /maxToolCalls exceeded/);
  await srv.close();
});

/** Runs a command hook (the CLI's `hook EVENT`, or the small entry) with `input` on stdin. */
function commandHook(s: Setup, event: string, input: object, small = false): Promise<{ code: number | null; stdout: string; stderr: string }> {
  if (!small) return runCli(['hook', event], { cwd: s.root, env: s.env, input: JSON.stringify(input) });
  return new Promise((done) => {
    const c = spawn(process.execPath, [resolve('dist/aflock-hook.cjs'), event], { cwd: s.root, env: s.env });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d) => (stdout += d));
    c.stderr.on('data', (d) => (stderr += d));
    c.on('close', (code) => done({ code, stdout, stderr }));
    c.stdin.end(JSON.stringify(input));
  });
}

test('command hook: asks the live server of the session over its socket; the record is in that session', async () => {
  const s = setup();
  const { srv, auditDir } = await start(s);
  const st = await import('node:fs').then((fs) => fs.statSync(join(s.runtime, 'aflock')));
  assert.is(st.mode & 0o777, 0o700);
  const input = { ...hookArgs(s, 'PreToolUse', 'Bash', { command: 'cat .env' }), tool_input: { command: 'cat .env' } };
  const r = await commandHook(s, 'PreToolUse', input);
  assert.is(r.code, 0, r.stderr);
  const a = JSON.parse(r.stdout);
  assert.is(a.hookSpecificOutput.permissionDecision, 'deny');
  assert.not.match(a.hookSpecificOutput.permissionDecisionReason, /alone/);
  if (testLeg() === 'node') {
    const small = await commandHook(s, 'PreToolUse', { ...input, tool_use_id: 'toolu_small' }, true);
    assert.is(JSON.parse(small.stdout).hookSpecificOutput.permissionDecision, 'deny', small.stderr);
  }
  const ids = actionPredicates(auditDir).filter((p) => p.origin === 'native').map((p) => p.toolUseId);
  assert.ok(ids.includes(input.tool_use_id), 'the live server recorded the command hook\'s call');
  await srv.close();
});

test('a second server of the same session does not take the live one\'s socket', async () => {
  const s = setup();
  const first = await start(s);
  const second = await start(s);
  assert.match(second.srv.stderr, /another live server of this session already listens/);
  const input = { ...hookArgs(s, 'PreToolUse', 'Read', { file_path: join(s.root, '.env') }), tool_input: { file_path: join(s.root, '.env') } };
  assert.is(JSON.parse((await commandHook(s, 'PreToolUse', input)).stdout).hookSpecificOutput.permissionDecision, 'deny');
  assert.ok(actionPredicates(first.auditDir).some((p) => p.toolUseId === input.tool_use_id), 'the first server decided');
  await second.srv.close();
  await first.srv.close();
});

test('command hook with no live server decides alone from the policy and says so; a directory open to others is not used', async () => {
  const s = setup();
  const input = { ...hookArgs(s, 'PreToolUse', 'Read', { file_path: join(s.root, '.env') }), tool_input: { file_path: join(s.root, '.env') } };
  const r = await commandHook(s, 'PreToolUse', input);
  assert.is(r.code, 0, r.stderr);
  const a = JSON.parse(r.stdout);
  assert.is(a.hookSpecificOutput.permissionDecision, 'deny');
  assert.match(a.hookSpecificOutput.permissionDecisionReason, /no live aflock server for this session: decided from .*\.aflock alone/);
  const sessions = readdirSync(join(s.home, 'sessions'));
  assert.is(sessions.length, 1, 'a record of its own');
  const p = actionPredicates(join(s.home, 'sessions', sessions[0]))[0];
  assert.is(p.origin, 'native');
  assert.match(p.reason, /alone/);
  // A socket directory others can open is refused by the server and by the hook.
  mkdirSync(join(s.runtime, 'aflock'), { recursive: true });
  chmodSync(join(s.runtime, 'aflock'), 0o777);
  const { srv } = await start(s);
  assert.match(srv.stderr, /not listening: .* open to other users/);
  const again = JSON.parse((await commandHook(s, 'PreToolUse', { ...input, tool_use_id: 'toolu_x2' })).stdout);
  assert.match(again.hookSpecificOutput.permissionDecisionReason, /open to other users.*alone/);
  await srv.close();
  // Outside any policy: no opinion.
  const elsewhere = dir('aflock-hook-nopolicy-');
  const none = await commandHook({ ...s, root: elsewhere, env: { ...s.env, CLAUDE_PROJECT_DIR: elsewhere } }, 'PreToolUse', { ...input, cwd: elsewhere });
  assert.equal(JSON.parse(none.stdout), {});
});

test('native Bash allowed: wrapped into aflock-mcp sandbox when the build has it, else left alone with the reason recorded', async () => {
  const s = setup();
  const { srv, auditDir } = await start(s);
  const help = await runCli(['--help'], { env: s.env });
  const hasSandbox = /aflock-mcp sandbox\b/.test(help.stdout);
  const a = answer(await hook(srv, hookArgs(s, 'PreToolUse', 'Bash', { command: 'echo ok', timeout: 5000, description: 'd' })));
  const last = actionPredicates(auditDir).at(-1);
  if (hasSandbox) {
    assert.is(a.hookSpecificOutput.permissionDecision, 'allow');
    assert.match(a.hookSpecificOutput.updatedInput.command, / sandbox --policy .* -- bash -c 'echo ok'$/);
    assert.is(a.hookSpecificOutput.updatedInput.timeout, 5000);
    assert.match(last.reason, /runs in the kernel sandbox/);
  } else {
    assert.equal(a, {});
    assert.match(last.reason, /native Bash is not sandboxed: this build has no 'aflock-mcp sandbox'/);
  }
  await srv.close();
  // With the policy's sandbox turned off nothing is wrapped, and the record says why.
  const off = setup({ ...POLICY, sandbox: { mode: 'off' } });
  const check = await runCli(['check-policy', join(off.root, '.aflock')], { env: off.env });
  if (check.code === 0) {
    const started = await start(off);
    assert.equal(answer(await hook(started.srv, hookArgs(off, 'PreToolUse', 'Bash', { command: 'echo ok' }))), {});
    assert.match(actionPredicates(started.auditDir).at(-1).reason, /sandbox\.mode "off"/);
    await started.srv.close();
  }
});

test.after(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

test.run();
