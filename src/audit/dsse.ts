// DSSE v1 envelopes (https://github.com/secure-systems-lab/dsse/blob/master/protocol.md) with node:crypto only.
//
//   SIG = Sign(PAE(payloadType, payload))      PAE = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body
//
// LEN is the ASCII decimal byte length. We always sign with the standard PAE. Envelopes made by the reference aflock
// server use a non-standard PAE ("DSSEv1" + u64le(len type) + type + u64le(len body) + body); verifyEnvelope accepts
// those too and says so, so old trails can still be checked, but nothing here ever produces one.
//
// Keys: Ed25519 (signature over the raw PAE), ECDSA P-256 (ASN.1 DER signature over SHA-256 of the PAE) and, for
// verification of aflock envelopes only, RSA PKCS#1 v1.5 with SHA-256.
import { createHash, sign, verify, type KeyObject } from 'node:crypto';

export interface Envelope {
  payloadType: string;
  /** Standard base64 of the payload bytes. */
  payload: string;
  signatures: { keyid: string; sig: string }[];
}

export type PaeEncoding = 'dsse-v1' | 'aflock-le64';

export interface EnvelopeVerification {
  ok: boolean;
  /** Which PAE the verifying signature was made over (set when ok). */
  encoding?: PaeEncoding;
  /** One line saying why, when not ok. */
  reason?: string;
}

const PAE_PREFIX = 'DSSEv1';

export function pae(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  const head = Buffer.from(`${PAE_PREFIX} ${type.length} `, 'latin1');
  const mid = Buffer.from(` ${payload.length} `, 'latin1');
  return Buffer.concat([head, type, mid, payload]);
}

/** aflock's variant: "DSSEv1" + u64le(len(type)) + type + u64le(len(body)) + body, no separators. */
export function paeLegacyLE64(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  const out = Buffer.alloc(PAE_PREFIX.length + 8 + type.length + 8 + payload.length);
  let at = out.write(PAE_PREFIX, 0, 'latin1');
  out.writeBigUInt64LE(BigInt(type.length), at);
  at += 8;
  at += type.copy(out, at);
  out.writeBigUInt64LE(BigInt(payload.length), at);
  at += 8;
  out.set(payload, at);
  return out;
}

/** Signs with the standard PAE (never the LE64 variant). */
export function signEnvelope(payloadType: string, payload: Uint8Array, key: KeyObject, keyid: string): Envelope {
  if (key.type !== 'private') throw new TypeError('signEnvelope needs a private key');
  const sig = signBytes(pae(payloadType, payload), key);
  return {
    payloadType,
    payload: Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('base64'),
    signatures: [{ keyid, sig: sig.toString('base64') }],
  };
}

/**
 * Verifies that at least one signature of the envelope was made by `publicKey`, over the standard PAE or, failing
 * that, over aflock's LE64 PAE. Accepts standard and URL-safe base64, padded or not. The keyid is only a hint and is
 * not consulted. Does not look at payloadType or the payload's contents: the caller does, after this succeeds.
 */
export function verifyEnvelope(env: Envelope, publicKey: KeyObject): EnvelopeVerification {
  if (env === null || typeof env !== 'object') return { ok: false, reason: 'envelope is not a JSON object' };
  if (typeof env.payloadType !== 'string') return { ok: false, reason: 'envelope has no payloadType string' };
  if (typeof env.payload !== 'string') return { ok: false, reason: 'envelope has no payload string' };
  if (!Array.isArray(env.signatures) || env.signatures.length === 0) {
    return { ok: false, reason: 'envelope has no signatures' };
  }
  const payload = decodeBase64(env.payload);
  if (!payload) return { ok: false, reason: 'payload is not valid base64' };
  const sigs: Buffer[] = [];
  for (const s of env.signatures) {
    const b = s !== null && typeof s === 'object' && typeof s.sig === 'string' ? decodeBase64(s.sig) : null;
    if (b) sigs.push(b);
  }
  if (sigs.length === 0) return { ok: false, reason: 'no signature is valid base64' };

  const standard = pae(env.payloadType, payload);
  for (const sig of sigs) if (verifyBytes(standard, sig, publicKey)) return { ok: true, encoding: 'dsse-v1' };
  const legacy = paeLegacyLE64(env.payloadType, payload);
  for (const sig of sigs) if (verifyBytes(legacy, sig, publicKey)) return { ok: true, encoding: 'aflock-le64' };
  return {
    ok: false,
    reason: sigs.length === 1 ? 'signature does not verify with the signer key' : `none of ${sigs.length} signatures verifies with the signer key`,
  };
}

/** Decodes the payload of an envelope (std or URL-safe base64); null when it is not base64. */
export function decodePayload(env: Envelope): Buffer | null {
  return typeof env?.payload === 'string' ? decodeBase64(env.payload) : null;
}

/** A DSSE key id for a public key: hex SHA-256 of its SPKI DER encoding. */
export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
}

const STD_B64 = /^[A-Za-z0-9+/]*={0,2}$/;
const URL_B64 = /^[A-Za-z0-9_-]*={0,2}$/;

function decodeBase64(s: string): Buffer | null {
  if (!STD_B64.test(s) && !URL_B64.test(s)) return null; // one alphabet, never mixed, nothing else
  const padded = s.endsWith('=');
  if (padded ? s.length % 4 !== 0 : s.length % 4 === 1) return null;
  return Buffer.from(s, 'base64'); // Node's decoder reads both alphabets
}

function signBytes(message: Buffer, key: KeyObject): Buffer {
  switch (key.asymmetricKeyType) {
    case 'ed25519':
      return sign(null, message, key);
    case 'ec':
      return sign('sha256', message, { key, dsaEncoding: 'der' });
    default:
      throw new TypeError(`unsupported signing key type ${key.asymmetricKeyType}; use Ed25519 or ECDSA P-256`);
  }
}

function verifyBytes(message: Buffer, sig: Buffer, key: KeyObject): boolean {
  try {
    switch (key.asymmetricKeyType) {
      case 'ed25519':
        return verify(null, message, key, sig);
      case 'ec':
        return verify('sha256', message, { key, dsaEncoding: 'der' }, sig);
      case 'rsa':
        return verify('sha256', message, key, sig);
      default:
        return false;
    }
  } catch {
    return false; // malformed DER and the like: not a valid signature
  }
}
