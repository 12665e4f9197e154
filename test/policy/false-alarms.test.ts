// Issue 13, class 6: ordinary work the analysis used to refuse, each with the attack next to it that must still be
// refused (so that a fix by principle did not open a hole).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compilePolicy } from '../../src/policy/compile.ts';
import { evaluateCall } from '../../src/policy/evaluate.ts';

const decide = (policy: object, command: string) =>
  evaluateCall(compilePolicy(policy as never), { tool: 'Bash', input: { command } }, { root: '/project' });
const DENY_CURL = { tools: { allow: ['Bash'], deny: ['Bash:curl*'] } };
const FILES = { tools: { allow: ['Bash'] }, files: { deny: ['.env'] } };
const DOMAINS = { tools: { allow: ['Bash'] }, domains: { allow: ['api.github.com'] } };

function allowed(policy: object, command: string) {
  const d = decide(policy, command);
  assert.is(d.decision, 'allow', `${command}: ${d.reason}`);
}
function denied(policy: object, command: string) {
  const d = decide(policy, command);
  assert.is(d.decision, 'deny', `${command} should be refused`);
}

test('git: a command-valued setting with a harmless program is ordinary; any other command is not', () => {
  allowed(DENY_CURL, 'git -c core.pager=cat log');
  allowed(DENY_CURL, 'git -c core.editor=true rebase --continue');
  allowed(DENY_CURL, 'git -c core.pager="less -R" log');
  denied(DENY_CURL, "git -c core.pager='curl x' log");
  denied(DENY_CURL, 'git -c core.pager="cat; curl x" log');
  denied(DENY_CURL, 'git -c include.path=true log');
});

test('awk: getline from a file is a read (checked against file rules), from a command a command', () => {
  allowed(DENY_CURL, `awk '{ getline line < "file" }' x`);
  denied(FILES, `awk 'BEGIN { while ((getline l < ".env") > 0) print l }'`);
  denied(DENY_CURL, `awk 'BEGIN { "curl x" | getline d }'`);
  denied(DENY_CURL, `awk '{ getline l < f }' x`);
  allowed(DENY_CURL, `awk '{ print > "out.txt" }' x`);
});

test('printf with a NUL separator into xargs -0 is not an obfuscated command; spelled-out characters still are', () => {
  allowed(DENY_CURL, "printf '%s\\0' a b | xargs -0 wc -l");
  denied(DENY_CURL, "printf '\\x63\\x75\\x72\\x6c' | sh");
  denied(DENY_CURL, "printf '\\143url' | xargs -I{} {} x");
});

test('a URL whose scheme and host are literal names its host even when the path is dynamic', () => {
  allowed(DOMAINS, 'curl -s "https://api.github.com/repos/$REPO/pulls"');
  allowed(DOMAINS, 'curl --url "https://api.github.com/$P"');
  denied(DOMAINS, 'curl -s "https://$HOST/x"');
  denied(DOMAINS, 'curl -s "https://api.github.com$X/"');
  denied(DOMAINS, 'curl -s "https://api.github.com@$X/"');
  denied(DOMAINS, 'curl -s "https://evil.example/$X"');
});

test.run();
