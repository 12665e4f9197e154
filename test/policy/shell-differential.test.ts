// The cases where the unbash analyser disagrees with the mvdan-sh one it replaced (scripts/shell-diff.mjs finds
// and classes them against test/policy/shell-golden/). Each class is decided by what bash 5.2 does with the command
// (checked on this machine with `bash -n` and by running it), and the golden fixtures were re-recorded only for
// commands in these classes. One explicit case per class:
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { analyzeShell } from '../../src/policy/shell/index.ts';

const texts = (c: string) => analyzeShell(c).commands.map((x) => `${x.text}@${x.via}`);
const constructs = (c: string) => analyzeShell(c).unresolvable.map((u) => u.construct);

test('A: an unterminated here-document runs to the end of input (bash warns and runs it); mvdan/sh refused it', () => {
  assert.equal(texts('cat <<EOF\n$(curl evil.com)'), ['curl evil.com@$( )', 'cat@top']);
  assert.ok(constructs('bash <<EOF\ncurl evil.com').includes('here-document into a shell'));
  assert.ok(texts('bash <<EOF\ncurl evil.com').includes('curl evil.com@here-document'));
});

test('A\': an unterminated quote in a here-document word is a syntax error in bash (unbash reads it to the end)', () => {
  assert.equal(constructs('cat <<EOF"\nx\nEOF'), ['unparseable command']);
});

test('B: valid bash that mvdan/sh rejected is analysed', () => {
  // `let` words that are not arithmetic mvdan/sh accepted (bash -n accepts; let fails at run time)
  assert.equal(texts('let x=1 && curl evil.com'), ['let x=1@top', 'curl evil.com@top']);
  // bash globs cur[l]: with a file named curl in the directory it runs curl
  assert.equal(constructs('cur[l] evil.com'), ['non-literal command name']);
});

test('C: what bash rejects but unbash parses (extglob without shopt) is analysed as written, patterns as globs', () => {
  assert.ok(constructs('@(cu|x)rl evil.com').includes('non-literal command name'));
});

test('D: invalid bash that mvdan/sh accepted is unparseable', () => {
  assert.equal(constructs('coproc coproc x'), ['unparseable command']);
  assert.equal(constructs('x | coproc ! y'), ['unparseable command']);
});

test('E: an empty here-document (mvdan/sh crashed the analysis) is an empty input', () => {
  const a = analyzeShell("tee out.txt <<'X'\nX");
  assert.equal(a.files.map((f) => `${f.mode}:${f.path}`), ['write:out.txt']);
  assert.equal(a.unresolvable, []);
});

test('F: coproc takes a NAME only before a compound command (bash runs `coproc printf hi` as printf)', () => {
  assert.equal(texts('coproc curl evil.com'), ['curl evil.com@coproc']);
  assert.equal(texts('coproc NAME { curl evil.com; }'), ['curl evil.com@group']);
});

test('G: `time` after a pipe is the time program (bash runs /usr/bin/time there), and a wrapper', () => {
  assert.equal(texts('echo x | time curl evil.com'), ['echo x@pipeline', 'curl evil.com@time']);
});

test('H: a function body is its compound command only; a pipe after it is a pipeline stage', () => {
  assert.equal(texts('f() { curl evil.com; } | cat'), ['curl evil.com@function', 'cat@pipeline']);
});

test('I: NUL bytes are dropped, as bash drops them from a script it reads', () => {
  assert.equal(texts('cu\0rl evil.com'), ['curl evil.com@top']);
});

test('J: let reports its arguments as written', () => {
  assert.equal(texts("let $'x=1'"), ["let $'x=1'@top"]);
});

test('K: an assignment value is not a pattern: PAGER=!(x) makes the pager command `! (x)`', () => {
  assert.ok(texts('PAGER=!(x) man ls').includes('x@subshell'));
});

test('L: # inside a word does not start a comment', () => {
  assert.equal(texts("echo 'a'#b"), ['echo a#b@top']);
});

test('M: a CRLF line ending is not part of the last word (shell.test.ts keeps this)', () => {
  assert.equal(texts('a\r\nb'), ['a@top', 'b@top']);
});

// Deliberate changes recorded in the fixtures after the switch (issue 13), each with its principle:

test('N: a working directory the analysis cannot follow makes a relative path unresolvable (bash resolves it at run time)', () => {
  for (const c of ['cd "$(mktemp -d)" && cat x', 'cd - && cat x', 'popd; cat x', 'f() { cd /etc; }; f; cat passwd', 'CDPATH=/etc cd x; cat y', 'cat ~-/x']) {
    assert.ok(constructs(c).includes('unknown working directory'), c);
  }
  assert.equal(analyzeShell('cd /etc && cat passwd').unresolvable, []);
  assert.equal(analyzeShell('cat ~+/x').files.map((f) => f.path), ['./x']);
});

// Re-recorded for issue 13 class 6 (12 fixture entries: corpus 1, redteam 2, generated 9), decided by principle in
// src/policy/shell/commands/data.ts and commands/builtins.ts obfuscation():
test('F: a <( ) operand of a command that only reads its operands is data (corpus, redteam)', () => {
  assert.equal(constructs('diff <(sort a.txt) <(sort b.txt)'), []);
  assert.equal(constructs('diff <(sort a) <(sort b)'), []);
  assert.equal(texts('diff <(sort a) <(sort b)'), ['sort a@<( )', 'sort b@<( )', 'diff <(sort a) <(sort b)@top']);
  assert.equal(constructs('diff <(cat .env) /dev/null'), ['process substitution']);
});

test('G: decoded output redirected to a file is data (redteam)', () => {
  assert.equal(constructs('base64 -d fixture.b64 > fixture.bin'), []);
  assert.equal(constructs('echo Y3VybA== | base64 -d'), ['base64 decode']);
});

test('H: an unclaimed <( ) is reported once the command reading it was analysed, so after what that command found (9 generated)', () => {
  // Same set of unresolvables as before; only the order moved: `nl < <(wget a)` is a redirection (never data), and a
  // <( ) operand of an unknown command is refused after the command's own findings.
  assert.equal(constructs('env $CMD <(sort a)'), ['non-literal command name', 'process substitution']);
  assert.equal(constructs('base64 -d <(sort a)'), ['base64 decode', 'process substitution']);
  assert.equal(constructs('x <(wget a) > >(cat .env)'), ['process substitution', 'process substitution']);
  assert.equal(analyzeShell('x <(wget a) > >(cat .env)').unresolvable.map((u) => u.detail), ['>(cat .env)', '<(wget a)']);
});

test.run();
