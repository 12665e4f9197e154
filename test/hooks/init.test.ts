// `init --claude` in hook mode: what it writes where, that a second run changes nothing, and what the user-level
// command hook (run by a real /bin/sh, as Claude Code runs it) does in and out of a project with a policy.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir } from '../helpers/rpc.ts';

const made: string[] = [];
const dir = (p: string) => {
  const d = tempDir(p);
  made.push(d);
  return d;
};

function env(home: string): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, HOME: home, AFLOCK_HOME: join(home, '.aflock'), XDG_RUNTIME_DIR: home };
  delete e.NODE_OPTIONS;
  delete e.CLAUDE_CONFIG_DIR;
  delete e.CLAUDE_CODE_SESSION_ID;
  return e;
}

const readJson = (p: string) => JSON.parse(readFileSync(p, 'utf8'));

test('init --claude: server in .mcp.json with the absolute policy path, project mcp_tool hooks, user-level gated hooks; twice changes nothing', async () => {
  const root = dir('aflock-init-proj-');
  const home = dir('aflock-init-home-');
  mkdirSync(join(home, '.claude'));
  const mine = { hooks: { PreToolUse: [{ matcher: 'Bash', hooks: [{ type: 'command', command: 'my-linter' }] }] }, model: 'opus' };
  writeFileSync(join(home, '.claude', 'settings.json'), JSON.stringify(mine));
  const r = await runCli(['init', '--claude'], { cwd: root, env: env(home) });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /Hook mode/);
  assert.match(r.stdout, /until you trust the workspace/);
  assert.match(r.stdout, /--allowedTools "mcp__aflock__\*"/);

  const mcp = readJson(join(root, '.mcp.json'));
  assert.equal(mcp.mcpServers.aflock.args.slice(-2), ['--policy', join(root, '.aflock')]);
  const project = readJson(join(root, '.claude', 'settings.json'));
  for (const event of ['PreToolUse', 'PostToolUse', 'PostToolUseFailure']) {
    const h = project.hooks[event][0].hooks[0];
    assert.is(h.type, 'mcp_tool');
    assert.is(h.server, 'aflock');
    assert.is(h.tool, 'hook');
    assert.is(h.input.tool_input, '${tool_input}');
    assert.is(h.onFailure, event === 'PreToolUse' ? 'block' : undefined);
  }
  assert.ok(project.permissions.allow.includes('mcp__aflock__*'));
  assert.equal(project.enabledMcpjsonServers, ['aflock']);
  assert.not.ok(project.permissions.deny?.includes('Bash'), 'hook mode keeps the native tools');

  const user = readJson(join(home, '.claude', 'settings.json'));
  assert.is(user.model, 'opus');
  assert.equal(user.hooks.PreToolUse[0], mine.hooks.PreToolUse[0], "the user's own hooks are kept");
  assert.match(user.hooks.PreToolUse[1].hooks[0].command, /# aflock-mcp hook mode$/);

  const snapshot = [join(root, '.mcp.json'), join(root, '.claude', 'settings.json'), join(home, '.claude', 'settings.json'), join(root, '.aflock')].map((p) => readFileSync(p, 'utf8'));
  const again = await runCli(['init', '--claude'], { cwd: root, env: env(home) });
  assert.is(again.code, 0, again.stderr);
  assert.match(again.stdout, /Kept the existing/);
  assert.is((again.stdout.match(/nothing changed/g) ?? []).length, 3);
  assert.equal([join(root, '.mcp.json'), join(root, '.claude', 'settings.json'), join(home, '.claude', 'settings.json'), join(root, '.aflock')].map((p) => readFileSync(p, 'utf8')), snapshot);
  const plain = await runCli(['init'], { cwd: root, env: env(home) });
  assert.is(plain.code, 0, 'plain init run again is fine too');
  const bad = await runCli(['init', '--deny-native'], { cwd: root, env: env(home) });
  assert.is(bad.code, 2);
});

test('the user-level hook: nothing outside a policy or where the project hooks load; from a subdirectory it decides', async () => {
  const root = dir('aflock-init-proj-');
  const home = dir('aflock-init-home-');
  const e = env(home);
  assert.is((await runCli(['init', '--claude'], { cwd: root, env: e })).code, 0);
  writeFileSync(join(root, '.env'), 'API_KEY=sk-canary\n');
  mkdirSync(join(root, 'sub', 'deeper'), { recursive: true });
  const gate = readJson(join(home, '.claude', 'settings.json')).hooks.PreToolUse[0].hooks[0].command as string;
  const input = (cwd: string) => JSON.stringify({ hook_event_name: 'PreToolUse', tool_name: 'Read', tool_input: { file_path: join(root, '.env') }, tool_use_id: 'toolu_gate', cwd });
  const run = (projectDir: string) => spawnSync('/bin/sh', ['-c', gate], { cwd: projectDir, env: { ...e, CLAUDE_PROJECT_DIR: projectDir }, input: input(projectDir), encoding: 'utf8' });

  const elsewhere = dir('aflock-init-other-');
  const outside = run(elsewhere);
  assert.is(outside.status, 0);
  assert.is(outside.stdout, '', 'no policy governs it: no opinion, no process started');
  const atRoot = run(root);
  assert.is(atRoot.status, 0);
  assert.is(atRoot.stdout, '', "the project's own mcp_tool hooks are loaded there");
  const sub = run(join(root, 'sub', 'deeper'));
  assert.is(sub.status, 0, sub.stderr);
  const a = JSON.parse(sub.stdout);
  assert.is(a.hookSpecificOutput.permissionDecision, 'deny');
  assert.match(a.hookSpecificOutput.permissionDecisionReason, /\.env/);
});

test.after(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

test.run();
