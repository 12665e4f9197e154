// Enforcement of the rest of the policy, through the MCP tools of the spawned server: identity constraints, limits
// (fail-fast and post-hoc, per session and per token), human approvals over elicitation, and sublayout tokens.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { RpcServer, actionPredicates, json, listeningPort, runCli, serverCommand, tempDir, text, type ToolResult } from '../helpers/rpc.ts';

const MODEL_VARS = ['AFLOCK_MODEL', 'ANTHROPIC_MODEL', 'CLAUDE_MODEL', 'CLAUDE_CODE_MODEL'];

function project(policy: object, files: Record<string, string> = {}): string {
  const root = tempDir();
  writeFileSync(join(root, '.aflock'), JSON.stringify(policy));
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), typeof content === 'string' ? content : JSON.stringify(content));
  }
  return root;
}

/** The test process's environment without any model variable, plus `extra`. */
function env(extra: Record<string, string> = {}): Record<string, string> {
  const e: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !MODEL_VARS.includes(k)) e[k] = v;
  return { ...e, AFLOCK_HOME: tempDir('aflock-home-'), ...extra };
}

async function started(root: string, opts: { env?: Record<string, string>; args?: string[]; capabilities?: Record<string, unknown> } = {}): Promise<RpcServer> {
  const s = new RpcServer(opts.args ?? [], { cwd: root, env: env(opts.env) });
  await s.initialize(opts.capabilities ?? {});
  return s;
}

const ok = (r: ToolResult) => assert.not.ok(r.isError, text(r));

/** Every signed action predicate of a session, in order. */
// ---------------------------------------------------------------------------------------------------- identity

test('get_identity: parent process from /proc, environment, self-reported model, hash and SPIFFE id bound to the policy', async () => {
  const s = await started(project({ tools: { allow: ['Bash'] } }), { args: ['--model', 'claude-opus-4-5-20251101'] });
  const id = json(await s.call('get_identity'));
  const policy = json(await s.call('get_policy'));
  assert.is(id.model, 'claude-opus-4-5-20251101');
  assert.is(id.modelVersion, '4.5.20251101');
  assert.is(id.modelSource, 'flag');
  assert.is(id.selfReported, true);
  assert.match(id.identityHash, /^[0-9a-f]{64}$/);
  assert.is(id.spiffeId, `spiffe://aflock.ai/agent/claude-opus-4-5-20251101/4-5-20251101/${id.identityHash.slice(0, 16)}`);
  assert.is(id.policyDigest, policy.digest);
  assert.ok(['local', 'container', 'kubernetes'].includes(id.environment.type));
  assert.is(id.parent.pid, process.pid, 'the parent is the process that spawned the server');
  if (process.platform === 'linux' && id.notes.length === 0) {
    assert.match(id.parent.startTime, /^\d+$/);
    assert.ok(id.parent.cmdline.length > 0);
    assert.is(id.parent.uid, process.getuid!());
    const exe = readFileSync(id.parent.exe);
    assert.is(id.parent.exeSha256, createHash('sha256').update(exe).digest('hex'));
  }
  assert.equal(id.admission, { admitted: true });
  // The token is bound to the same identity hash. (Adapted to the short token: the server keeps the identity hash
  // and subject by jti and get_token reports the hash; the token itself carries only iss, aud, exp and jti.)
  const issued = json(await s.call('get_token'));
  assert.is(issued.identityHash, id.identityHash);
  const claims = JSON.parse(Buffer.from(issued.token.split('.')[1], 'base64url').toString());
  assert.equal(Object.keys(claims).sort(), ['aud', 'exp', 'iss', 'jti']);
  assert.ok(issued.token.length < 300, `token is ${issued.token.length} characters`);
  await s.close();
});

test('get_identity: the model from the agent environment is marked as such', async () => {
  const s = await started(project({}), { env: { ANTHROPIC_MODEL: 'claude-sonnet-4-20250514' } });
  const id = json(await s.call('get_identity'));
  assert.is(id.model, 'claude-sonnet-4-20250514');
  assert.is(id.modelSource, 'environment');
  assert.is(id.selfReported, true);
  await s.close();
});

