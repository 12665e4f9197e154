// The session's audit trail: one signed in-toto statement (DSSE envelope) per decision, and a hash-chained log.
//
//   <home>/sessions/<sid>/              0700
//     signer.pub.pem                    0600  SPKI PEM of the session's signing key (the private key is never written)
//     audit.jsonl                       0600  one line per record, each holding the SHA-256 of the line before it
//     attestations/                     0700
//       000001-<id>.intoto.json         0600  DSSE envelope (compact JSON + "\n") of an in-toto Statement v1
//
// Order of a record: sign, write the envelope file, append the line, and only then return. The line is one
// write(2) on an O_APPEND descriptor kept open for the life of the trail, with nothing buffered in the process, so a
// process crash (SIGKILL, OOM, a throw) loses at most the record being made: either its envelope exists without a
// line, or (practically only on power loss) the line is cut short. Earlier lines are never rewritten.
//
// Durability: by default there is no fsync. Data written by write(2) survives the death of the process (it is in
// the kernel's page cache), but not a power loss or kernel crash, which can drop the last few seconds of records.
// With `durable: true` every record is fdatasync'ed (envelope, its directory entry, then the line) before returning;
// measured on this machine's ext4 that costs ~0.7 ms per record instead of ~0.2 ms.
//
// Chaining: every action statement carries `audit: {seq, prev}` in its signed predicate, prev being the SHA-256 of
// the previous log line. Since each line holds the SHA-256 of its envelope, the signature on record N authenticates
// the whole log before it: lines cannot be edited, dropped, inserted or reordered without the signing key, which
// only the server process has. What the signatures cannot show is that records were dropped from the *end*.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  constants,
  fdatasyncSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { keyIdOf, signEnvelope, type Envelope } from './dsse.ts';
import { canonicalJson, sha256Hex } from './json.ts';

export const IN_TOTO_STATEMENT_V1 = 'https://in-toto.io/Statement/v1';
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
export const ACTION_PREDICATE_TYPE = 'https://aflock.ai/attestations/action/v0.1';
/** Predicate types under this prefix are the server's own; an agent must not get them signed (sign_attestation). */
export const AFLOCK_PREDICATE_NAMESPACE = 'https://aflock.ai/';
/** `prev` of the first line. */
export const AUDIT_GENESIS = '0'.repeat(64);
export const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;
export const AUDIT_LOG = 'audit.jsonl';
export const SIGNER_PUBLIC_KEY = 'signer.pub.pem';
export const ATTESTATIONS_DIR = 'attestations';

export const DECISIONS = ['allow', 'deny', 'ask', 'approved', 'declined'] as const;
export type Decision = (typeof DECISIONS)[number];

export interface ActionRecord {
  /** Policy tool name: "Bash" | "Read" | "Write" | "sign_attestation" | "get_token" ... */
  tool: string;
  toolUseId: string;
  /** The evaluated input object. Top-level `_token` / `_bootstrap` are dropped here too, as a second line of defence. */
  input: unknown;
  decision: Decision;
  /** The pattern that decided, if any. */
  rule?: string;
  reason: string;
  identity?: unknown;
  metrics?: unknown;
  /** Binds the call to its token by jti and SHA-256 of the token; never the token itself. */
  token?: { jti: string; sha256: string };
  /** `native`: the host's own tool (e.g. Claude Code's Bash), decided through a hook. Absent: an MCP tool of ours. */
  origin?: 'native';
  /** The OS sandbox commands run in: "bubblewrap", "bubblewrap unavailable", "off (--no-sandbox)", ... */
  sandbox?: string;
}

export interface Statement {
  _type: string;
  subject: unknown[];
  predicateType: string;
  predicate: unknown;
}

/** One line of audit.jsonl. Action lines have `decision`; other statements have `statement` (the predicate type). */
export interface AuditLine {
  seq: number;
  time: string;
  tool: string;
  decision?: Decision;
  statement?: string;
  envelope: string;
  sha256: string;
  prev: string;
}

/** The exact bytes of a line, without its newline. Fixed key order: the verifier re-serialises and compares. */
export function formatAuditLine(l: AuditLine): string {
  return JSON.stringify({
    seq: l.seq,
    time: l.time,
    tool: l.tool,
    decision: l.decision,
    statement: l.statement,
    envelope: l.envelope,
    sha256: l.sha256,
    prev: l.prev,
  });
}

