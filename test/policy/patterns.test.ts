import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileGlob, compileToolPattern, GlobError, toolPatternMatches } from '../../src/policy/patterns.ts';
import { posix } from 'node:path';
import { compilePathRule, firstMatch, pathRuleMatches, viewPath, type PathRule } from '../../src/policy/paths.ts';
import { hostOf, checkHost, compileDomainRules } from '../../src/policy/domains.ts';

test('text globs: * crosses /, classes, braces, escapes', () => {
  const g = (p: string, s: string) => compileGlob(p, 'text').matches(s);
  assert.ok(g('curl*', 'curl https://evil.com/x'));
  assert.ok(g('*rm *', 'sudo rm -rf x'));
  assert.not.ok(g('rm', 'format disk'));
  assert.ok(g('git {push,pull}*', 'git pull origin'));
  assert.not.ok(g('git {push,pull}*', 'git status'));
  assert.ok(g('[a-c]at', 'bat'));
  assert.not.ok(g('[!a-c]at', 'bat'));
  assert.ok(g('a\\*b', 'a*b'));
  assert.not.ok(g('a\\*b', 'axb'));
  assert.ok(g('git log|cat /etc/shadow', 'git log|cat /etc/shadow'), '| is literal');
  assert.not.ok(g('rm tmp.bak', 'rm tmpXbak'), '. is literal');
  assert.ok(g('**curl**', 'x curl y'));
});

test('path globs: * stops at /, ** needs its slashes, leading **/ may be empty', () => {
  const g = (p: string, s: string) => compileGlob(p, 'path').matches(s);
  assert.ok(g('src/**', 'src/a/b.go'));
  assert.not.ok(g('src/*', 'src/a/b.go'));
  assert.ok(g('**/.env', '.env'));
  assert.ok(g('**/.env', 'a/b/.env'));
  assert.not.ok(g('src/**/test/**/*.go', 'src/test/foo.go'));
  assert.ok(g('src/**/test/**/*.go', 'src/pkg/test/unit/foo.go'));
  assert.not.ok(g('?.go', 'ab.go'));
  assert.not.ok(g('a?c', 'a/c'));
});

test('malformed globs are errors, never silent non-matches', () => {
  for (const p of ['[', '[z-a]', 'a{b', 'a}b', 'x\\', '[]']) {
    assert.throws(() => compileGlob(p, 'text'), (e: unknown) => e instanceof GlobError, p);
  }
  assert.throws(() => compileToolPattern(':x'));
});

test('matching stays linear on adversarial input', () => {
  const g = compileGlob('*a*a*a*a*a*a*b', 'text');
  const big = 'a'.repeat(100_000);
  const t0 = performance.now();
  assert.not.ok(g.matches(big));
  assert.ok(performance.now() - t0 < 2000);
});

test('tool patterns split at the first colon; deny-side folds case', () => {
  const p = compileToolPattern('WebFetch:https://x:8080/*');
  assert.ok(toolPatternMatches(p, 'WebFetch', 'https://x:8080/a'));
  const bash = compileToolPattern('Bash');
  assert.not.ok(toolPatternMatches(bash, 'bash', ''));
  assert.ok(toolPatternMatches(bash, 'bash', '', true));
  assert.ok(toolPatternMatches(compileToolPattern('mcp__slack:*'), 'mcp__slack', ''));
});

test('path rules: bare names, relative, anywhere, absolute', () => {
  const root = '/p';
  const m = (rule: string, abs: string, side: 'deny' | 'allow') => pathRuleMatches(compilePathRule(rule), viewPath(abs, root), side);
  assert.ok(m('*.md', '/p/docs/a.md', 'allow'));
  assert.not.ok(m('*.md', '/etc/notes.md', 'allow'), 'a bare allow never reaches outside the root');
  assert.ok(m('*.md', '/etc/notes.md', 'deny'), 'a bare deny applies anywhere');
  assert.ok(m('credentials.json', '/opt/app/credentials.json', 'deny'));
  assert.ok(m('src/**', '/p/src/a/b', 'allow'));
  assert.not.ok(m('src/**', '/q/src/a', 'allow'));
  assert.ok(m('**/*', '/Users/test/src', 'allow'));
  assert.ok(m('/etc/**', '/etc/shadow', 'deny'));
  assert.not.ok(m('/etc/**', '/etc', 'deny'));
});

test('hosts come from the URL parser', () => {
  const h = (u: string) => { const r = hostOf(u); return r.ok ? r.host : null; };
  assert.is(h('https://evil.com#.example.com'), 'evil.com');
  assert.is(h('https://evil.com?x=.example.com'), 'evil.com');
  assert.is(h('https://Evil.Com./x'), 'evil.com');
  assert.is(h('https://user:pass@evil.com/x'), 'evil.com');
  assert.is(h('//evil.com/x'), 'evil.com');
  assert.is(h('https://ev%69l.com/'), 'evil.com');
  assert.is(h('https://[::1]:8080/'), '::1');
  assert.is(h('https:\\\\evil.com\\x'), 'evil.com');
  assert.is(h('evil.com/path'), 'evil.com');
  assert.is(h('localhost:8080/x'), 'localhost');
  assert.is(h(''), null);
  assert.is(h('https://'), null);
  const rules = compileDomainRules(['*.example.com'], ['bad.example.com']);
  assert.ok(checkHost(rules, hostOf('https://a.b.example.com/'), '').ok);
  assert.not.ok(checkHost(rules, hostOf('https://example.com/'), '').ok);
  assert.not.ok(checkHost(rules, hostOf('ftp://a.example.com/'), '').ok);
  assert.not.ok(checkHost(rules, hostOf('https://bad.example.com/'), '').ok);
});