test('identity.allowedModels: a matching model gets tokens and guarded calls', async () => {
  const s = await started(project({ identity: { allowedModels: ['claude-opus-*', 'claude-sonnet-4'] }, tools: { allow: ['Bash'] } }), { args: ['--model', 'claude-opus-4-5'] });
  ok(await s.call('bash', { command: 'echo allowed' }));
  const tok = await s.call('get_token');
  ok(tok);
  ok(await s.call('bash', { command: 'echo with-token', _token: json(tok).token }));
  await s.close();
});

test('identity.allowedModels: another model gets no token and no guarded call, with the reason', async () => {
  const root = project({ identity: { allowedModels: ['claude-opus-*'] }, tools: { allow: ['Bash'] } });
  const s = await started(root, { args: ['--model', 'gpt-5'] });
  const b = await s.call('bash', { command: 'echo nope' });
  assert.ok(b.isError);
  assert.match(text(b), /^Authorization denied: identity: model 'gpt-5' \(self-reported\) is not in identity\.allowedModels \[claude-opus-\*\]/);
  const t = await s.call('get_token');
  assert.ok(t.isError);
  assert.match(text(t), /^Authorization denied: identity: model 'gpt-5'/);
  const check = json(await s.call('check_tool', { tool_name: 'Bash', tool_input: { command: 'echo x' } }));
  assert.equal([check.allowed, check.decision, check.rule], [false, 'deny', 'identity.allowedModels']);
  const id = json(await s.call('get_identity'));
  assert.is(id.admission.admitted, false);
  assert.is(id.admission.rule, 'identity.allowedModels');
  // The refusal is in the signed trail.
  const session = json(await s.call('get_session'));
  const refused = actionPredicates(session.auditDir).find((p) => p.toolName === 'Bash');
  assert.is(refused.decision, 'deny');
  assert.is(refused.matchedRule, 'identity.allowedModels');
  await s.close();
});

