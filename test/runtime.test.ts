// The NODE_OPTIONS verdict of src/runtime.ts, without spawning anything (the spawned legs are in smoke/runtime).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { splitNodeOptions, startupVerdict, unsafeNodeFlags, type SeaInfo } from '../src/runtime.ts';

const plainNode: SeaInfo = { sea: false, ignoresNodeOptions: false };
const ourSea: SeaInfo = { sea: true, ignoresNodeOptions: true };
const foreignSea: SeaInfo = { sea: true, ignoresNodeOptions: false };
const verdict = (value: string | undefined, sea = plainNode, execArgv: string[] = [], deno = false) =>
  startupVerdict({ env: (n) => (n === 'NODE_OPTIONS' ? value : undefined), execArgv, sea, deno });

test('splitNodeOptions follows Node: spaces split, double quotes group, backslash escapes inside quotes', () => {
  assert.equal(splitNodeOptions('--a  --b=1'), ['--a', '--b=1']);
  assert.equal(splitNodeOptions('--require "/a b/c.js"'), ['--require', '/a b/c.js']);
  assert.equal(splitNodeOptions('--title "say \\"hi\\""'), ['--title', 'say "hi"']);
  assert.equal(splitNodeOptions('""'), ['']);
  assert.equal(splitNodeOptions(''), []);
});

test('unsafeNodeFlags: anything not known to be harmless, in every spelling', () => {
  assert.equal(unsafeNodeFlags(['--max-old-space-size=512', '--no-warnings', '--title', 'x']), []);
  assert.equal(unsafeNodeFlags(['--max_old_space_size=512']), []);
  assert.equal(unsafeNodeFlags(['-r', '/x.js']), ['-r']);
  assert.equal(unsafeNodeFlags(['--require=/x.js']), ['--require']);
  assert.equal(unsafeNodeFlags(['--import', 'data:text/javascript,1']), ['--import']);
  assert.equal(unsafeNodeFlags(['--experimental-loader=./l.mjs', '--inspect-brk']), ['--experimental-loader', '--inspect-brk']);
  assert.equal(unsafeNodeFlags(['--heapsnapshot-signal=SIGUSR2', '--openssl-config=/x.cnf', '--env-file=.env']), ['--heapsnapshot-signal', '--openssl-config', '--env-file']);
  assert.equal(unsafeNodeFlags(['--some-future-flag']), ['--some-future-flag'], 'unknown means unsafe');
});

test('startupVerdict: refuse under node and deno, ignore in our executable, refuse in a foreign one', () => {
  assert.equal(verdict(undefined), { ok: true, notes: [] });
  assert.equal(verdict('--max-old-space-size=4096'), { ok: true, notes: [] });
  const refused = verdict('--require /tmp/evil.js');
  assert.is(refused.ok, false);
  assert.match((refused as { message: string }).message, /^refusing to start: NODE_OPTIONS holds --require, which Node applied/);
  const deno = verdict('--inspect', plainNode, [], true);
  assert.match((deno as { message: string }).message, /holds --inspect, which Deno applied/);
  assert.equal(verdict('--require /tmp/evil.js', ourSea), { ok: true, notes: ['NODE_OPTIONS is set; this executable ignores it'] });
  assert.equal(verdict(undefined, ourSea), { ok: true, notes: [] });
  assert.is(verdict('--require /tmp/evil.js', foreignSea).ok, false, 'a SEA not built by build.mjs honours NODE_OPTIONS');
});

test('startupVerdict: node command-line flags count too (not under deno, whose execArgv is its own)', () => {
  const r = verdict(undefined, plainNode, ['--inspect=0']);
  assert.is(r.ok, false);
  assert.match((r as { message: string }).message, /the node command line holds --inspect/);
  assert.is(verdict(undefined, plainNode, ['--enable-source-maps']).ok, true);
  assert.is(verdict(undefined, plainNode, ['--whatever'], true).ok, true);
});

test.run();