/** A seeded generator of integers below n (xorshift32), so that a failure names a case that reproduces. */
function xorshift(start: number): (n: number) => number {
  let seed = start;
  return (n) => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
}

// The literal-run prefilter (compileOne) must never change an answer. A one-character class `[c]` matches exactly what
// the literal `c` matches (neither crosses '/' in paths, and '/' itself stays literal), but it is not a literal token,
// so the twin pattern runs the NFA with no prefilter: the two must agree on every text.
test('the literal-run prefilter agrees with the NFA alone (differential, seeded)', () => {
  const rnd = xorshift(0x2545f491);
  const parts = ['a', 'b', '.', '/', '*', '**', '?', 'ab', '.e', '/.', '**/'];
  const chars = ['a', 'b', '.', '/', 'e'];
  let compared = 0;
  let matched = 0;
  for (let i = 0; i < 3000; i++) {
    const pattern = Array.from({ length: 1 + rnd(6) }, () => parts[rnd(parts.length)]).join('');
    const twin = pattern.replace(/\*+|\?|[^*?\/]/g, (m) => (m === '*' || m === '**' || m === '?' || m.startsWith('*') ? m : `[${m}]`));
    for (const dialect of ['text', 'path'] as const) {
      let a;
      let b;
      try {
        a = compileGlob(pattern, dialect);
        b = compileGlob(twin, dialect);
      } catch {
        continue;
      }
      for (let j = 0; j < 8; j++) {
        const text = Array.from({ length: rnd(10) }, () => chars[rnd(chars.length)]).join('');
        const x = a.matches(text);
        assert.is(x, b.matches(text), `${dialect} ${JSON.stringify(pattern)} vs ${JSON.stringify(twin)} on ${JSON.stringify(text)}`);
        compared++;
        if (x) matched++;
      }
    }
  }
  assert.ok(compared > 40_000 && matched > 1_000, `compared ${compared}, matched ${matched}: the generator must exercise both answers`);
});

// firstMatch screens views with one search for the literals its rules need, and viewPath slices instead of calling
// path.relative: neither may change an answer. Checked against the plain definitions on seeded random rule lists and
// paths (clean and not: `//`, `/./`, `..`, a trailing slash; inside and outside the root; the root itself).
test('firstMatch with its screen, and viewPath, agree with the plain definitions (differential, seeded)', () => {
  const rnd = xorshift(0x9e3779b9);
  const pick = <T>(xs: readonly T[]): T => xs[rnd(xs.length)];
  const ruleParts = ['**/', '*', '.env', '.e*', 'id_rsa*', '*.pem', 'secrets/', '/**', 'a', '?', 'src/', '{x,.env}', '[.]env', '/p/'];
  const segments = ['.env', '.env.local', 'id_rsa', 'k.pem', 'secrets', 'src', 'a', 'p', 'x', '.', '..', ''];
  const roots = ['/p', '/', '/p/src'];
  const plainView = (abs: string, root: string) => {
    const rel = posix.relative(root, posix.resolve(abs));
    const inside = rel === '' || (!rel.startsWith('../') && rel !== '..' && !posix.isAbsolute(rel));
    const clean = posix.resolve(abs);
    return { abs: clean, rel: inside ? rel || '.' : null, base: posix.basename(clean) };
  };
  let compared = 0;
  let hits = 0;
  for (let i = 0; i < 400; i++) {
    const rules: PathRule[] = [];
    for (let r = 0; r < 1 + rnd(5); r++) {
      try {
        rules.push(compilePathRule(Array.from({ length: 1 + rnd(3) }, () => pick(ruleParts)).join('')));
      } catch {
        // a malformed random pattern: skip it
      }
    }
    const root = pick(roots);
    for (let j = 0; j < 30; j++) {
      const abs = '/' + Array.from({ length: rnd(5) }, () => pick(segments)).join('/') + (rnd(6) === 0 ? '/' : '');
      const view = viewPath(abs, root);
      assert.equal(view, plainView(abs, root), `viewPath(${abs}, ${root})`);
      for (const side of ['deny', 'allow'] as const) {
        const plain = rules.find((rule) => pathRuleMatches(rule, view, side));
        assert.is(firstMatch(rules, [view], side), plain, `${rules.map((x) => x.source).join(' ')} on ${abs} (${side})`);
        compared++;
        if (plain) hits++;
      }
    }
  }
  assert.ok(compared > 20_000 && hits > 2_000, `compared ${compared}, matched ${hits}: the generator must exercise both answers`);
});

test.run();
