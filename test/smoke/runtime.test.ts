// Runs once per leg (node bundle, single executable, Deno; see test/run.mjs): an empty environment, NODE_OPTIONS,
// the inspector signal, `init` and the shipped JSON Schema, each through the server as that leg starts it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { RpcServer, json, runCli, serverCommand, tempDir, testLeg, text } from '../helpers/rpc.ts';

const leg = testLeg();
const cmd = serverCommand();

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, AFLOCK_HOME: tempDir('aflock-home-') };
  delete e.NODE_OPTIONS;
  return { ...e, ...extra };
}

/** The command as a user with an empty environment would type it. Deno is found through a PATH holding only deno. */
function emptyEnvCommand(): { command: string[]; env: NodeJS.ProcessEnv } {
  if (leg !== 'deno') return { command: cmd, env: {} };
  const bin = tempDir('aflock-only-deno-');
  symlinkSync(cmd[0], join(bin, 'deno'));
  return { command: ['deno', ...cmd.slice(1)], env: { PATH: bin } };
}

test(`${leg}: empty environment (env -i): initialize, tools/list, guarded calls, exit 0 on stdin EOF`, async () => {
  const root = tempDir();
  writeFileSync(join(root, '.aflock'), JSON.stringify({ tools: { allow: ['Bash', 'Read', 'Write'] } }));
  const { command, env: e } = emptyEnvCommand();
  const s = new RpcServer([], { cwd: root, env: e, command });
  let trail: string | undefined;
  try {
    const init = await s.initialize();
    assert.is(init.serverInfo.name, 'aflock');
    const { tools } = await s.request('tools/list');
    assert.is(tools.length >= 9, true, `${tools.length} tools`);
    const w = await s.call('write_file', { path: 'out.txt', content: 'from an empty env' });
    assert.not.ok(w.isError, text(w));
    assert.is(readFileSync(join(root, 'out.txt'), 'utf8'), 'from an empty env');
    const r = await s.call('bash', { command: 'echo hi' });
    if (leg === 'deno') {
      // PATH holds only deno, so there is no bubblewrap to find: the sandbox cannot be made and bash refuses, clearly.
      assert.ok(r.isError);
      assert.match(text(r), /^Sandbox unavailable: bubblewrap \(bwrap\) is not on PATH/);
    } else {
      assert.is(json(r).output, 'hi');
    }
    const denied = await s.call('read_file', { path: '/etc/hostname' });
    assert.ok(denied.isError);
    assert.is(await s.close(), 0, s.stderr);
    // No HOME, no AFLOCK_HOME: the trail goes under the account's home directory (from the password database).
    trail = s.stderr.match(/, trail (\S+)/)?.[1];
    assert.ok(trail, `no trail in: ${s.stderr}`);
    assert.ok(trail!.startsWith(join(userInfo().homedir, '.aflock', 'sessions') + '/'), trail);
    const lines = readFileSync(join(trail!, 'audit.jsonl'), 'utf8').trim().split('\n');
    assert.ok(lines.length >= 2, `audit lines: ${lines.length}`);
  } finally {
    s.kill();
    if (trail && basename(trail).startsWith('mcp-')) rmSync(trail, { recursive: true, force: true });
  }
});

