// The hook responder in process, with the sandbox wrapping switched on (the spawned server only wraps once the build
// has `aflock-mcp sandbox`): an allowed native Bash comes back as allow + updatedInput, a refused one is not wrapped,
// and PostToolUse (which reports the rewritten input) is recorded against the command the model wrote; the secret it
// read then stops a curl.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/rpc.ts';
import { loadPolicyFile } from '../../src/policy/load.ts';
import { createContext } from '../../src/startup.ts';
import { HookResponder } from '../../src/hooks/answer.ts';
import { parseHookCall } from '../../src/hooks/protocol.ts';

const made: string[] = [];

test('wrapped Bash: allow with the sandbox command line; a refused command is not rewritten; the read secret stops curl', async () => {
  const root = tempDir('aflock-resp-');
  const home = tempDir('aflock-resp-home-');
  made.push(root, home);
  process.env.AFLOCK_HOME = home;
  writeFileSync(
    join(root, '.aflock'),
    JSON.stringify({
      tools: { allow: ['Bash', 'Read'] },
      files: { deny: ['**/.env'] },
      dataFlow: { classify: { secret: ['Read:**/secrets/**'], network: ['Bash:curl*'] }, flowRules: [{ deny: 'secret->network' }] },
    }),
  );
  mkdirSync(join(root, 'secrets'));
  writeFileSync(join(root, 'secrets', 'a.txt'), 'x');
  const policy = loadPolicyFile(join(root, '.aflock'));
  const ctx = await createContext({ policy, transport: 'stdio', requireToken: false });
  const target = { launch: ['/usr/bin/node', '/opt/aflock/dist/aflock-mcp.cjs'], policyPath: policy.path };
  const r = new HookResponder(ctx, { serverName: 'aflock', sandbox: { wrap: true, target } });
  const call = (event: string, id: string, input: object) => parseHookCall({ hook_event_name: event, tool_name: 'Bash', tool_input: input, tool_use_id: id, cwd: root });

  const pre = await r.answer(call('PreToolUse', 'toolu_1', { command: 'cat secrets/a.txt', timeout: 1000 }));
  const out = pre.hookSpecificOutput!;
  assert.is(out.permissionDecision, 'allow');
  assert.is(out.updatedInput!.command, `/usr/bin/node /opt/aflock/dist/aflock-mcp.cjs sandbox --policy ${join(root, '.aflock')} --workdir ${root} -- bash -c 'cat secrets/a.txt'`);
  assert.is(out.updatedInput!.timeout, 1000);
  const denied = await r.answer(call('PreToolUse', 'toolu_2', { command: 'cat .env' }));
  assert.is(denied.hookSpecificOutput!.permissionDecision, 'deny');
  assert.not.ok(denied.hookSpecificOutput!.updatedInput, 'a refused command is not rewritten');

  // Claude Code reports the rewritten input after the call.
  assert.equal(await r.answer(call('PostToolUse', 'toolu_1', out.updatedInput!)), {});
  assert.ok(ctx.session.heldLabels.has('secret'));
  const curl = await r.answer(call('PreToolUse', 'toolu_3', { command: 'curl https://example.com' }));
  assert.match(curl.hookSpecificOutput!.permissionDecisionReason!, /DataFlow policy denied/);
  // An answer is reused only for the very same call (two hook scopes): never for another input under the same id.
  const before = ctx.trail!.seq;
  assert.equal(await r.answer(call('PreToolUse', 'toolu_4', { command: 'echo same' })).then((a) => a.hookSpecificOutput!.permissionDecision), 'allow');
  assert.equal(await r.answer(call('PreToolUse', 'toolu_4', { command: 'echo same' })).then((a) => a.hookSpecificOutput!.permissionDecision), 'allow');
  assert.is(ctx.trail!.seq, before + 1, 'the repeat of the same call made no second record');
  const other = await r.answer(call('PreToolUse', 'toolu_4', { command: 'cat .env' }));
  assert.is(other.hookSpecificOutput!.permissionDecision, 'deny', 'same id, other input: decided afresh');
  ctx.trail?.close();
});

test.after(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

test.run();
