// Short tokens: under 300 characters whatever the scope, and no weaker for it. Every one-character edit is refused
// (the signature's spare base64url bits included), revocation reaches attenuated tokens, a token of another
// session or of a restart is refused, attenuation narrows.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TokenAuthority } from '../../src/auth/tokens.ts';

const SESSION = 'mcp-00000000-0000-4000-8000-000000000000';
const DIGEST = 'a'.repeat(64);
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

async function authority(session = SESSION) {
  return TokenAuthority.create(session, DIGEST);
}

const wide = {
  sub: 'spiffe://aflock.ai/agent/a-very-long-model-name-that-was-in-every-token/' + 'x'.repeat(80),
  identityHash: 'f'.repeat(64),
  allowedTools: ['Bash:git *', 'Bash:npm *', 'Read', 'Write:src/**', 'mcp__github__*', 'WebFetch:https://docs.example.com/*'],
  deniedTools: ['Bash:rm -rf *', 'Bash:curl *', 'Write:.env'],
  limits: { maxToolCalls: { value: 100, enforcement: 'fail-fast' }, maxWallTimeSeconds: { value: 3600, enforcement: 'post-hoc' } },
  ttlSeconds: 3600,
};

test('tokens are under 300 characters, however much scope they hold', async () => {
  const a = await authority();
  const session = await a.issue(wide);
  const child = await a.issue({ ...wide, allowedTools: ['Read'], parent: session.claims.jti, sublayout: 'reviewer-with-a-long-name' });
  for (const t of [session.token, child.token]) {
    assert.ok(t.length < 300, `token is ${t.length} characters`);
    const payload = JSON.parse(Buffer.from(t.split('.')[1], 'base64url').toString());
    assert.equal(Object.keys(payload).sort(), ['aud', 'exp', 'iss', 'jti']);
  }
  const v = await a.verify(child.token);
  assert.ok(v.ok);
  if (v.ok) {
    assert.equal(v.claims.allowed_tools, ['Read']);
    assert.is(v.claims.parent, session.claims.jti);
    assert.is(v.claims.sublayout, 'reviewer-with-a-long-name');
    assert.is(v.claims.identity_hash, wide.identityHash);
  }
});

test('every one-character edit of a token is refused, the last character of the signature included', async () => {
  const a = await authority();
  const { token } = await a.issue(wide);
  assert.ok((await a.verify(token)).ok);
  let tried = 0;
  for (let i = 0; i < token.length; i++) {
    if (token[i] === '.') continue;
    // Two replacements per position: the next character and one that differs in the low bits only.
    for (const c of [B64URL[(B64URL.indexOf(token[i]) + 1) % 64], B64URL[B64URL.indexOf(token[i]) ^ 1]]) {
      const edited = token.slice(0, i) + c + token.slice(i + 1);
      const v = await a.verify(edited);
      assert.not.ok(v.ok, `edit at ${i} (${token[i]} -> ${c}) was accepted`);
      tried++;
    }
  }
  assert.ok(tried > 400);
});

test('revoking a token refuses it and every token attenuated from it', async () => {
  const a = await authority();
  const parent = await a.issue(wide);
  const child = await a.issue({ ...wide, allowedTools: ['Read'], parent: parent.claims.jti });
  const grandchild = await a.issue({ ...wide, allowedTools: ['Read'], parent: child.claims.jti });
  a.revoke(parent.claims.jti);
  const p = await a.verify(parent.token);
  assert.equal(p, { ok: false, reason: 'token has been revoked' });
  for (const t of [child.token, grandchild.token]) {
    const v = await a.verify(t);
    assert.not.ok(v.ok);
    if (!v.ok) assert.match(v.reason, /^token's parent .* has been revoked$/);
  }
});

test('a token of another session, or of the same session id after a restart, is refused', async () => {
  const a = await authority();
  const { token } = await a.issue(wide);
  for (const other of [await authority('mcp-11111111-1111-4111-8111-111111111111'), await authority(SESSION)]) {
    const v = await other.verify(token);
    assert.not.ok(v.ok);
    if (!v.ok) assert.match(v.reason, /signature is invalid/);
  }
});

test('attenuation narrows: the child is held to its own scope and to every parent\'s', async () => {
  const a = await authority();
  const parent = await a.issue({ ...wide, allowedTools: ['Read', 'Bash'], deniedTools: undefined });
  const child = await a.issue({ ...wide, allowedTools: ['Read', 'Write'], deniedTools: undefined, parent: parent.claims.jti });
  const v = await a.verify(child.token);
  assert.ok(v.ok);
  if (!v.ok) return;
  assert.ok(a.scopeAllows(v.claims, 'Read'));
  assert.not.ok(a.scopeAllows(v.claims, 'Bash'), 'not in the child scope');
  assert.not.ok(a.scopeAllows(v.claims, 'Write'), 'not in the parent scope');
  assert.is(a.scopeChain(v.claims).length, 2);
});

test('an expired token is refused', async () => {
  const a = await authority();
  const { token } = await a.issue({ ...wide, ttlSeconds: 0 });
  const v = await a.verify(token);
  assert.not.ok(v.ok);
  if (!v.ok) assert.match(v.reason, /expired/);
});

test.run();
