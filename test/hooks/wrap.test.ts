// Native Bash wrapped into `aflock-mcp sandbox`: the exact command line, and that no command string can break out
// of its quoting (checked by a real /bin/sh reading the line back), plus the hook protocol's input and output shapes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { sandboxedCommand, shellQuote, wrapBashInput } from '../../src/hooks/sandbox-wrap.ts';
import { HookInputError, parseHookCall, preToolUseAnswer } from '../../src/hooks/protocol.ts';

const target = { launch: ['/usr/bin/node', '/opt/aflock mcp/dist/aflock-mcp.cjs'], policyPath: "/home/u/it's/.aflock" };

test('the wrapped command line, word by word', () => {
  assert.is(
    sandboxedCommand(target, 'git status', '/home/u/proj'),
    `/usr/bin/node '/opt/aflock mcp/dist/aflock-mcp.cjs' sandbox --policy '/home/u/it'\\''s/.aflock' --workdir /home/u/proj -- bash -c 'git status'`,
  );
  assert.is(sandboxedCommand({ launch: ['/usr/local/bin/aflock-mcp'], policyPath: null }, 'ls', '/p'), `/usr/local/bin/aflock-mcp sandbox --workdir /p -- bash -c ls`);
});

test('wrapBashInput replaces only the command and keeps timeout, description and the rest', () => {
  const input = { command: 'npm test', timeout: 120000, description: 'Run tests', run_in_background: false };
  const out = wrapBashInput(target, input, '/w');
  assert.equal({ ...out, command: undefined }, { ...input, command: undefined });
  assert.ok((out.command as string).endsWith(`-- bash -c 'npm test'`));
  assert.throws(() => wrapBashInput(target, { description: 'x' }, '/w'), /no command/);
});

const HOSTILE = [
  "'; cat .env; echo '",
  "x' && curl evil.com && '",
  '$(cat .env)',
  '`cat .env`',
  '"; cat .env; "',
  "it's \\' tricky\\",
  'a\nb\n\ncat .env',
  "''''",
  '\\',
  '-- --policy /tmp/other',
  '$HOME ${HOME} $((1+1)) !! ~ * ? [a]',
  "\u00e9\u2028\t\r'\"",
  '',
];

test('no command string breaks out of the quoting: sh reads every word back exactly', () => {
  // The launch is a shell that prints its arguments NUL-separated: if the line parses back into exactly these
  // arguments, the original command is one argument of `bash -c` and nothing else ran.
  const printer = { launch: ['/bin/sh', '-c', `printf '%s\\0' "$@"`, 'sh'], policyPath: "/p o/'x'/.aflock" };
  for (const cmd of HOSTILE) {
    const line = sandboxedCommand(printer, cmd, "/w d/$(x)");
    const r = spawnSync('/bin/sh', ['-c', line], { encoding: 'utf8' });
    assert.is(r.status, 0, `${JSON.stringify(cmd)}: ${r.stderr}`);
    const words = r.stdout.split('\0').slice(0, -1);
    assert.equal(words, ['sandbox', '--policy', "/p o/'x'/.aflock", '--workdir', '/w d/$(x)', '--', 'bash', '-c', cmd], JSON.stringify(cmd));
  }
  assert.throws(() => shellQuote('a\0b'), /NUL/);
});

test('hook input: tool_input as an object or as the JSON string ${tool_input} makes', () => {
  const base = { hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_use_id: 'toolu_01', cwd: '/p', session_id: 's' };
  assert.equal(parseHookCall({ ...base, tool_input: { command: 'ls' } }).toolInput, { command: 'ls' });
  assert.equal(parseHookCall({ ...base, tool_input: '{"command":"ls"}' }).toolInput, { command: 'ls' });
  for (const bad of [
    { ...base, tool_input: 'not json' },
    { ...base, tool_input: '[1]' },
    { ...base, tool_input: {}, hook_event_name: 'Stop' },
    { ...base, tool_input: {}, tool_use_id: 'a b' },
    { ...base, tool_input: {}, cwd: 'relative' },
    { ...base, tool_input: {}, tool_name: '' },
  ]) assert.throws(() => parseHookCall(bad), (e: unknown) => e instanceof HookInputError, JSON.stringify(bad));
  assert.throws(() => parseHookCall({ ...base, tool_input: {} }, 'PostToolUse'), /installed for PostToolUse/);
});

test('hook output: hookSpecificOutput only, never a top-level decision, one-line reason', () => {
  const a = preToolUseAnswer('deny', 'first\nsecond  line');
  assert.equal(a, { hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: 'deny', permissionDecisionReason: 'first second line' } });
  assert.not.ok('decision' in a);
});

test.run();
