// Issue 13, class 4: under file, domain and data-flow rules (not only under `Bash:` deny rules), a command whose code
// is decided at run time is refused with the same named reason (`unresolvable:<construct>`); ordinary work is not.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compilePolicy } from '../../src/policy/compile.ts';
import { evaluateCall } from '../../src/policy/evaluate.ts';
import { analyzeShell } from '../../src/policy/shell/index.ts';
import { HIDDEN_CODE } from '../../src/policy/shell/hidden.ts';
import { starterPolicy } from '../../src/init.ts';

const FILES = { tools: { allow: ['Bash'] }, files: { deny: ['.env'] } };
const READONLY = { tools: { allow: ['Bash'] }, files: { readOnly: ['.git/config'] } };
const DOMAINS = { tools: { allow: ['Bash'] }, domains: { allow: ['api.github.com'] } };
const FLOW = {
  tools: { allow: ['Bash'] },
  dataFlow: { classify: { secret: ['Read:**/.env'], public: ['Bash:curl*'] }, flowRules: [{ deny: 'secret -> public' }] },
};
const NO_CONTENT_RULES = { tools: { allow: ['Bash'] } };
const STARTER = JSON.parse(starterPolicy('demo'));

const decide = (policy: object, command: string) =>
  evaluateCall(compilePolicy(policy as never), { tool: 'Bash', input: { command } }, { root: '/project', expandGlob: () => [] });

/** One example per construct of HIDDEN_CODE: a line that runs code the analysis cannot see. */
const EXAMPLES: Record<string, string> = {
  'non-literal command name': 'c=cat; $c .env',
  'variable indirection': 'x=c; ${!x} .env',
  'non-literal command variable': 'PAGER="$P" git log',
  'brace expansion in command name': '{ca,x}t .env',
  'command path override': 'hash -p /tmp/x cat; cat notes',
  'alias definition': "alias ll='cat .env'",
  'runs a file it wrote': 'echo "cat .env" > s.sh; bash s.sh',
  'runtime-evaluated string': "x='a[$(cat .env)]'; echo $((x))",
  'non-literal shell -c': 'bash -c "$CMD"',
  'non-literal eval': 'eval "$(printf "cat .e%s" nv)"',
  'code-injection variable': 'BASH_ENV=/tmp/x bash s.sh',
  'pipe to shell': 'echo "cat .env" | sh',
  'pipe to interpreter': 'echo "print(1)" | python3',
  'here-document into a shell': 'bash <<EOF\ncat .env\nEOF',
  'awk runs commands': "awk '{ system($0) }' cmds.txt",
  'sed runs commands': "sed 'e' cmds.txt",
  'git command-execution option': 'git -c core.sshCommand="$X" fetch',
  'ssh command option': 'ssh -o ProxyCommand="$X" host',
  'non-literal program': 'python3 -c "$CODE" .env.example',
  'terminal input': "tmux send-keys -t w 'ls' Enter",
  'exec of stdin': "exec < list.txt",
  'unparseable command': 'cat .env )',
  'nesting too deep': '',
  'command too complex': '',
  'analysis failed': '',
  'brace expansion too large': 'echo {1..100}{1..100}{1..100}',
};

test('every construct of HIDDEN_CODE has an example that yields it, refused under files, readOnly, domains and data flow', () => {
  for (const construct of HIDDEN_CODE) {
    assert.ok(construct in EXAMPLES, `no example for ${construct}`);
    const command = EXAMPLES[construct];
    // Limits of the analysis itself have their own tests in shell.test.ts (deep nesting, huge inputs, crashes).
    if (['nesting too deep', 'command too complex', 'analysis failed'].includes(construct)) continue;
    const found = analyzeShell(command).unresolvable.map((u) => u.construct);
    assert.ok(found.includes(construct), `${command}: ${found.join(', ')}`);
    for (const policy of [FILES, READONLY, DOMAINS, FLOW]) {
      const d = decide(policy, command);
      assert.is(d.decision, 'deny', `${command} under ${JSON.stringify(policy)}`);
      assert.match(d.rule ?? '', /^unresolvable:/, command);
    }
    // With no rule about what a command touches, nothing changed: the tool allow list alone lets Bash run.
    assert.is(decide(NO_CONTENT_RULES, command).decision, 'allow', command);
  }
});

test('a shell reading a <( ) on its stdin runs what it prints: pipe to shell', () => {
  for (const command of ["bash < <(echo 'cat .env')", "sh 0< <(printf 'cat .env')", "python3 < <(echo 'print(open(\".env\").read())')"]) {
    const d = decide(FILES, command);
    assert.is(d.decision, 'deny', command);
    assert.match(d.rule ?? '', /^unresolvable:pipe to (shell|interpreter)$/, command);
  }
  assert.is(decide(FILES, 'while read -r l; do echo "$l"; done < <(git ls-files)').decision, 'allow');
});

test('the same named reason as under Bash deny rules', () => {
  const d = decide(FILES, 'c=cat; $c .env');
  assert.is(d.rule, 'unresolvable:non-literal command name');
  assert.match(d.reason, /non-literal command name/);
  assert.is(decide({ tools: { allow: ['Bash'], deny: ['Bash:curl*'] } }, 'c=cat; $c .env').rule, 'unresolvable:non-literal command name');
});

test('too deeply nested lines are refused under file rules', () => {
  const nested = Array.from({ length: 12 }).reduce<string>((s) => `bash -c ${JSON.stringify(s)}`, 'cat .env');
  const d = decide(FILES, nested);
  assert.is(d.decision, 'deny');
  assert.is(d.rule, 'unresolvable:nesting too deep');
});

test('ordinary work stays allowed under file, domain and data-flow rules and under the starter policy', () => {
  const ordinary = [
    `git commit -m "$(cat <<'EOF'\nfix: the parser\n\nBody line.\nEOF\n)"`,
    'npm test',
    'for f in *.ts; do wc -l "$f"; done',
    'git status && git diff --stat',
    'ls -la "$HOME/bin"',
    '"$HOME/bin/tool" --version',
    'find . -name "*.ts" | xargs wc -l',
    'x=$(git rev-parse HEAD); echo "$x"',
    'diff <(sort a) <(sort b)',
    'base64 -d fixture.b64 > fixture.bin',
    'test -f package.json && npm ci',
    'python3 -m pytest -q',
    'count=0; for x in a b; do count=$((count+1)); done; echo $count',
  ];
  for (const command of ordinary) {
    for (const policy of [FILES, READONLY, DOMAINS, FLOW, STARTER]) {
      const d = decide(policy, command);
      assert.is(d.decision, 'allow', `${command} under ${policy === STARTER ? 'the starter policy' : JSON.stringify(policy)}: ${d.reason}`);
    }
  }
  // Inline code of another language is like a script file (what a program does is not the shell's to know): refused
  // under Bash deny rules (the starter policy has some), not for its form under content rules.
  for (const policy of [FILES, READONLY, DOMAINS, FLOW]) assert.is(decide(policy, 'node -e "console.log(1)"').decision, 'allow');
});

test.run();
