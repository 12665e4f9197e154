// The pure parts of enforcement: identity globs, sub-policy widening, limit narrowing and the limit tracker.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { identityGlobMatches, identityRefusal } from '../../src/policy/identity.ts';
import { narrowLimits, normalizeLimits, textGlobCovers, tightestLimits, wideningReason } from '../../src/policy/sublayouts.ts';
import { LimitTracker } from '../../src/limits.ts';

test('identity globs are aflock\'s: *, trailing * as prefix, else equality', () => {
  assert.ok(identityGlobMatches('*', 'anything'));
  assert.ok(identityGlobMatches('claude-*', 'claude-opus-4'));
  assert.not.ok(identityGlobMatches('claude-*', 'gpt-5'));
  assert.ok(identityGlobMatches('claude-opus-4', 'claude-opus-4'));
  assert.not.ok(identityGlobMatches('claude-opus-4', 'claude-opus-4-5'), 'no implicit prefix');
  assert.not.ok(identityGlobMatches('*-opus', 'claude-opus'), 'a leading * is literal, as in aflock');
  assert.not.ok(identityGlobMatches('Claude-*', 'claude-opus'), 'case-sensitive');
});

test('identityRefusal: lists, unknown model and unknown environment fail closed', () => {
  const env = { type: 'local' };
  assert.is(identityRefusal(undefined, { model: 'x', modelSource: 'flag', environment: env }), null);
  assert.is(identityRefusal({ allowedModels: [] }, { model: 'unknown', modelSource: 'unknown', environment: env }), null, 'an empty list sets nothing');
  assert.is(identityRefusal({ allowedModels: ['*'] }, { model: 'unknown', modelSource: 'unknown', environment: env })?.rule, 'identity.allowedModels');
  assert.is(identityRefusal({ allowedEnvironments: ['local'] }, { model: 'm', modelSource: 'flag', environment: { type: 'unknown' } })?.rule, 'identity.allowedEnvironments');
  assert.is(identityRefusal({ allowedEnvironments: ['kubernetes:prod'] }, { model: 'm', modelSource: 'flag', environment: { type: 'kubernetes', namespace: 'prod' } }), null);
  assert.ok(identityRefusal({ allowedEnvironments: ['kubernetes:prod'] }, { model: 'm', modelSource: 'flag', environment: { type: 'kubernetes', namespace: 'dev' } }));
});

test('textGlobCovers: only what it can prove', () => {
  assert.ok(textGlobCovers('*', 'git *'));
  assert.ok(textGlobCovers('git *', 'git status*'));
  assert.ok(textGlobCovers('git *', 'git status'));
  assert.not.ok(textGlobCovers('git status*', 'git *'));
  assert.not.ok(textGlobCovers('*]', '[ab]'), 'classes are never assumed covered');
  assert.not.ok(textGlobCovers('a?', 'ab'));
  assert.ok(textGlobCovers('a[bc]', 'a[bc]'), 'identical is covered');
});

test('wideningReason: tools, files, domains, identity; omitted sections inherit', () => {
  const parent = { tools: { allow: ['Bash:git *', 'Read'] }, files: { allow: ['src/**'] }, domains: { allow: ['*.example.com'] }, identity: { allowedModels: ['claude-*'] } };
  assert.is(wideningReason(parent, {}, 's'), null);
  assert.is(wideningReason(parent, { tools: { allow: ['Bash:git log*', 'Read'], deny: ['Write'] } }, 's'), null);
  assert.match(wideningReason(parent, { tools: { allow: ['Bash'] } }, 's')!, /^s\.tools\.allow: 'Bash' is not covered/);
  assert.match(wideningReason(parent, { tools: { allow: ['mcp__x'] } }, 's')!, /'mcp__x'/);
  assert.is(wideningReason(parent, { files: { allow: ['src/lib/**', 'src/*.ts'] } }, 's'), null);
  assert.match(wideningReason(parent, { files: { allow: ['lib/**'] } }, 's')!, /files\.allow: 'lib\/\*\*'/);
  assert.match(wideningReason({ files: { allow: ['src/*'] } }, { files: { allow: ['src/**'] } }, 's')!, /files\.allow/, 'a * never stands for **');
  assert.match(wideningReason({ files: { allow: ['src/**'] } }, { files: { allow: ['/src/x'] } }, 's')!, /files\.allow/, 'absolute is not relative');
  assert.is(wideningReason(parent, { domains: { allow: ['api.example.com', '*.api.EXAMPLE.com'] } }, 's'), null);
  assert.match(wideningReason(parent, { domains: { allow: ['example.com'] } }, 's')!, /domains\.allow: 'example\.com'/);
  assert.is(wideningReason(parent, { identity: { allowedModels: ['claude-opus-*'] } }, 's'), null);
  assert.match(wideningReason(parent, { identity: { allowedModels: ['*'] } }, 's')!, /identity\.allowedModels/);
  assert.is(wideningReason({}, { tools: { allow: ['*'] } }, 's'), null, 'a parent without an allow list allows what its denies leave');
  assert.match(wideningReason({}, { sublayouts: [{ name: 'x' }] }, 's')!, /nested sublayouts/);
});