/** Where session trails live: `$AFLOCK_HOME`, else `~/.aflock`. Throws when no home directory is known. */
export function aflockHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.AFLOCK_HOME) return env.AFLOCK_HOME;
  let home: string | undefined;
  try {
    home = homedir();
  } catch {
    home = env.HOME;
  }
  // Never a relative fallback: './.aflock' would put the trail inside the project, next to (or over) its policy.
  if (!home) throw new Error('no home directory is known (HOME unset, and Deno needs --allow-sys=homedir to ask); set AFLOCK_HOME');
  return join(home, '.aflock');
}

/**
 * `mkdir -p`, one level at a time. Node's recursive mkdir loops for ever at 100% CPU where mkdir answers ENOENT under
 * a directory that exists (procfs: AFLOCK_HOME=/proc/self), so: find the deepest existing ancestor, then create each
 * missing level once; any error but EEXIST (a race with another creator) is thrown as it is.
 */
export function makeDirs(path: string, mode: number): void {
  const missing: string[] = [];
  let p = resolve(path);
  for (;;) {
    const st = statSync(p, { throwIfNoEntry: false });
    if (st) {
      if (!st.isDirectory()) throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${p}'`), { code: 'ENOTDIR' });
      break;
    }
    missing.push(p);
    const parent = dirname(p);
    if (parent === p) break;
    p = parent;
  }
  for (const dir of missing.reverse()) {
    try {
      mkdirSync(dir, { mode });
    } catch (e) {
      if (errno(e) !== 'EEXIST' || !statSync(dir).isDirectory()) throw e;
    }
  }
}

/** `000042-<label>.intoto.json`; the label is reduced to [A-Za-z0-9._-], at most 64 characters. */
export function envelopeFileName(seq: number, label: string): string {
  return `${String(seq).padStart(6, '0')}-${fileLabel(label)}.intoto.json`;
}

export function fileLabel(label: string): string {
  const s = label.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64);
  return s === '' ? '_' : s;
}

export interface OpenOptions {
  home: string;
  sessionId: string;
  /** fdatasync every record before returning (survives power loss; ~0.5 ms more per record). Default false. */
  durable?: boolean;
}

export class AuditTrail {
  readonly dir: string;
  readonly sessionId: string;
  readonly keyId: string;
  readonly publicKey: KeyObject;
  readonly #key: KeyObject;
  readonly #attDir: string;
  readonly #durable: boolean;
  #fd: number;
  #seq = 0;
  #prev = AUDIT_GENESIS;
  #dead: string | null = null;

  private constructor(dir: string, sessionId: string, key: KeyObject, publicKey: KeyObject, fd: number, durable: boolean) {
    this.dir = dir;
    this.sessionId = sessionId;
    this.#key = key;
    this.publicKey = publicKey;
    this.keyId = keyIdOf(publicKey);
    this.#attDir = join(dir, ATTESTATIONS_DIR);
    this.#fd = fd;
    this.#durable = durable;
  }

  /** Creates a new session directory and its signing key. Throws a one-line, actionable Error on failure. */
  static open(opts: OpenOptions): AuditTrail {
    const { home, sessionId } = opts;
    if (typeof sessionId !== 'string' || !SESSION_ID_PATTERN.test(sessionId)) {
      throw new Error(`invalid session id ${JSON.stringify(sessionId)}: use 1-128 letters, digits, '-' or '_'`);
    }
    const dir = join(resolve(home), 'sessions', sessionId);
    const attDir = join(dir, ATTESTATIONS_DIR);
    const where = `audit trail ${dir}`;
    try {
      makeDirs(attDir, 0o700);
      chmodSync(dir, 0o700); // mkdir's mode is filtered by umask and does not apply to existing directories
      chmodSync(attDir, 0o700);
    } catch (e) {
      throw new Error(`cannot create ${where}: ${describe(e)}; set AFLOCK_HOME to a directory you can write`);
    }
    if (readdirSync(attDir).length > 0) {
      throw new Error(`cannot create ${where}: it already holds attestations; every session needs a new id`);
    }
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    try {
      const pem = publicKey.export({ type: 'spki', format: 'pem' });
      writeFileSync(join(dir, SIGNER_PUBLIC_KEY), pem, { mode: 0o600, flag: 'wx' });
    } catch (e) {
      const hint = errno(e) === 'EEXIST' ? 'the session directory is already in use; every session needs a new id' : 'set AFLOCK_HOME to a directory you can write';
      throw new Error(`cannot create ${where}: ${describe(e)}; ${hint}`);
    }
    let fd: number;
    try {
      fd = openSync(
        join(dir, AUDIT_LOG),
        constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_EXCL,
        0o600,
      );
    } catch (e) {
      throw new Error(`cannot create ${where}: ${describe(e)}; every session needs a new id and a writable AFLOCK_HOME`);
    }
    return new AuditTrail(dir, sessionId, privateKey, publicKey, fd, opts.durable === true);
  }

