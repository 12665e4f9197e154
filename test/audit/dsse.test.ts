import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createPublicKey, generateKeyPairSync, sign, webcrypto } from 'node:crypto';
import { decodePayload, keyIdOf, pae, paeLegacyLE64, signEnvelope, verifyEnvelope, type Envelope } from '../../src/audit/dsse.ts';

const TYPE = 'http://example.com/HelloWorld';
const BODY = Buffer.from('hello world');

test('PAE: the DSSE v1 spec test vector', () => {
  assert.is(pae(TYPE, BODY).toString('latin1'), 'DSSEv1 29 http://example.com/HelloWorld 11 hello world');
});

test('PAE: lengths are bytes, not characters, and an empty body is allowed', () => {
  assert.is(pae('t/é', Buffer.from('ü')).toString('utf8'), 'DSSEv1 4 t/é 2 ü');
  assert.is(pae('', new Uint8Array(0)).toString('latin1'), 'DSSEv1 0  0 ');
});

test("PAE: aflock's LE64 variant has 8-byte little-endian lengths and no separators", () => {
  const b = paeLegacyLE64(TYPE, BODY);
  const expected = Buffer.concat([
    Buffer.from('DSSEv1'),
    Buffer.from([29, 0, 0, 0, 0, 0, 0, 0]),
    Buffer.from(TYPE),
    Buffer.from([11, 0, 0, 0, 0, 0, 0, 0]),
    BODY,
  ]);
  assert.ok(b.equals(expected));
});

