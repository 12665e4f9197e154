// Smoke suite: bad and oversized input on stdio. Every case gets an answer (a JSON-RPC error with the request's id
// when it can be read, else id null, and a stderr line) and the server keeps serving: calls in flight are answered,
// the next call works, nothing exits. The message limit (64 MiB) leaves room for write_file's 8 MiB of content at
// its worst JSON escaping (\u00XX: six bytes per byte).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { RpcServer, json, serverCommand, tempDir, text } from '../helpers/rpc.ts';

const LIMIT = 64 * 1024 * 1024;
const POLICY = { tools: { allow: ['Bash', 'Read', 'Write', 'sign_attestation'] } };

function project(): string {
  const root = tempDir();
  writeFileSync(join(root, '.aflock'), JSON.stringify(POLICY));
  return root;
}

async function started(root = project()): Promise<RpcServer> {
  const s = new RpcServer([], { cwd: root, env: { ...process.env, AFLOCK_HOME: tempDir('aflock-home-') } });
  await s.initialize();
  return s;
}

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

test('a message over the limit gets an error with its id; a call in flight and the next call are answered', async () => {
  const root = project();
  const s = await started(root);
  try {
    const slow = s.call('bash', { command: 'sleep 1; echo slow' }, 60000);
    // params first, with an "id" inside it, and the top-level id last: only the top-level one may be answered.
    const head = '{"jsonrpc":"2.0","method":"tools/call","params":{"name":"write_file","arguments":{"id":5,"path":"big.txt","content":"';
    const tail = '"}},"id":90001}\n';
    await s.writeRaw(Buffer.concat([Buffer.from(head), Buffer.alloc(LIMIT + 1024, 'a'), Buffer.from(tail)]));
    const err = await s.waitUnmatched((m) => m.id === 90001);
    assert.is(err.error.code, -32600);
    assert.match(err.error.message, /the limit is 67108864 bytes \(64 MiB\) per message/);
    assert.not.ok(s.unmatched.some((m) => m.id === 5), 'the nested id was not answered');
    assert.is(json(await slow).output, 'slow', 'the call in flight was answered');
    const next = await s.call('bash', { command: 'echo still serving' });
    assert.is(json(next).output, 'still serving');
    assert.not.ok(existsSync(join(root, 'big.txt')), 'the oversized write did not happen');
    assert.match(s.stderr, /the message is \d+ bytes .*the limit is 67108864 bytes .*request id 90001/);
    assert.is(await s.close(), 0, s.stderr);
  } finally {
    s.kill();
  }
});

test('an oversized line with no readable id is answered with id null and a stderr line, and reading goes on', async () => {
  const s = await started();
  try {
    await s.writeRaw(Buffer.concat([Buffer.alloc(LIMIT + 10, 'x'), Buffer.from('\n')]));
    const err = await s.waitUnmatched((m) => m.id === null && /limit/.test(m.error?.message));
    assert.is(err.error.code, -32600);
    assert.match(s.stderr, /its id could not be read/);
    const { tools } = await s.request('tools/list');
    assert.ok(tools.length >= 9);
    assert.is(await s.close(), 0, s.stderr);
  } finally {
    s.kill();
  }
});

test('write_file of the full 8 MiB at the worst JSON escaping (48 MiB on the wire) is written exactly', async () => {
  const root = project();
  const s = await started(root);
  try {
    const content = '\u0001'.repeat(8 * 1024 * 1024); // each one is \u0001 in JSON: 6 bytes
    const r = await s.call('write_file', { path: 'ctl.bin', content }, 120000);
    assert.not.ok(r.isError, text(r));
    assert.is(sha256(readFileSync(join(root, 'ctl.bin'))), sha256(content));
    assert.is(json(await s.call('bash', { command: 'echo after' })).output, 'after');
    assert.is(await s.close(), 0, s.stderr);
  } finally {
    s.kill();
  }
});