test('narrowLimits and tightestLimits', () => {
  const parent = normalizeLimits({ maxToolCalls: 10, maxWallTimeSeconds: { value: 60, enforcement: 'post-hoc' } });
  const r = narrowLimits(parent, normalizeLimits({ maxToolCalls: 5, maxTurns: 3 }), 'x');
  assert.ok(r.ok);
  assert.equal(r.ok && r.limits, {
    maxToolCalls: { value: 5, enforcement: 'fail-fast' },
    maxWallTimeSeconds: { value: 60, enforcement: 'post-hoc' },
    maxTurns: { value: 3, enforcement: 'fail-fast' },
  });
  assert.equal(narrowLimits(parent, normalizeLimits({ maxToolCalls: 11 }), 'x'), { ok: false, reason: "x.maxToolCalls: 11 is looser than the parent's 10" });
  assert.not.ok(narrowLimits(parent, normalizeLimits({ maxToolCalls: { value: 1, enforcement: 'post-hoc' } }), 'x').ok);
  assert.ok(narrowLimits(parent, normalizeLimits({ maxWallTimeSeconds: 30 }), 'x').ok, 'fail-fast under post-hoc is tighter');
  assert.equal(tightestLimits(normalizeLimits({ maxToolCalls: { value: 5, enforcement: 'post-hoc' } }), normalizeLimits({ maxToolCalls: 9 })), {
    maxToolCalls: { value: 5, enforcement: 'fail-fast' },
  });
});

test('LimitTracker: >= counts as exceeded; fail-fast refuses, post-hoc records; chains and refreshes', () => {
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  const tr = new LimitTracker(normalizeLimits({ maxToolCalls: 3, maxWallTimeSeconds: { value: 100, enforcement: 'post-hoc' } }), new Date(t0));
  assert.is(tr.admit(undefined, 'Bash', t0).refusal, null);
  const parent = { jti: 'p'.repeat(36), iat: t0 / 1000, exp: t0 / 1000 + 1000, parent: 'root-session-token' };
  tr.registerToken({ ...parent, limits: { maxToolCalls: { value: 1, enforcement: 'fail-fast' } } });
  assert.is(tr.admit(parent.jti, 'Bash', t0).refusal, null);
  assert.match(tr.admit(parent.jti, 'Bash', t0).refusal!.reason, /^maxToolCalls exceeded: 1 >= 1 \(token pppppppp, fail-fast\)$/);
  tr.registerToken({ jti: 'q'.repeat(36), iat: t0 / 1000, exp: t0 / 1000 + 1000 }, parent.jti);
  assert.ok(tr.admit('q'.repeat(36), 'Bash', t0).refusal, 'the refreshed token continues the count');
  const late = tr.admit(undefined, 'Bash', t0 + 100_000);
  assert.match(late.refusal!.reason, /^maxToolCalls exceeded: 4 >= 3 \(session, fail-fast\)/, 'fail-fast wins over post-hoc');
  const report = tr.report(t0 + 100_000) as any;
  assert.is(report.session.toolCalls, 5);
  assert.is(report.session.limits.maxWallTimeSeconds.state, 'exceeded');
  assert.is(report.tokens[0].toolCalls, 3);
});

test('LimitTracker: a session without observed limits does no work per call', () => {
  const tr = new LimitTracker(normalizeLimits({ maxSpendUSD: 1 }), new Date());
  for (let i = 0; i < 5; i++) assert.equal(tr.admit(undefined, 'Bash'), { refusal: null, violations: [] });
  const r = tr.report() as any;
  assert.equal(r.session.limits.maxSpendUSD.state, 'not observed');
  assert.is(r.session.limits.maxSpendUSD.current, undefined);
});

test.run();