  /** Sequence number of the last record written (0 before the first). */
  get seq(): number {
    return this.#seq;
  }

  /** SHA-256 of the last line written (the chain head); AUDIT_GENESIS before the first. */
  get head(): string {
    return this.#prev;
  }

  recordAction(rec: ActionRecord): { seq: number; envelopePath: string } {
    this.#checkOpen();
    checkActionRecord(rec);
    const seq = this.#seq + 1;
    const time = new Date().toISOString();
    const input = withoutSecrets(rec.input);
    const predicate: Record<string, unknown> = {
      action: 'tool_call',
      sessionId: this.sessionId,
      toolName: rec.tool,
      toolUseId: rec.toolUseId,
      toolInput: input,
      decision: rec.decision,
      matchedRule: rec.rule,
      reason: rec.reason,
      timestamp: time,
      agentIdentity: rec.identity,
      metrics: rec.metrics,
      tokenBinding: rec.token ? { jti: rec.token.jti, sha256: rec.token.sha256 } : undefined,
      origin: rec.origin,
      sandbox: rec.sandbox,
      audit: { seq, prev: this.#prev },
    };
    const statement: Statement = {
      _type: IN_TOTO_STATEMENT_V1,
      subject: [{ name: `session:${this.sessionId}/action:${rec.toolUseId}`, digest: { sha256: sha256Hex(canonicalJson(input)) } }],
      predicateType: ACTION_PREDICATE_TYPE,
      predicate,
    };
    const { envelopePath } = this.#write(seq, time, statement, rec.toolUseId, { tool: rec.tool, decision: rec.decision });
    return { seq, envelopePath };
  }

  /**
   * Signs a statement that is not an action record (sign_attestation, step attestations) and records it the same
   * way. `label` names it in the log (`tool`) and in the file name. Refuses the action predicate type: action
   * records come from recordAction only.
   */
  signStatement(statement: Statement, label: string): { seq: number; envelope: Envelope; envelopePath: string } {
    this.#checkOpen();
    if (statement === null || typeof statement !== 'object') throw new TypeError('statement must be an object');
    if (typeof statement._type !== 'string') throw new TypeError('statement._type must be a string');
    if (!Array.isArray(statement.subject)) throw new TypeError('statement.subject must be an array');
    if (typeof statement.predicateType !== 'string' || statement.predicateType === '') {
      throw new TypeError('statement.predicateType must be a non-empty string');
    }
    if (statement.predicateType === ACTION_PREDICATE_TYPE) {
      throw new TypeError(`${ACTION_PREDICATE_TYPE} statements are made by recordAction only`);
    }
    if (typeof label !== 'string' || label === '') throw new TypeError('label must be a non-empty string');
    const seq = this.#seq + 1;
    const time = new Date().toISOString();
    const body: Statement = {
      _type: statement._type,
      subject: statement.subject,
      predicateType: statement.predicateType,
      predicate: statement.predicate,
    };
    return { seq, ...this.#write(seq, time, body, label, { tool: label, statement: statement.predicateType }) };
  }

  /** Closes the log. Later calls to recordAction/signStatement throw. Idempotent. */
  close(): void {
    if (this.#fd >= 0) {
      const fd = this.#fd;
      this.#fd = -1;
      this.#dead ??= 'it is closed';
      closeSync(fd);
    }
  }

  #checkOpen(): void {
    if (this.#dead !== null) throw new Error(`audit trail ${this.dir} cannot record: ${this.#dead}`);
  }

  #write(
    seq: number,
    time: string,
    statement: Statement,
    label: string,
    fields: { tool: string; decision?: Decision; statement?: string },
  ): { envelope: Envelope; envelopePath: string } {
    const payload = Buffer.from(JSON.stringify(statement), 'utf8');
    const envelope = signEnvelope(IN_TOTO_PAYLOAD_TYPE, payload, this.#key, this.keyId);
    const bytes = Buffer.from(JSON.stringify(envelope) + '\n', 'utf8');
    const name = envelopeFileName(seq, label);
    const envelopePath = join(this.#attDir, name);
    const line = formatAuditLine({ seq, time, ...fields, envelope: name, sha256: sha256Hex(bytes), prev: this.#prev }) + '\n';
    const lineBytes = Buffer.from(line, 'utf8');
    try {
      if (this.#durable) {
        const efd = openSync(envelopePath, 'wx', 0o600);
        try {
          writeAll(efd, bytes);
          fdatasyncSync(efd);
        } finally {
          closeSync(efd);
        }
        syncDir(this.#attDir);
      } else {
        writeFileSync(envelopePath, bytes, { mode: 0o600, flag: 'wx' });
      }
      writeAll(this.#fd, lineBytes);
      if (this.#durable) fdatasyncSync(this.#fd);
    } catch (e) {
      // We cannot know what reached the disk, so the chain's state is unknown: stop rather than write a fork.
      this.#dead = `writing record ${seq} failed (${describe(e)}); start a new session`;
      throw new Error(`audit trail ${this.dir}: ${this.#dead}`);
    }
    this.#seq = seq;
    this.#prev = sha256Hex(lineBytes);
    return { envelope, envelopePath };
  }
}

function checkActionRecord(rec: ActionRecord): void {
  if (rec === null || typeof rec !== 'object') throw new TypeError('action record must be an object');
  if (typeof rec.tool !== 'string' || rec.tool === '') throw new TypeError('action record: tool must be a non-empty string');
  if (typeof rec.toolUseId !== 'string' || rec.toolUseId === '') throw new TypeError('action record: toolUseId must be a non-empty string');
  if (!(DECISIONS as readonly string[]).includes(rec.decision)) throw new TypeError(`action record: unknown decision ${JSON.stringify(rec.decision)}`);
  if (typeof rec.reason !== 'string') throw new TypeError('action record: reason must be a string');
  if (rec.rule !== undefined && typeof rec.rule !== 'string') throw new TypeError('action record: rule must be a string');
  if (rec.token !== undefined) {
    const t = rec.token;
    if (t === null || typeof t !== 'object' || typeof t.jti !== 'string' || !/^[0-9a-f]{64}$/.test(t.sha256)) {
      throw new TypeError('action record: token must be {jti, sha256: 64 lowercase hex digits}');
    }
  }
}

function withoutSecrets(input: unknown): unknown {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return input;
  if (!Object.hasOwn(input, '_token') && !Object.hasOwn(input, '_bootstrap')) return input;
  const { _token, _bootstrap, ...rest } = input as Record<string, unknown>;
  return rest;
}

function writeAll(fd: number, buf: Buffer): void {
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
}

function syncDir(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException)?.code;
}

function describe(e: unknown): string {
  const code = errno(e);
  const msg = e instanceof Error ? e.message : String(e);
  if (code === 'EACCES' || code === 'EPERM') return `permission denied (${code})`;
  if (code === 'EROFS') return 'read-only file system (EROFS)';
  if (code === 'ENOSPC') return 'no space left on device (ENOSPC)';
  if (code === 'EEXIST') return 'already exists (EEXIST)';
  if (code === 'ENOTDIR') return 'a path component is not a directory (ENOTDIR)';
  // mkdir under a directory that exists but takes no new entries (procfs, sysfs) answers ENOENT.
  if (code === 'ENOENT' && (e as NodeJS.ErrnoException).syscall === 'mkdir') return `its file system does not allow creating '${(e as NodeJS.ErrnoException).path}' (ENOENT)`;
  return code ? `${code}: ${msg.split('\n')[0]}` : msg.split('\n')[0];
}