test(`${leg}: NODE_OPTIONS cannot put code in the enforcer`, async () => {
  const dir = tempDir();
  const witness = join(dir, 'preload-ran');
  const probe = join(dir, 'evil.cjs');
  writeFileSync(probe, `require('fs').writeFileSync(${JSON.stringify(witness)}, 'ran');`);
  const r = await runCli(['--version'], { env: env({ NODE_OPTIONS: `--require ${probe}` }) });
  if (leg === 'sea') {
    // The executable never reads NODE_OPTIONS: the preload does not run and the server works.
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout.trim(), JSON.parse(readFileSync('package.json', 'utf8')).version);
    assert.not.ok(existsSync(witness), 'the preload ran inside the executable');
    assert.match(r.stderr, /NODE_OPTIONS is set; this executable ignores it/);
  } else {
    // node and deno apply NODE_OPTIONS before our first line (measured: the preload runs); we refuse to serve.
    assert.is(r.code, 2, r.stderr);
    assert.is(r.stdout, '');
    assert.match(r.stderr, /^aflock-mcp: refusing to start: NODE_OPTIONS holds --require/);
    assert.ok(existsSync(witness), 'expected the runtime to have run the preload (this is why we refuse)');
  }
  const inspect = await runCli(['--version'], { env: env({ NODE_OPTIONS: '--inspect=127.0.0.1:0' }) });
  if (leg === 'sea') {
    assert.is(inspect.code, 0, inspect.stderr);
    assert.not.match(inspect.stderr, /Debugger listening/);
  } else {
    // The runtime opened the debugger before we ran (it says so on stderr); we refuse to go on from there.
    assert.is(inspect.code, 2, inspect.stderr);
    assert.match(inspect.stderr, /refusing to start: NODE_OPTIONS holds --inspect/);
  }
  if (leg === 'node') {
    const harmless = await runCli(['--version'], { env: env({ NODE_OPTIONS: '--max-old-space-size=256 --no-warnings' }) });
    assert.is(harmless.code, 0, harmless.stderr);
  }
});

