// Smoke suite: the documented limits (docs/limits.md) each answer with a clear error that names the limit, and the
// server goes on serving. Message size, nesting depth and command size are in input.test.ts; HTTP's in http.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { RpcServer, json, serverCommand, tempDir, text } from '../helpers/rpc.ts';

const MiB = 1024 * 1024;

function project(files: Record<string, string | Buffer> = {}): string {
  const root = tempDir();
  writeFileSync(join(root, '.aflock'), JSON.stringify({ tools: { allow: ['Bash', 'Read', 'Write'] } }));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(root, name), content);
  return root;
}

async function started(root: string): Promise<RpcServer> {
  const s = new RpcServer([], { cwd: root, env: { ...process.env, AFLOCK_HOME: tempDir('aflock-home-') } });
  await s.initialize();
  return s;
}

test('bash output over 1 MiB is cut at 1 MiB and says how much was dropped', async () => {
  const s = await started(project());
  try {
    const r = await s.call('bash', { command: 'head -c 3145728 /dev/zero | tr "\\0" a' }, 30000);
    assert.not.ok(r.isError, text(r).slice(0, 200));
    const out = json(r);
    assert.is(out.truncated, true);
    assert.ok(out.output.startsWith('a'.repeat(1000)));
    assert.match(out.output, /\n\[aflock: output truncated, 2097152 more bytes dropped\]$/);
    assert.is(out.output.length, MiB + '\n[aflock: output truncated, 2097152 more bytes dropped]'.length);
    assert.is(json(await s.call('bash', { command: 'echo next' })).output, 'next');
  } finally {
    s.kill();
  }
});

test('bash timeout: 30 s by default, at most 600; a command past its timeout is killed and says so', async () => {
  const s = await started(project());
  try {
    const t0 = Date.now();
    const r = json(await s.call('bash', { command: 'sleep 20', timeout: 1 }, 15000));
    const ms = Date.now() - t0;
    assert.match(r.error, /^timed out after 1s \((sandbox|process group) killed\)$/);
    assert.ok(ms < 10000, `took ${ms} ms`);
    // The tool's input schema refuses these before the handler (whose own check says the same in words).
    for (const [timeout, why] of [[0, />0 at timeout/], [601, /<=600 at timeout/], [-1, />0 at timeout/]] as const) {
      const bad = await s.call('bash', { command: 'echo x', timeout });
      assert.ok(bad.isError);
      assert.match(text(bad), /Input validation error: Invalid arguments for tool bash/);
      assert.match(text(bad), why);
    }
    assert.is(json(await s.call('bash', { command: 'echo next' })).output, 'next');
  } finally {
    s.kill();
  }
});

test('read_file over 8 MiB and write_file content over 8 MiB are refused with the limit; 8 MiB exactly works', async () => {
  const root = project({ 'big.txt': Buffer.alloc(8 * MiB + 1, 'r'), 'fits.txt': Buffer.alloc(8 * MiB, 'f') });
  const s = await started(root);
  try {
    const read = await s.call('read_file', { path: 'big.txt' }, 30000);
    assert.ok(read.isError);
    assert.is(text(read), `Read failed: 'big.txt' is ${8 * MiB + 1} bytes; read_file returns at most ${8 * MiB}`);
    const fits = await s.call('read_file', { path: 'fits.txt' }, 30000);
    assert.not.ok(fits.isError);
    assert.is(text(fits).length, 8 * MiB);
    const write = await s.call('write_file', { path: 'out.txt', content: 'w'.repeat(8 * MiB + 1) }, 30000);
    assert.ok(write.isError);
    assert.is(text(write), `content is ${8 * MiB + 1} bytes; write_file accepts at most ${8 * MiB}`);
    assert.not.ok(existsSync(join(root, 'out.txt')));
    const ok = await s.call('write_file', { path: 'out.txt', content: 'w'.repeat(8 * MiB) }, 30000);
    assert.not.ok(ok.isError, text(ok));
    assert.is(readFileSync(join(root, 'out.txt')).length, 8 * MiB);
  } finally {
    s.kill();
  }
});

test('SDK client: an answer over 9 MiB once escaped (bash output of control characters, a file of quotes) is a tool error, not a dropped connection', async () => {
  const root = project({ 'quotes.txt': Buffer.alloc(8 * MiB, '"') });
  const [command, ...args] = serverCommand();
  const transport = new StdioClientTransport({ command, args, cwd: root, env: { ...process.env, AFLOCK_HOME: tempDir('aflock-home-') } as Record<string, string>, stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (d) => (stderr += d));
  const client = new Client({ name: 'aflock-limits-test', version: '1' });
  const errors: string[] = [];
  await client.connect(transport);
  client.onerror = (e) => errors.push(e.message);
  try {
    // 1 MiB of \x01 is 6 MiB escaped, twice (text and structuredContent): 13 MiB, past the SDK client's 10 MiB.
    const big = (await client.callTool({ name: 'bash', arguments: { command: "head -c 1048576 /dev/zero | tr '\\0' '\\1'" } }, undefined, { timeout: 60000 })) as any;
    assert.is(big.isError, true);
    assert.match(big.content[0].text, /^Result too large: the answer is \d+ bytes .* over the 9 MiB limit per message/);
    const quotes = (await client.callTool({ name: 'read_file', arguments: { path: 'quotes.txt' } }, undefined, { timeout: 60000 })) as any;
    assert.is(quotes.isError, true);
    assert.match(quotes.content[0].text, /^Result too large/);
    const after = (await client.callTool({ name: 'bash', arguments: { command: 'echo connection kept' } })) as any;
    assert.is(JSON.parse(after.content[0].text).output, 'connection kept');
    assert.equal(errors, [], 'the client saw no transport error');
  } finally {
    await client.close();
  }
  assert.match(stderr, /over the 9 MiB limit per message .*sent an error instead/);
});

test.run();
