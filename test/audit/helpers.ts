// Shared by the audit suites: temp homes, a sample trail, and a trail written by hand (for keys and PAE variants
// the server never uses).
import { randomUUID, sign, type KeyObject } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/rpc.ts';
import { pae, paeLegacyLE64 } from '../../src/audit/dsse.ts';
import { canonicalJson, sha256Hex } from '../../src/audit/json.ts';
import {
  ACTION_PREDICATE_TYPE,
  AUDIT_GENESIS,
  AuditTrail,
  IN_TOTO_PAYLOAD_TYPE,
  IN_TOTO_STATEMENT_V1,
  envelopeFileName,
  formatAuditLine,
  type Decision,
} from '../../src/audit/trail.ts';

const homes: string[] = [];

export function tempHome(): string {
  const d = tempDir('aflock-audit-');
  homes.push(d);
  return d;
}

export function cleanup(): void {
  for (const d of homes.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** A trail of five records: actions of several tools and decisions, one sign_attestation statement, last an action. */
export function sampleTrail(home: string, sessionId = 'mcp-sample'): AuditTrail {
  const t = AuditTrail.open({ home, sessionId });
  t.recordAction({ tool: 'Bash', toolUseId: randomUUID(), input: { command: 'echo hi' }, decision: 'allow', rule: 'Bash:echo *', reason: 'allowed by rule' });
  t.recordAction({ tool: 'Bash', toolUseId: randomUUID(), input: { command: 'rm -rf /' }, decision: 'deny', rule: 'Bash:rm -rf *', reason: 'denied by rule' });
  t.signStatement(
    { _type: IN_TOTO_STATEMENT_V1, subject: [{ name: 'report.txt', digest: { sha256: sha256Hex('x') } }], predicateType: 'https://example.com/review/v1', predicate: { ok: true } },
    'sign_attestation',
  );
  t.recordAction({ tool: 'Read', toolUseId: randomUUID(), input: { path: '/etc/hosts' }, decision: 'ask', reason: 'requires approval' });
  t.recordAction({ tool: 'Write', toolUseId: randomUUID(), input: { path: 'a.txt', content: 'x' }, decision: 'allow', reason: '' });
  return t;
}

export interface HandRecord {
  tool: string;
  decision: Decision;
  input: unknown;
  /** Session id written into the statement (defaults to the directory's). */
  statementSession?: string;
}

/**
 * Writes a session directory without AuditTrail, signing with the given key and PAE. Used for what the server never
 * produces: aflock's LE64 PAE, ECDSA keys, a statement naming another session but signed with this session's key.
 */
export function handTrail(dir: string, key: KeyObject, publicPem: string, records: HandRecord[], encoding: 'dsse-v1' | 'aflock-le64'): void {
  const sid = dir.split('/').pop()!;
  mkdirSync(join(dir, 'attestations'), { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, 'signer.pub.pem'), publicPem);
  let prev = AUDIT_GENESIS;
  let log = '';
  const keyid = 'hand-made';
  records.forEach((r, i) => {
    const seq = i + 1;
    const time = new Date().toISOString();
    const toolUseId = randomUUID();
    const session = r.statementSession ?? sid;
    const statement = {
      _type: IN_TOTO_STATEMENT_V1,
      subject: [{ name: `session:${session}/action:${toolUseId}`, digest: { sha256: sha256Hex(canonicalJson(r.input)) } }],
      predicateType: ACTION_PREDICATE_TYPE,
      predicate: { action: 'tool_call', sessionId: session, toolName: r.tool, toolUseId, toolInput: r.input, decision: r.decision, reason: '', timestamp: time, audit: { seq, prev } },
    };
    const payload = Buffer.from(JSON.stringify(statement));
    const message = encoding === 'dsse-v1' ? pae(IN_TOTO_PAYLOAD_TYPE, payload) : paeLegacyLE64(IN_TOTO_PAYLOAD_TYPE, payload);
    const sig = key.asymmetricKeyType === 'ed25519' ? sign(null, message, key) : sign('sha256', message, { key, dsaEncoding: 'der' });
    const env = { payloadType: IN_TOTO_PAYLOAD_TYPE, payload: payload.toString('base64'), signatures: [{ keyid, sig: sig.toString('base64') }] };
    const bytes = JSON.stringify(env, null, 2) + '\n';
    const name = envelopeFileName(seq, toolUseId);
    writeFileSync(join(dir, 'attestations', name), bytes);
    const line = formatAuditLine({ seq, time, tool: r.tool, decision: r.decision, envelope: name, sha256: sha256Hex(bytes), prev }) + '\n';
    log += line;
    prev = sha256Hex(line);
  });
  writeFileSync(join(dir, 'audit.jsonl'), log);
}

/** Runs fn with process.stdout/stderr captured; returns what was written and fn's result. */
export function capture<T>(fn: () => T): { result: T; stdout: string; stderr: string } {
  const out: string[] = [];
  const err: string[] = [];
  const ow = process.stdout.write;
  const ew = process.stderr.write;
  process.stdout.write = ((s: string | Uint8Array) => (out.push(String(s)), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array) => (err.push(String(s)), true)) as typeof process.stderr.write;
  try {
    const result = fn();
    return { result, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = ow;
    process.stderr.write = ew;
  }
}