test(`${leg}: SIGUSR1 does not open the Node inspector`, async () => {
  if (leg === 'deno') return; // Deno has no inspector-on-signal
  const root = tempDir();
  const s = new RpcServer([], { cwd: root, env: env() });
  try {
    await s.initialize();
    s.child.kill('SIGUSR1');
    const deadline = Date.now() + 10000;
    while (!s.stderr.includes('SIGUSR1 ignored') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.match(s.stderr, /SIGUSR1 ignored/);
    assert.not.match(s.stderr, /Debugger listening/);
    assert.ok((await s.request('tools/list')).tools.length >= 9, 'still serving');
    assert.is(await s.close(), 0);
  } finally {
    s.kill();
  }
});

test(`${leg}: deno run --no-prompt with no permission flag serves MCP, denies everything, says why in one line`, async () => {
  if (leg !== 'deno') return;
  const bare = [cmd[0], 'run', '--no-prompt', cmd[cmd.length - 1]];
  const root = tempDir();
  writeFileSync(join(root, '.aflock'), JSON.stringify({ tools: { allow: ['Bash', 'Read', 'Write'] } }));
  const s = new RpcServer([], { cwd: root, env: env(), command: bare });
  try {
    await s.initialize();
    assert.ok((await s.request('tools/list')).tools.length >= 9);
    const check = json(await s.call('check_tool', { tool_name: 'Read', tool_input: { file_path: 'x' } }));
    assert.is(check.decision, 'deny', 'the policy could not be read, so nothing is allowed');
    const b = await s.call('bash', { command: 'echo hi' });
    assert.ok(b.isError, text(b));
    const id = await s.call('get_identity');
    assert.not.ok(id.isError, text(id));
    assert.is(await s.close(), 0, s.stderr);
    const summary = s.stderr.split('\n').filter((l) => l.includes('Deno permissions missing'));
    assert.is(summary.length, 1, s.stderr);
    for (const flag of ['--allow-env', '--allow-run=bash', '--allow-read']) assert.ok(summary[0].includes(flag), `${flag} in ${summary[0]}`);
    assert.match(s.stderr, /cannot look for a \.aflock, so every tool call is denied/);
    assert.not.match(s.stderr, /error: Uncaught/);
  } finally {
    s.kill();
  }
  const http = await new Promise<{ code: number | null; stderr: string }>((done) => {
    const r = new RpcServer(['--http', '--port', '0'], { cwd: root, env: env(), command: [cmd[0], 'run', '--no-prompt', '--allow-env', '--allow-read', cmd[cmd.length - 1]] });
    r.child.stdin.end();
    r.exited.then((code) => done({ code, stderr: r.stderr }));
  });
  assert.is(http.code, 2, http.stderr);
  assert.match(http.stderr, /HTTP mode under Deno needs --allow-net=127\.0\.0\.1/);
});

test(`${leg}: deno without --allow-read and an explicit --policy names the missing permission, not "no such file"`, async () => {
  if (leg !== 'deno') return;
  const root = tempDir();
  writeFileSync(join(root, '.aflock'), JSON.stringify({ tools: { allow: ['Bash'] } }));
  const r = new RpcServer(['--policy', '.aflock'], { cwd: root, env: env(), command: [cmd[0], 'run', '--no-prompt', cmd[cmd.length - 1]] });
  r.child.stdin.end();
  const code = await r.exited;
  assert.is(code, 2, r.stderr);
  assert.match(r.stderr, /cannot be read without read permission \(under Deno: --allow-read\)/);
  assert.not.match(r.stderr, /no such file/);
});

function launchLine(stdout: string): string {
  const line = stdout.split('\n').find((l) => l.trim().startsWith('claude mcp add aflock -s project -- '));
  assert.ok(line, stdout);
  return line!.trim();
}

test(`${leg}: init writes a 0600 starter policy, prints the Claude Code setup, never overwrites`, async () => {
  const root = tempDir();
  const r = await runCli(['init'], { cwd: root, env: env() });
  assert.is(r.code, 0, r.stderr);
  const policy = join(root, '.aflock');
  assert.is(statSync(policy).mode & 0o777, 0o600);
  const original = readFileSync(policy, 'utf8');
  assert.is(JSON.parse(original).name, basename(root));
  const check = await runCli(['check-policy', policy], { env: env() });
  assert.is(check.code, 0, check.stderr);

  // The real path of what is running: the executable, `node bundle`, or `deno run ... bundle`.
  const expected = leg === 'sea' ? [resolve('dist/aflock-mcp')] : leg === 'node' ? [process.execPath, resolve('dist/aflock-mcp.cjs')] : null;
  const line = launchLine(r.stdout);
  // The policy path is absolute, so the registration also works for a session started in a subdirectory.
  if (expected) assert.is(line, `claude mcp add aflock -s project -- ${expected.join(' ')} --policy ${policy}`);
  else assert.match(line, new RegExp(`^claude mcp add aflock -s project -- \\S*deno run --no-prompt .*--allow-run=bash,bwrap .*${resolve('dist/aflock-mcp.mjs')} --policy ${policy}$`));
  const block = r.stdout.slice(r.stdout.indexOf('{'), r.stdout.lastIndexOf('}') + 1);
  const mcp = JSON.parse(block);
  assert.equal(mcp.mcpServers.aflock.args.slice(-2), ['--policy', policy]);
  if (expected) assert.equal([mcp.mcpServers.aflock.command, ...mcp.mcpServers.aflock.args.slice(0, -2)], expected);
  assert.not.ok(existsSync(join(root, '.claude')), 'plain init leaves .claude alone');

  writeFileSync(policy, '{"name":"mine"}');
  const again = await runCli(['init'], { cwd: root, env: env() });
  assert.is(again.code, 0, 'init is idempotent: run twice, it keeps the policy and exits 0 (as init --claude does)');
  assert.match(again.stdout, /Kept the existing .*\.aflock \(init never overwrites a policy\)/);
  assert.is(readFileSync(policy, 'utf8'), '{"name":"mine"}');
  const extra = await runCli(['init', 'now'], { cwd: root, env: env() });
  assert.is(extra.code, 2);
});

test(`${leg}: init --claude --deny-native merges the deny/allow rules and keeps the user's settings`, async () => {
  const root = tempDir();
  mkdirSync(join(root, '.claude'));
  const settingsPath = join(root, '.claude', 'settings.json');
  const before = {
    model: 'opus',
    env: { FOO: '1' },
    permissions: { allow: ['Bash(npm test:*)'], deny: ['WebFetch', 'Read(./secrets/**)'], defaultMode: 'acceptEdits' },
    hooks: { PreToolUse: [] },
  };
  writeFileSync(settingsPath, JSON.stringify(before, null, 2));
  const r = await runCli(['init', '--claude', '--deny-native'], { cwd: root, env: env() });
  assert.is(r.code, 0, r.stderr);
  const after = JSON.parse(readFileSync(settingsPath, 'utf8'));
  assert.is(after.model, 'opus');
  assert.equal(after.env, { FOO: '1' });
  assert.equal(after.hooks, { PreToolUse: [] });
  assert.is(after.permissions.defaultMode, 'acceptEdits');
  assert.equal(after.permissions.deny, ['WebFetch', 'Read(./secrets/**)', 'Bash', 'Read', 'Write', 'Edit', 'MultiEdit', 'NotebookEdit']);
  assert.equal(after.permissions.allow, ['Bash(npm test:*)', 'mcp__aflock__*']);
  assert.match(r.stdout, /Updated \.claude\/settings\.json:\n  permissions\.deny  \+= Bash, Read, Write, Edit, MultiEdit, NotebookEdit\n  permissions\.allow \+= mcp__aflock__\*\n/);
  assert.ok(existsSync(join(root, '.aflock')), 'the policy is written too');

  const again = await runCli(['init', '--claude', '--deny-native'], { cwd: root, env: env() });
  assert.is(again.code, 0, again.stderr);
  assert.match(again.stdout, /Kept the existing .*\.aflock/);
  assert.match(again.stdout, /nothing changed/);
  assert.equal(JSON.parse(readFileSync(settingsPath, 'utf8')), after);

  const fresh = tempDir();
  const created = await runCli(['init', '--claude', '--deny-native'], { cwd: fresh, env: env() });
  assert.is(created.code, 0, created.stderr);
  const made = JSON.parse(readFileSync(join(fresh, '.claude', 'settings.json'), 'utf8'));
  assert.equal(made, { permissions: { deny: ['Bash', 'Read', 'Write', 'Edit', 'MultiEdit', 'NotebookEdit', 'WebFetch'], allow: ['mcp__aflock__*'] } });
  assert.match(created.stdout, /Created \.claude\/settings\.json/);
});

test(`${leg}: init --claude refuses a settings file it cannot parse and leaves it untouched`, async () => {
  for (const bad of ['{ "permissions": { "deny": ["Bash"], } ', '[1, 2]', '{"permissions": ["Bash"]}', '{"permissions": {"deny": "Bash"}}']) {
    const root = tempDir();
    mkdirSync(join(root, '.claude'));
    const settingsPath = join(root, '.claude', 'settings.json');
    writeFileSync(settingsPath, bad);
    const r = await runCli(['init', '--claude'], { cwd: root, env: env({ HOME: tempDir('aflock-home-') }) });
    assert.is(r.code, 2, `${bad}: ${r.stdout}`);
    assert.match(r.stderr, /^aflock-mcp: .*settings\.json.*not changed/);
    assert.is(readFileSync(settingsPath, 'utf8'), bad);
  }
});

test(`${leg}: the shipped schema/aflock.schema.json is what 'aflock-mcp schema' prints`, async () => {
  const r = await runCli(['schema'], { env: env() });
  assert.is(r.code, 0, r.stderr);
  const shipped = JSON.parse(readFileSync('schema/aflock.schema.json', 'utf8'));
  assert.equal(JSON.parse(r.stdout), shipped, 'schema/aflock.schema.json is stale: run npm run schema');
  assert.ok(shipped.properties.$schema, 'policies may name their schema');
});

test.run();