test('SDK client: 6 MiB of " (12 MiB escaped) is written; a message over the limit is an McpError and the client goes on', async () => {
  const root = project();
  const [command, ...args] = serverCommand();
  const transport = new StdioClientTransport({ command, args, cwd: root, env: { ...process.env, AFLOCK_HOME: tempDir('aflock-home-') } as Record<string, string>, stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (d) => (stderr += d));
  const client = new Client({ name: 'aflock-input-test', version: '1' });
  await client.connect(transport);
  try {
    const quotes = '"'.repeat(6 * 1024 * 1024);
    const w = await client.callTool({ name: 'write_file', arguments: { path: 'quotes.txt', content: quotes } }, undefined, { timeout: 120000 });
    assert.not.ok(w.isError, JSON.stringify(w).slice(0, 300));
    assert.is(sha256(readFileSync(join(root, 'quotes.txt'))), sha256(quotes));

    let refused: any = null;
    try {
      await client.callTool({ name: 'write_file', arguments: { path: 'huge.txt', content: 'b'.repeat(LIMIT) } }, undefined, { timeout: 120000 });
    } catch (e) {
      refused = e;
    }
    assert.ok(refused, 'the oversized call was refused');
    assert.is(refused.code, -32600);
    assert.match(refused.message, /limit is 67108864 bytes/);
    assert.not.ok(existsSync(join(root, 'huge.txt')));
    const r = await client.callTool({ name: 'bash', arguments: { command: 'echo sdk still here' } });
    assert.is(JSON.parse((r.content as any)[0].text).output, 'sdk still here');
  } finally {
    await client.close();
  }
  assert.match(stderr, /the limit is 67108864 bytes/);
});

test('a line that is not JSON gets -32700 with id null and a stderr line; the server keeps serving', async () => {
  const s = await started();
  try {
    await s.writeRaw('this is not json\n');
    const err = await s.waitUnmatched((m) => m.error?.code === -32700);
    assert.is(err.id, null);
    assert.match(err.error.message, /^Parse error/);
    assert.match(s.stderr, /a line on stdin is not JSON/);
    assert.is(json(await s.call('bash', { command: 'echo ok' })).output, 'ok');
  } finally {
    s.kill();
  }
});

test('params that is not an object, a batch, a fractional id: -32600 (with the id when usable); a bad notification: stderr only', async () => {
  const s = await started();
  try {
    await s.writeRaw('{"jsonrpc":"2.0","id":77,"method":"tools/call","params":"bash"}\n');
    const a = await s.waitUnmatched((m) => m.id === 77);
    assert.is(a.error.code, -32600);
    assert.match(a.error.message, /params must be an object, not a string/);
    await s.writeRaw('{"jsonrpc":"2.0","id":"s-78","method":"tools/list","params":[1,2]}\n');
    const b = await s.waitUnmatched((m) => m.id === 's-78');
    assert.match(b.error.message, /params must be an object, not an array/);
    await s.writeRaw('[{"jsonrpc":"2.0","id":79,"method":"tools/list"}]\n');
    const c = await s.waitUnmatched((m) => m.id === null && /batches/.test(m.error?.message));
    assert.is(c.error.code, -32600);
    await s.writeRaw('{"jsonrpc":"2.0","id":1.5,"method":"tools/list"}\n');
    await s.waitUnmatched((m) => m.id === null && /id must be a string or an integer/.test(m.error?.message));
    const before = s.unmatched.length;
    await s.writeRaw('{"jsonrpc":"2.0","method":"notifications/initialized","params":7}\n');
    const { tools } = await s.request('tools/list');
    assert.ok(tools.length >= 9, 'still serving');
    assert.is(s.unmatched.length, before, 'a notification is never answered');
    assert.match(s.stderr, /invalid JSON-RPC message on stdin: params must be an object, not a number/);
    assert.is(await s.close(), 0, s.stderr);
  } finally {
    s.kill();
  }
});

test('stdin ending inside a message is said on stderr; the exit is the normal one', async () => {
  const s = await started();
  try {
    await s.writeRaw('{"jsonrpc":"2.0","id":5,"method":"tools/li');
    assert.is(await s.close(), 0);
    assert.match(s.stderr, /stdin ended in the middle of a message \(\d+ bytes with no newline\)/);
  } finally {
    s.kill();
  }
});

test('AFLOCK_HOME under /proc: start-up does not spin; the trail is unavailable, said on stderr, and guarded calls are refused', async () => {
  if (!existsSync('/proc/self')) return; // procfs is Linux's
  for (const home of ['/proc/self', '/proc/self/fd/x']) {
    const s = new RpcServer([], { cwd: project(), env: { ...process.env, AFLOCK_HOME: home } });
    try {
      await s.initialize(); // times out (10 s) if start-up hangs
      assert.match(s.stderr, /audit trail unavailable: cannot create audit trail \/proc\/self\/.*(does not allow creating|ENOENT|ENOTDIR|permission denied|Requires all access).*; guarded tools will refuse every call/);
      const r = await s.call('bash', { command: 'echo should not run' });
      assert.ok(r.isError);
      assert.match(text(r), /audit trail/);
      assert.is(await s.close(), 0, s.stderr);
    } finally {
      s.kill();
    }
  }
});

test('a 100k-deep argument is refused as too deep (not as a trail failure), check_tool and sign_attestation alike', async () => {
  const s = await started();
  try {
    const deep = `${'['.repeat(100000)}${']'.repeat(100000)}`;
    await s.writeRaw(`{"jsonrpc":"2.0","id":601,"method":"tools/call","params":{"name":"check_tool","arguments":{"tool_name":"Bash","tool_input":{"command":"ls","x":${deep}}}}}\n`);
    await s.writeRaw(`{"jsonrpc":"2.0","id":602,"method":"tools/call","params":{"name":"sign_attestation","arguments":{"predicate_type":"https://example.com/p","predicate":{"x":${deep}}}}}\n`);
    for (const id of [601, 602]) {
      const e = await s.waitUnmatched((m) => m.id === id);
      assert.is(e.error.code, -32600);
      assert.match(e.error.message, /nests objects\/arrays more than 64 levels deep/);
    }
    // 60 levels inside the predicate (64 in the whole message) is fine.
    const ok = await s.call('sign_attestation', { predicate_type: 'https://example.com/p', predicate: { x: JSON.parse(`${'['.repeat(58)}1${']'.repeat(58)}`) } });
    assert.not.ok(ok.isError, text(ok));
    assert.is(json(await s.call('bash', { command: 'echo fine' })).output, 'fine');
  } finally {
    s.kill();
  }
});

test('a command over the OS argument limit is refused up front with the limit, not run and not recorded as allowed', async () => {
  const s = await started();
  try {
    const over = `echo ${'a'.repeat(128 * 1024)}`;
    const r = await s.call('bash', { command: over }, 30000);
    assert.ok(r.isError);
    assert.match(text(r), /^command is 131077 bytes; the limit is 131071 bytes/);
    // check_tool agrees with bash, without analysing the command.
    const check = json(await s.call('check_tool', { tool_name: 'Bash', tool_input: { command: over } }, 30000));
    assert.is(check.decision, 'deny');
    assert.match(check.reason, /^command is 131077 bytes; the limit is 131071 bytes/);
    const session = json(await s.call('get_session'));
    const audit = readFileSync(join(session.auditDir, 'audit.jsonl'), 'utf8');
    assert.not.ok(audit.includes('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'), 'the refused command left no record');
    // Exactly at the limit, it runs.
    const n = 131071 - 'echo  | wc -c'.length;
    const at = `echo ${'b'.repeat(n)} | wc -c`;
    assert.is(at.length, 131071);
    const ok = await s.call('bash', { command: at }, 30000);
    assert.not.ok(ok.isError, text(ok).slice(0, 300));
    assert.is(json(ok).output, String(n + 1));
  } finally {
    s.kill();
  }
});

test.run();