// An independent DSSE verifier, written here from the protocol text, on WebCrypto rather than the node:crypto
// one-shot API the module uses:  SIG = Sign(PAE(UTF8(payloadType), body)), PAE = "DSSEv1" SP LEN SP type SP LEN SP body
async function specVerify(env: Envelope, spkiPem: string): Promise<Buffer | null> {
  const b64 = (s: string) => Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  const body = b64(env.payload);
  const type = Buffer.from(env.payloadType, 'utf8');
  const message = Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${body.length} `), body]);
  const der = Buffer.from(spkiPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  const key = await webcrypto.subtle.importKey('spki', der, { name: 'Ed25519' }, false, ['verify']);
  for (const s of env.signatures) {
    if (await webcrypto.subtle.verify({ name: 'Ed25519' }, key, b64(s.sig), message)) return body;
  }
  return null;
}

test('an envelope verifies with an independent spec implementation (WebCrypto)', async () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const env = signEnvelope(TYPE, BODY, privateKey, keyIdOf(publicKey));
  const pem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
  const body = await specVerify(env, pem);
  assert.ok(body, 'independent verifier rejected the envelope');
  assert.is(body!.toString(), 'hello world');
  // and the independent verifier is not a rubber stamp
  const forged = { ...env, payload: Buffer.from('hello world!').toString('base64') };
  assert.is(await specVerify(forged, pem), null);
});

test('the module verifies a signature made independently over the spec PAE', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const msg = Buffer.concat([Buffer.from(`DSSEv1 ${TYPE.length} ${TYPE} ${BODY.length} `), BODY]);
  const env: Envelope = { payloadType: TYPE, payload: BODY.toString('base64'), signatures: [{ keyid: '', sig: sign(null, msg, privateKey).toString('base64') }] };
  assert.equal(verifyEnvelope(env, publicKey), { ok: true, encoding: 'dsse-v1' });
});

test('sign and verify: Ed25519 and ECDSA P-256', () => {
  for (const kp of [generateKeyPairSync('ed25519'), generateKeyPairSync('ec', { namedCurve: 'P-256' })]) {
    const env = signEnvelope(TYPE, BODY, kp.privateKey, 'k');
    assert.is(env.payload, BODY.toString('base64'));
    assert.equal(env.signatures[0].keyid, 'k');
    assert.equal(verifyEnvelope(env, kp.publicKey), { ok: true, encoding: 'dsse-v1' });
    assert.ok(decodePayload(env)!.equals(BODY));
  }
});

test('URL-safe and unpadded base64 are accepted; mixed alphabets and junk are not', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  // A body whose base64 has '+' and '/' in it, and padding.
  const body = Buffer.from([0xfb, 0xff, 0xbf, 0xfe, 0x01]);
  const env = signEnvelope(TYPE, body, privateKey, 'k');
  assert.match(env.payload, /[+/]/);
  const urlSafe = (s: string) => s.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  const url: Envelope = { ...env, payload: urlSafe(env.payload), signatures: [{ keyid: 'k', sig: urlSafe(env.signatures[0].sig) }] };
  assert.equal(verifyEnvelope(url, publicKey), { ok: true, encoding: 'dsse-v1' });
  assert.ok(decodePayload(url)!.equals(body));
  assert.is(env.payload, '+/+//gE=');
  assert.equal(verifyEnvelope({ ...env, payload: '-/+//gE=' }, publicKey), { ok: false, reason: 'payload is not valid base64' });
  assert.equal(verifyEnvelope({ ...env, payload: env.payload + '!' }, publicKey), { ok: false, reason: 'payload is not valid base64' });
  assert.is(verifyEnvelope({ ...env, payload: 'QQ=' }, publicKey).ok, false); // bad padding
});

test('verification fails for a changed payload, payload type, signature or key', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const env = signEnvelope(TYPE, BODY, privateKey, 'k');
  const other = generateKeyPairSync('ed25519').publicKey;
  const sig = Buffer.from(env.signatures[0].sig, 'base64');
  sig[5] ^= 1;
  const cases: [string, Envelope, ReturnType<typeof generateKeyPairSync>['publicKey']][] = [
    ['payload', { ...env, payload: Buffer.from('hello worle').toString('base64') }, publicKey],
    ['payloadType', { ...env, payloadType: TYPE + 'x' }, publicKey],
    ['signature', { ...env, signatures: [{ keyid: 'k', sig: sig.toString('base64') }] }, publicKey],
    ['key', env, other],
  ];
  for (const [what, e, k] of cases) {
    const v = verifyEnvelope(e, k);
    assert.is(v.ok, false, what);
    assert.match(v.reason!, /does not verify/, what);
  }
});

test('malformed envelopes are refused with a reason, never thrown', () => {
  const { publicKey } = generateKeyPairSync('ed25519');
  const bad: unknown[] = [null, 42, {}, { payloadType: TYPE, payload: '' }, { payloadType: TYPE, payload: '', signatures: [] },
    { payloadType: TYPE, payload: '', signatures: [{ sig: 7 }] }, { payloadType: TYPE, payload: '', signatures: [{ keyid: 'k', sig: 'AAAA' }] }];
  for (const e of bad) {
    const v = verifyEnvelope(e as Envelope, publicKey);
    assert.is(v.ok, false);
    assert.type(v.reason, 'string');
  }
});

test('any one of several signatures may verify (keyid is only a hint)', () => {
  const a = generateKeyPairSync('ed25519');
  const b = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ea = signEnvelope(TYPE, BODY, a.privateKey, 'a');
  const eb = signEnvelope(TYPE, BODY, b.privateKey, 'b');
  const both: Envelope = { ...ea, signatures: [{ keyid: 'b', sig: ea.signatures[0].sig }, eb.signatures[0]] };
  assert.is(verifyEnvelope(both, a.publicKey).ok, true);
  assert.is(verifyEnvelope(both, b.publicKey).ok, true);
});

test("aflock's LE64 PAE is accepted and reported, for Ed25519 and ECDSA P-256", () => {
  for (const kp of [generateKeyPairSync('ed25519'), generateKeyPairSync('ec', { namedCurve: 'P-256' })]) {
    const m = paeLegacyLE64(TYPE, BODY);
    const sig = kp.privateKey.asymmetricKeyType === 'ed25519' ? sign(null, m, kp.privateKey) : sign('sha256', m, { key: kp.privateKey, dsaEncoding: 'der' });
    const env: Envelope = { payloadType: TYPE, payload: BODY.toString('base64'), signatures: [{ keyid: 'x', sig: sig.toString('base64') }] };
    assert.equal(verifyEnvelope(env, kp.publicKey), { ok: true, encoding: 'aflock-le64' });
  }
});

test('keyIdOf is the SHA-256 of the SPKI DER and signEnvelope refuses a public key', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  assert.match(keyIdOf(publicKey), /^[0-9a-f]{64}$/);
  assert.is(keyIdOf(publicKey), keyIdOf(createPublicKey(privateKey)));
  assert.throws(() => signEnvelope(TYPE, BODY, publicKey, 'k'), /private key/);
});

test.run();