test('identity.allowedModels: an unknown model fails closed when a list is set', async () => {
  const s = await started(project({ identity: { allowedModels: ['*'] }, tools: { allow: ['Bash'] } }));
  assert.is(json(await s.call('get_identity')).model, 'unknown');
  const b = await s.call('bash', { command: 'echo nope' });
  assert.match(text(b), /^Authorization denied: identity: identity\.allowedModels is set and the agent's model is unknown/);
  assert.ok((await s.call('get_token')).isError);
  await s.close();
});

test('identity.allowedModels with AFLOCK_REQUIRE_TOKEN=1: no token in the initialize result', async () => {
  const s = new RpcServer(['--model', 'gpt-5'], { cwd: project({ identity: { allowedModels: ['claude-*'] } }), env: env({ AFLOCK_REQUIRE_TOKEN: '1' }) });
  const init = await s.initialize();
  assert.is(init.capabilities.experimental?.aflock, undefined);
  assert.match(s.stderr, /identity: model 'gpt-5'/);
  await s.close();
});

test('identity.allowedEnvironments: the environment the server runs in, and one it does not', async () => {
  const probe = await started(project({}));
  const type = json(await probe.call('get_identity')).environment.type;
  await probe.close();

  const yes = await started(project({ identity: { allowedEnvironments: ['kubernetes:never-this-namespace', type] }, tools: { allow: ['Bash'] } }));
  ok(await yes.call('bash', { command: 'echo here' }));
  ok(await yes.call('get_token'));
  await yes.close();

  const other = type === 'local' ? 'container' : 'local';
  const no = await started(project({ identity: { allowedEnvironments: [other] }, tools: { allow: ['Bash'] } }));
  const r = await no.call('bash', { command: 'echo here' });
  assert.match(text(r), new RegExp(`^Authorization denied: identity: environment '${type}[^']*' is not in identity\\.allowedEnvironments \\[${other}\\]`));
  assert.ok((await no.call('get_token')).isError);
  await no.close();
});

// ---------------------------------------------------------------------------------------------------- limits

test('maxToolCalls fail-fast: reaching the limit refuses the next call; denied calls count', async () => {
  const s = await started(project({ tools: { allow: ['Bash'], deny: ['Bash:rm *'] }, limits: { maxToolCalls: 3 } }));
  ok(await s.call('bash', { command: 'echo 1' }));
  assert.match(text(await s.call('bash', { command: 'rm -f nothing' })), /^Policy denied: Tool 'Bash' matches deny pattern/);
  ok(await s.call('check_tool', { tool_name: 'Bash', tool_input: { command: 'echo not counted' } }));
  ok(await s.call('bash', { command: 'echo 3' }));
  const fourth = await s.call('bash', { command: 'echo 4' });
  assert.ok(fourth.isError);
  assert.is(text(fourth), 'Policy denied: maxToolCalls exceeded: 3 >= 3 (session, fail-fast)');
  const session = json(await s.call('get_session'));
  const l = session.limits.session.limits.maxToolCalls;
  assert.is(l.value, 3);
  assert.is(l.enforcement, 'fail-fast');
  assert.is(l.observed, true);
  assert.is(l.current, 4);
  assert.is(l.state, 'exceeded');
  assert.is(l.effect, 'guarded calls are refused');
  assert.is(session.limits.session.toolCalls, 4);
  assert.is(session.limits.violations[0].outcome, 'refused');
  const refused = actionPredicates(session.auditDir).at(-1);
  assert.is(refused.decision, 'deny');
  assert.is(refused.matchedRule, 'limits.maxToolCalls');
  await s.close();
});

test('maxToolCalls post-hoc: calls run, each violation is in the trail and in get_session', async () => {
  const s = await started(project({ tools: { allow: ['Bash'] }, limits: { maxToolCalls: { value: 2, enforcement: 'post-hoc' } } }));
  for (let i = 1; i <= 4; i++) ok(await s.call('bash', { command: `echo ${i}` }));
  const session = json(await s.call('get_session'));
  const l = session.limits.session.limits.maxToolCalls;
  assert.is(l.state, 'exceeded');
  assert.is(l.violations, 2);
  assert.is(l.effect, 'guarded calls run; each is recorded as a violation');
  assert.equal(session.limits.violations.map((v: any) => [v.reason, v.outcome]), [
    ['maxToolCalls exceeded: 2 >= 2 (session, post-hoc)', 'allowed and recorded'],
    ['maxToolCalls exceeded: 3 >= 2 (session, post-hoc)', 'allowed and recorded'],
  ]);
  const preds = actionPredicates(session.auditDir);
  assert.is(preds.length, 4);
  assert.is(preds[1].matchedRule, undefined);
  assert.is(preds[2].decision, 'allow');
  assert.is(preds[2].matchedRule, 'limits.maxToolCalls');
  assert.match(preds[2].reason, /post-hoc limit: maxToolCalls exceeded: 2 >= 2/);
  await s.close();
});

test('maxWallTimeSeconds fail-fast: calls are refused once the session is that old', async () => {
  const s = await started(project({ tools: { allow: ['Bash'] }, limits: { maxWallTimeSeconds: 3 } }));
  const t0 = Date.now();
  ok(await s.call('bash', { command: 'echo early' }));
  await new Promise((r) => setTimeout(r, Math.max(0, 3200 - (Date.now() - t0))));
  const late = await s.call('bash', { command: 'echo late' });
  assert.match(text(late), /^Policy denied: maxWallTimeSeconds exceeded: [\d.]+ >= 3 \(session, fail-fast\)/);
  const l = json(await s.call('get_session')).limits.session.limits.maxWallTimeSeconds;
  assert.is(l.state, 'exceeded');
  assert.ok(l.current >= 3);
  await s.close();
});

test('maxWallTimeSeconds post-hoc, and limits the server cannot observe are reported as not observed', async () => {
  const limits = {
    maxWallTimeSeconds: { value: 0, enforcement: 'post-hoc' },
    maxSpendUSD: 5,
    maxTokensIn: 1000,
    maxTokensOut: { value: 500, enforcement: 'post-hoc' },
    maxTurns: 10,
  };
  const s = await started(project({ tools: { allow: ['Bash'] }, limits }));
  ok(await s.call('bash', { command: 'echo past the wall' }));
  const tok = json(await s.call('get_token'));
  assert.ok(tok.expiresIn !== '0s', 'a post-hoc wall-time limit does not kill the token');
  ok(await s.call('bash', { command: 'echo with token', _token: tok.token }));
  const session = json(await s.call('get_session'));
  const ls = session.limits.session.limits;
  assert.is(ls.maxWallTimeSeconds.state, 'exceeded');
  assert.is(ls.maxWallTimeSeconds.violations, 2);
  for (const name of ['maxSpendUSD', 'maxTokensIn', 'maxTokensOut', 'maxTurns']) {
    assert.is(ls[name].observed, false, name);
    assert.is(ls[name].state, 'not observed', name);
    assert.is(ls[name].current, undefined, `${name} has no counter, not a zero`);
    assert.type(ls[name].why, 'string');
  }
  assert.is(ls.maxTokensOut.enforcement, 'post-hoc');
  assert.is(session.metrics.costUSD, undefined);
  await s.close();
});

test('per-token limits: an attenuated token has its own counter, never looser, not reset by a refresh', async () => {
  const s = await started(project({ tools: { allow: ['Bash'] }, limits: { maxToolCalls: 10 } }));
  const root = json(await s.call('get_token')).token;
  const looser = await s.call('get_token', { _token: root, scope: { limits: { maxToolCalls: 20 } } });
  assert.match(text(looser), /^Authorization denied: scope\.limits\.maxToolCalls: 20 is looser than the parent's 10/);
  const postHoc = await s.call('get_token', { _token: root, scope: { limits: { maxToolCalls: { value: 5, enforcement: 'post-hoc' } } } });
  assert.match(text(postHoc), /post-hoc enforcement is looser than the parent's fail-fast/);
  const child = json(await s.call('get_token', { _token: root, scope: { limits: { maxToolCalls: 2 } } }));
  assert.equal(child.limits.maxToolCalls, { value: 2, enforcement: 'fail-fast' });
  ok(await s.call('bash', { command: 'echo c1', _token: child.token }));
  ok(await s.call('bash', { command: 'echo c2', _token: child.token }));
  const third = await s.call('bash', { command: 'echo c3', _token: child.token });
  assert.match(text(third), new RegExp(`^Policy denied: maxToolCalls exceeded: 2 >= 2 \\(token ${child.jti.slice(0, 8)}, fail-fast\\)`));
  const refreshed = json(await s.call('get_token', { _token: child.token }));
  assert.match(text(await s.call('bash', { command: 'echo c4', _token: refreshed.token })), /^Policy denied: maxToolCalls exceeded: 3 >= 2 \(token/);
  ok(await s.call('bash', { command: 'echo root', _token: root }));
  const session = json(await s.call('get_session'));
  assert.is(session.limits.session.toolCalls, 5, "the child's calls count against the session too");
  const t = session.limits.tokens.find((x: any) => x.jti === child.jti);
  assert.is(t.toolCalls, 4);
  assert.is(t.limits.maxToolCalls.state, 'exceeded');
  await s.close();
});

// ---------------------------------------------------------------------------------------------------- approvals

const ASK_POLICY = { tools: { allow: ['Bash', 'Write'], requireApproval: ['Bash:echo approve*', 'Write'] } };

async function sdkClient(root: string, answer: (req: any) => ElicitResult | Promise<ElicitResult>): Promise<{ client: Client; asked: any[]; close: () => Promise<void> }> {
  const [command, ...args] = serverCommand();
  const transport = new StdioClientTransport({ command, args, cwd: root, env: env(), stderr: 'pipe' });
  const client = new Client({ name: 'approver', version: '1.0.0' }, { capabilities: { elicitation: {} } });
  const asked: any[] = [];
  client.setRequestHandler(ElicitRequestSchema, async (req) => {
    asked.push(req.params);
    return answer(req.params);
  });
  await client.connect(transport);
  return { client, asked, close: () => client.close() };
}

const callText = (r: any) => (r.content as { text: string }[]).map((c) => c.text).join('');

test('approval over elicitation: accept runs the call (attested approved), decline and cancel refuse it (attested declined)', async () => {
  const answers: ElicitResult[] = [{ action: 'accept', content: { remember: false } }, { action: 'decline' }, { action: 'cancel' }];
  const root = project(ASK_POLICY);
  const { client, asked, close } = await sdkClient(root, () => answers.shift()!);

  const accepted: any = await client.callTool({ name: 'bash', arguments: { command: 'echo approve me' } });
  assert.not.ok(accepted.isError, callText(accepted));
  assert.is(JSON.parse(callText(accepted)).output, 'approve me');
  assert.is(asked.length, 1);
  assert.is(asked[0].mode ?? 'form', 'form');
  assert.match(asked[0].message, /Tool: Bash/);
  assert.match(asked[0].message, /"command": "echo approve me"/);
  assert.match(asked[0].message, /Rule: tools\.requireApproval 'Bash:echo approve\*'/);
  assert.is(asked[0].requestedSchema.properties.remember.type, 'boolean');

  const declined: any = await client.callTool({ name: 'bash', arguments: { command: 'echo approve me' } });
  assert.ok(declined.isError);
  assert.match(callText(declined), /^Policy denied: Tool 'Bash' requires approval \(matches 'Bash:echo approve\*'\); the user declined the approval request/);
  const cancelled: any = await client.callTool({ name: 'bash', arguments: { command: 'echo approve me' } });
  assert.match(callText(cancelled), /^Policy denied: .*the user cancelled the approval request/);
  assert.is(asked.length, 3, 'not remembered: every call asked again');

  ok((await client.callTool({ name: 'bash', arguments: { command: 'echo no approval needed' } })) as any);
  assert.is(asked.length, 3, 'calls that do not need approval are not asked about');

  const session = JSON.parse(callText(await client.callTool({ name: 'get_session', arguments: {} })));
  assert.equal(session.approvals.counts, { approved: 1, declined: 1, cancelled: 1, failed: 0, remembered: 0 });
  assert.equal(session.approvals.given.map((g: any) => g.outcome), ['approved', 'declined', 'cancelled']);
  assert.is(session.approvals.given[0].rule, 'Bash:echo approve*');
  assert.equal(session.approvals.given[0].arguments, { command: 'echo approve me' });
  const preds = actionPredicates(session.auditDir).filter((p) => p.toolName === 'Bash');
  assert.equal(preds.map((p) => p.decision), ['approved', 'declined', 'declined', 'allow']);
  assert.is(preds[0].matchedRule, 'Bash:echo approve*');
  assert.match(preds[0].reason, /approved by the user/);
  await close();
});

test('approval "remember": the same exact call runs without asking again; other arguments are asked about', async () => {
  const root = project(ASK_POLICY);
  const { client, asked, close } = await sdkClient(root, () => ({ action: 'accept', content: { remember: true } }));
  ok((await client.callTool({ name: 'bash', arguments: { command: 'echo approve once' } })) as any);
  ok((await client.callTool({ name: 'bash', arguments: { command: 'echo approve once' } })) as any);
  assert.is(asked.length, 1, 'the second identical call was not asked about');
  ok((await client.callTool({ name: 'bash', arguments: { command: 'echo approve twice' } })) as any);
  assert.is(asked.length, 2, 'a different command is asked about');
  // write_file: the approval binds the content, not only its length.
  ok((await client.callTool({ name: 'write_file', arguments: { path: 'a.txt', content: 'AAAA' } })) as any);
  assert.match(asked[2].message, /"content": "AAAA"/);
  ok((await client.callTool({ name: 'write_file', arguments: { path: 'a.txt', content: 'AAAA' } })) as any);
  assert.is(asked.length, 3);
  ok((await client.callTool({ name: 'write_file', arguments: { path: 'a.txt', content: 'BBBB' } })) as any);
  assert.is(asked.length, 4, 'same length, other content: asked again');
  const session = JSON.parse(callText(await client.callTool({ name: 'get_session', arguments: {} })));
  assert.is(session.approvals.counts.remembered, 2);
  assert.is(session.approvals.rememberedCalls, 4);
  assert.ok(session.approvals.given.some((g: any) => g.via === 'remembered' && g.outcome === 'approved'));
  const preds = actionPredicates(session.auditDir);
  assert.match(preds[1].reason, /approved earlier in this session \(remembered\)/);
  assert.is(preds[1].decision, 'approved');
  await close();
});

test('approval: the raw elicitation/create request, and a client without the capability is refused as before', async () => {
  const root = project(ASK_POLICY);
  const s = new RpcServer([], { cwd: root, env: env() });
  const seen: any[] = [];
  s.onRequest = (msg) => {
    seen.push(msg);
    return { action: 'accept', content: { remember: false } };
  };
  await s.initialize({ elicitation: {} });
  ok(await s.call('bash', { command: 'echo approve raw' }));
  assert.is(seen.length, 1);
  assert.is(seen[0].method, 'elicitation/create');
  assert.is(seen[0].params.requestedSchema.type, 'object');
  await s.close();

  const plain = await started(project(ASK_POLICY));
  const r = await plain.call('bash', { command: 'echo approve me' });
  assert.ok(r.isError);
  assert.is(text(r), "Policy requires approval: Tool 'Bash' requires approval (matches 'Bash:echo approve*')");
  const session = json(await plain.call('get_session'));
  assert.equal(session.approvals.counts, { approved: 0, declined: 0, cancelled: 0, failed: 0, remembered: 0 });
  assert.is(actionPredicates(session.auditDir)[0].decision, 'ask');
  await plain.close();
});

test('approval over HTTP: the question goes to the client of the call, on its own connection', async () => {
  const root = project(ASK_POLICY);
  const dir = tempDir('aflock-secret-');
  chmodSync(dir, 0o700);
  const secretPath = join(dir, 'bootstrap');
  writeFileSync(secretPath, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600 });
  const [cmd, ...pre] = serverCommand();
  const child = spawn(cmd, [...pre, 'serve', '--http', '--port', '0', '--bootstrap-secret-file', secretPath], { cwd: root, env: env(), stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    const port = await listeningPort(child);
    const url = new URL(`http://127.0.0.1:${port}/mcp`);
    const first = new Client({ name: 'bootstrapper', version: '1' });
    await first.connect(new StreamableHTTPClientTransport(url));
    const boot: any = await first.callTool({ name: 'get_token', arguments: { _bootstrap: readFileSync(secretPath, 'utf8').trim() } });
    assert.not.ok(boot.isError, callText(boot));
    const token = JSON.parse(callText(boot)).token;
    await first.close();

    const asked: any[] = [];
    const approver = new Client({ name: 'approver', version: '1' }, { capabilities: { elicitation: {} } });
    approver.setRequestHandler(ElicitRequestSchema, async (req) => {
      asked.push(req.params);
      return asked.length === 1 ? { action: 'accept', content: { remember: false } } : { action: 'decline' };
    });
    await approver.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
    const yes: any = await approver.callTool({ name: 'bash', arguments: { command: 'echo approve http', _token: token } });
    assert.not.ok(yes.isError, callText(yes));
    assert.is(JSON.parse(callText(yes)).output, 'approve http');
    const no: any = await approver.callTool({ name: 'bash', arguments: { command: 'echo approve http', _token: token } });
    assert.match(callText(no), /the user declined the approval request/);
    assert.is(asked.length, 2);
    assert.match(asked[0].message, /"command": "echo approve http"/);
    await approver.close();
  } finally {
    child.kill('SIGTERM');
  }
});

// ---------------------------------------------------------------------------------------------------- sublayouts

const PARENT = {
  tools: { allow: ['Bash', 'Read', 'Write'] },
  limits: { maxToolCalls: 50 },
  sublayouts: [
    { name: 'reader', policy: 'sub/reader.aflock' },
    { name: 'echoer', tools: { allow: ['Bash:echo *'] }, limits: { maxToolCalls: 2 } },
  ],
};
const READER = { tools: { allow: ['Read'] }, files: { deny: ['secret.txt'] }, limits: { maxToolCalls: 5 } };

test('sublayout token: the intersection of the caller and the sub-policy, with the sub-policy limits', async () => {
  const root = project(PARENT, { 'sub/reader.aflock': JSON.stringify(READER), 'a.txt': 'alpha', 'secret.txt': 'shh' });
  const s = await started(root);
  const policy = json(await s.call('get_policy'));
  assert.equal(policy.sublayoutScopes.map((x: any) => x.name), ['reader', 'echoer']);
  const rootTok = json(await s.call('get_token')).token;

  const reader = json(await s.call('get_token', { _token: rootTok, scope: { sublayout: 'reader' } }));
  assert.is(reader.sublayout, 'reader');
  assert.equal(reader.allowedTools, ['Read']);
  assert.equal(reader.limits.maxToolCalls, { value: 5, enforcement: 'fail-fast' });
  assert.is(text(await s.call('read_file', { path: 'a.txt', _token: reader.token })), 'alpha');
  assert.match(text(await s.call('read_file', { path: 'secret.txt', _token: reader.token })), /^Policy denied: sublayout 'reader': File '.*secret\.txt' matches deny pattern 'secret\.txt'/);
  assert.is(text(await s.call('read_file', { path: 'secret.txt', _token: rootTok })), 'shh', 'the parent itself may read it');
  assert.match(text(await s.call('bash', { command: 'echo hi', _token: reader.token })), /^Authorization denied: tool 'Bash' not permitted by token scope/);

  // A caller narrower than the sublayout gets the intersection: Bash-only caller x Read-only sublayout = nothing.
  const bashOnly = json(await s.call('get_token', { _token: rootTok, scope: { tools: ['Bash'] } }));
  const none = json(await s.call('get_token', { _token: bashOnly.token, scope: { sublayout: 'reader' } }));
  assert.ok((await s.call('read_file', { path: 'a.txt', _token: none.token })).isError);
  assert.ok((await s.call('bash', { command: 'echo hi', _token: none.token })).isError);

  // Inline sub-policy with its own limit.
  const echoer = json(await s.call('get_token', { _token: rootTok, scope: { sublayout: 'echoer' } }));
  assert.equal(echoer.limits.maxToolCalls, { value: 2, enforcement: 'fail-fast' });
  assert.is(json(await s.call('bash', { command: 'echo inline', _token: echoer.token })).output, 'inline');
  assert.match(text(await s.call('bash', { command: 'ls', _token: echoer.token })), /^Policy denied: token scope: Bash command 'ls' is not in the allow list/);
  assert.match(text(await s.call('bash', { command: 'echo third', _token: echoer.token })), /^Policy denied: maxToolCalls exceeded: 2 >= 2 \(token \w+ \(sublayout echoer\), fail-fast\)/);

  const unknown = await s.call('get_token', { _token: rootTok, scope: { sublayout: 'writer' } });
  assert.is(text(unknown), "Authorization denied: the policy has no sublayout 'writer' (it has: reader, echoer)");
  const session = json(await s.call('get_session'));
  assert.ok(session.limits.tokens.some((t: any) => t.sublayout === 'echoer' && t.toolCalls === 3));
  await s.close();
});

test('a sub-policy that would widen the parent is refused at load with exit 2', async () => {
  const cases: [object, Record<string, string>, RegExp][] = [
    [{ limits: { maxToolCalls: 5 }, sublayouts: [{ name: 'big', limits: { maxToolCalls: 10 } }] }, {}, /sublayout 'big' would widen the policy or is invalid: sublayouts\[0\]\.limits\.maxToolCalls: 10 is looser than the parent's 5/],
    [{ limits: { maxToolCalls: 5 }, sublayouts: [{ name: 'soft', limits: { maxToolCalls: { value: 3, enforcement: 'post-hoc' } } }] }, {}, /maxToolCalls: post-hoc enforcement is looser than the parent's fail-fast/],
    [{ tools: { allow: ['Read'] }, sublayouts: [{ name: 'w', policy: 'w.aflock' }] }, { 'w.aflock': JSON.stringify({ tools: { allow: ['Read', 'Write'] } }) }, /tools\.allow: 'Write' is not covered by the parent's tools\.allow \[Read\]/],
    [{ tools: { allow: ['Bash:git *'] }, sublayouts: [{ name: 'b', tools: { allow: ['Bash'] } }] }, {}, /'Bash' is not covered by the parent's tools\.allow/],
    [{ files: { allow: ['src/**'] }, sublayouts: [{ name: 'f', policy: 'f.aflock' }] }, { 'f.aflock': JSON.stringify({ files: { allow: ['src/**', '/etc/*'] } }) }, /files\.allow: '\/etc\/\*' is not covered/],
    [{ limits: { maxWallTimeSeconds: 60 }, sublayouts: [{ name: 'l', policy: 'l.aflock' }] }, { 'l.aflock': JSON.stringify({ limits: { maxWallTimeSeconds: 600 } }) }, /maxWallTimeSeconds: 600 is looser than the parent's 60/],
    [{ sublayouts: [{ name: 'd', policy: 'd.aflock', policyDigest: { sha256: '0'.repeat(64) } }] }, { 'd.aflock': '{}' }, /policyDigest\.sha256: .*d\.aflock has SHA-256 [0-9a-f]{64}, not 0{64}/],
    [{ sublayouts: [{ name: 'm', policy: 'missing.aflock' }] }, {}, /sublayouts\[0\]\.policy: cannot read .*missing\.aflock: ENOENT/],
    [{ sublayouts: [{ name: 'x', policy: 'x.aflock' }] }, { 'x.aflock': JSON.stringify({ tools: { alow: [] } }) }, /sublayouts\[0\] \('x'\): .*x\.aflock: tools: unknown key "alow"/],
    [{ sublayouts: [{ name: 'a' }, { name: 'a' }] }, {}, /sublayouts\[1\]\.name: 'a' is already used/],
  ];
  for (const [policy, files, expected] of cases) {
    const root = project(policy, files);
    const r = await runCli(['serve'], { cwd: root, env: env() });
    assert.is(r.code, 2, `${JSON.stringify(policy)}: ${r.stderr}`);
    assert.match(r.stderr, expected);
    const check = await runCli(['check-policy'], { cwd: root, env: env() });
    assert.is(check.code, 2);
  }
  // Narrower sub-policies load: covered patterns, lower limits, missing sections inherited.
  const fine = project(
    { tools: { allow: ['Bash:git *', 'Read'] }, files: { allow: ['src/**'] }, limits: { maxToolCalls: 5 }, sublayouts: [{ name: 'n', policy: 'n.aflock', limits: { maxToolCalls: 4 } }] },
    { 'n.aflock': JSON.stringify({ tools: { allow: ['Bash:git status*', 'Read'] }, files: { allow: ['src/lib/**', 'src/*.ts'] }, limits: { maxToolCalls: 3 } }) },
  );
  const s = await started(fine);
  const scopes = json(await s.call('get_policy')).sublayoutScopes;
  assert.equal(scopes[0].limits.maxToolCalls, { value: 3, enforcement: 'fail-fast' });
  await s.close();
});

test.run();
