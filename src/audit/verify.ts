// `aflock-mcp verify SESSION_DIR`: checks a session's audit trail offline, with nothing but the directory.
//
// For every whole line of audit.jsonl, in order:
//   - it is a record in canonical form (the exact bytes the server writes; any edit shows),
//   - seq is the line number (contiguous from 1) and prev is the SHA-256 of the line before (genesis: 64 zeros),
//   - its envelope file exists, its SHA-256 is the one in the line, and its name carries the same seq,
//   - the envelope's signature verifies with signer.pub.pem (standard DSSE v1 PAE; aflock's LE64 PAE is accepted
//     and counted separately), its payload is an in-toto Statement v1,
//   - an action statement agrees with its line (session, tool, decision, time, seq, prev, subject digest of the
//     input); any statement naming a session must name this one (the directory's name is the session id).
// Then every file in attestations/ must be named by a line.
//
// A crash can leave the last record half-made: an envelope with no line (the usual case after SIGKILL), or a line
// without its newline (power loss). That tail is reported, not checked, and is not a problem by itself; but since it
// is indistinguishable from a deleted last line, the command exits 1 on it unless given --allow-partial.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { decodePayload, keyIdOf, verifyEnvelope, type Envelope, type PaeEncoding } from './dsse.ts';
import { canonicalJson, sha256Hex } from './json.ts';
import {
  ACTION_PREDICATE_TYPE,
  ATTESTATIONS_DIR,
  AUDIT_GENESIS,
  AUDIT_LOG,
  DECISIONS,
  IN_TOTO_PAYLOAD_TYPE,
  IN_TOTO_STATEMENT_V1,
  SESSION_ID_PATTERN,
  SIGNER_PUBLIC_KEY,
  aflockHome,
  fileLabel,
  formatAuditLine,
  type AuditLine,
  type Decision,
} from './trail.ts';

export interface VerifyProblem {
  /** Path relative to the session directory: "audit.jsonl", "attestations/000003-x.intoto.json", "signer.pub.pem". */
  file: string;
  /** Line of audit.jsonl the problem belongs to (1-based), when there is one. */
  line?: number;
  message: string;
}

export interface VerifyReport {
  dir: string;
  sessionId: string;
  /** No problems. A partial tail alone does not make this false. */
  ok: boolean;
  /** Whole lines in audit.jsonl. */
  records: number;
  /** Records that passed every check. */
  verified: number;
  /** Decisions per tool, from action lines. */
  byTool: Record<string, Partial<Record<Decision, number>>>;
  /** Of those, the host's own tools decided through hooks (signed `origin: "native"`); the rest are MCP calls. */
  native: Record<string, Partial<Record<Decision, number>>>;
  /** Other statements (sign_attestation, steps) per label. */
  statements: Record<string, number>;
  /** Verified envelopes per PAE encoding. */
  encodings: Record<PaeEncoding, number>;
  keyType?: string;
  keyId?: string;
  /** SHA-256 of the last whole line (the chain head). */
  head: string;
  /** The half-made last record a crash leaves, if any. */
  partial?: { line?: number; envelope?: string; message: string };
  problems: VerifyProblem[];
}

const ENVELOPE_NAME = /^(\d{6,})-([A-Za-z0-9._-]{1,64})\.intoto\.json$/;
const HEX64 = /^[0-9a-f]{64}$/;
const NL = 0x0a;

export function verifySessionDir(dir: string): VerifyReport {
  const abs = resolve(dir);
  const sessionId = basename(abs);
  const r: VerifyReport = {
    dir: abs,
    sessionId,
    ok: false,
    records: 0,
    verified: 0,
    byTool: {},
    native: {},
    statements: {},
    encodings: { 'dsse-v1': 0, 'aflock-le64': 0 },
    head: AUDIT_GENESIS,
    problems: [],
  };
  const problem = (file: string, line: number | undefined, message: string): void => {
    r.problems.push(line === undefined ? { file, message } : { file, line, message });
  };

  let key: KeyObject | null = null;
  try {
    key = createPublicKey(readFileSync(join(abs, SIGNER_PUBLIC_KEY)));
    r.keyType = key.asymmetricKeyType;
    r.keyId = keyIdOf(key);
  } catch (e) {
    problem(SIGNER_PUBLIC_KEY, undefined, isMissing(e) ? 'missing: no signature can be checked' : 'is not a PEM public key: no signature can be checked');
  }

  let log: Buffer;
  try {
    log = readFileSync(join(abs, AUDIT_LOG));
  } catch (e) {
    problem(AUDIT_LOG, undefined, isMissing(e) ? 'missing' : `cannot be read (${(e as NodeJS.ErrnoException).code})`);
    log = Buffer.alloc(0);
  }

  const attDir = join(abs, ATTESTATIONS_DIR);
  let files: string[] = [];
  try {
    files = readdirSync(attDir);
  } catch {
    problem(ATTESTATIONS_DIR, undefined, 'directory is missing');
  }
  const present = new Set(files);
  const referenced = new Set<string>();

  // Whole lines, in order.
  let start = 0;
  let lineNo = 0;
  let prevHash = AUDIT_GENESIS;
  while (start < log.length) {
    const end = log.indexOf(NL, start);
    if (end < 0) break; // partial tail, below
    lineNo++;
    const bytes = log.subarray(start, end + 1);
    start = end + 1;
    const before = r.problems.length;
    checkLine(bytes, lineNo, prevHash);
    if (r.problems.length === before) r.verified++;
    prevHash = sha256Hex(bytes);
  }
  r.records = lineNo;
  r.head = prevHash;

  let tailEnvelope: string | undefined;
  if (start < log.length) {
    const text = log.subarray(start).toString('utf8');
    tailEnvelope = /"envelope":"([^"]*)"/.exec(text)?.[1];
    r.partial = {
      line: lineNo + 1,
      envelope: tailEnvelope,
      message: `trail ends with a partial line ${lineNo + 1} (crash while writing?); it is not checked`,
    };
  }

  let tailClaimed = false;
  for (const name of files.sort()) {
    if (referenced.has(name)) continue;
    const m = ENVELOPE_NAME.exec(name);
    const file = `${ATTESTATIONS_DIR}/${name}`;
    if (!m) {
      problem(file, undefined, 'unexpected file in the attestations directory');
      continue;
    }
    // The one record a crash can leave half-made is the one after the last whole line.
    if (!tailClaimed && Number(m[1]) === lineNo + 1 && (tailEnvelope === undefined || tailEnvelope === name)) {
      tailClaimed = true;
      if (r.partial) r.partial.envelope = name;
      else {
        r.partial = {
          envelope: name,
          message: `trail ends with ${file}, which has no line in ${AUDIT_LOG} (crash before its line was written, or the last line was deleted); it is not checked`,
        };
      }
      continue;
    }
    problem(file, undefined, `has no line in ${AUDIT_LOG} (its line was deleted, or the file was added)`);
  }

  r.ok = r.problems.length === 0;
  return r;

  function checkLine(bytes: Buffer, n: number, prev: string): void {
    const where = AUDIT_LOG;
    if (bytes.length === 1) {
      problem(where, n, 'empty line');
      return;
    }
    let rec: AuditLine;
    try {
      rec = JSON.parse(bytes.subarray(0, bytes.length - 1).toString('utf8')) as AuditLine;
    } catch {
      problem(where, n, 'is not a JSON record (edited or corrupted)');
      return;
    }
    const shape = lineShapeError(rec);
    if (shape) {
      problem(where, n, `malformed record: ${shape}`);
      return;
    }
    if (!Buffer.from(formatAuditLine(rec) + '\n', 'utf8').equals(bytes)) {
      problem(where, n, 'is not in the form the server writes (edited?)');
    }
    if (rec.seq !== n) problem(where, n, `seq ${rec.seq} where ${n} was expected (a line is missing, duplicated or out of order)`);
    if (rec.prev !== prev) {
      problem(where, n, n === 1 ? 'chain broken: prev is not the genesis value (lines before it are missing?)' : `chain broken: prev is not the SHA-256 of line ${n - 1}`);
    }
    if (rec.decision !== undefined) {
      const counts = (r.byTool[rec.tool] ??= {});
      counts[rec.decision] = (counts[rec.decision] ?? 0) + 1;
    } else {
      r.statements[rec.tool] = (r.statements[rec.tool] ?? 0) + 1;
    }

    const name = rec.envelope;
    const file = `${ATTESTATIONS_DIR}/${name}`;
    const m = ENVELOPE_NAME.exec(name)!; // lineShapeError checked the pattern
    if (referenced.has(name)) {
      problem(file, n, `is named by more than one line (again on line ${n})`);
      return;
    }
    referenced.add(name);
    if (Number(m[1]) !== rec.seq) problem(file, n, `file name says seq ${Number(m[1])} but line ${n} has seq ${rec.seq}`);
    const label = rec.decision !== undefined ? undefined : fileLabel(rec.tool);
    if (label !== undefined && m[2] !== label) problem(file, n, `file name does not match the line's tool ${JSON.stringify(rec.tool)}`);
    if (!present.has(name)) {
      problem(file, n, `is missing (named by ${AUDIT_LOG} line ${n})`);
      return;
    }
    let envBytes: Buffer;
    try {
      envBytes = readFileSync(join(attDir, name));
    } catch (e) {
      problem(file, n, `cannot be read (${(e as NodeJS.ErrnoException).code})`);
      return;
    }
    if (sha256Hex(envBytes) !== rec.sha256) {
      problem(file, n, `SHA-256 differs from the one in ${AUDIT_LOG} line ${n} (envelope modified or replaced)`);
    }
    checkEnvelope(envBytes, rec, n, file, m[2]);
  }

  function checkEnvelope(bytes: Buffer, rec: AuditLine, n: number, file: string, fileLabelPart: string): void {
    let env: Envelope;
    try {
      env = JSON.parse(bytes.toString('utf8')) as Envelope;
    } catch {
      problem(file, n, 'is not JSON');
      return;
    }
    if (key) {
      const v = verifyEnvelope(env, key);
      if (!v.ok) {
        problem(file, n, `${v.reason} (${SIGNER_PUBLIC_KEY})`);
        return;
      }
      r.encodings[v.encoding!]++;
    }
    // DSSE: only after the signature, reject unsupported payload types, then parse.
    if (env.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
      problem(file, n, `payloadType ${JSON.stringify(env.payloadType)} is not ${IN_TOTO_PAYLOAD_TYPE}`);
      return;
    }
    let st: { _type?: unknown; subject?: unknown; predicateType?: unknown; predicate?: unknown };
    try {
      st = JSON.parse(decodePayload(env)!.toString('utf8'));
    } catch {
      problem(file, n, 'payload is not JSON');
      return;
    }
    if (st === null || typeof st !== 'object' || st._type !== IN_TOTO_STATEMENT_V1) {
      problem(file, n, `payload is not an in-toto Statement v1`);
      return;
    }
    const pred = isObject(st.predicate) ? st.predicate : undefined;
    const subjects = Array.isArray(st.subject) ? st.subject : [];
    const predSession = pred?.sessionId;
    if (typeof predSession === 'string' && predSession !== sessionId) {
      problem(file, n, `statement belongs to session ${JSON.stringify(predSession)}, not ${JSON.stringify(sessionId)} (envelope from another session)`);
    }
    for (const s of subjects) {
      const nm = isObject(s) && typeof s.name === 'string' ? s.name : '';
      if (nm.startsWith('session:') && !nm.startsWith(`session:${sessionId}/`)) {
        problem(file, n, `subject ${JSON.stringify(nm)} names another session`);
        break;
      }
    }

    if (rec.decision === undefined) {
      if (st.predicateType === ACTION_PREDICATE_TYPE) problem(file, n, 'an action statement recorded as a plain statement');
      else if (st.predicateType !== rec.statement) problem(file, n, `predicateType differs from line ${n}'s "statement"`);
      return;
    }

    if (st.predicateType !== ACTION_PREDICATE_TYPE || !pred) {
      problem(file, n, `line ${n} is an action but the statement is not ${ACTION_PREDICATE_TYPE}`);
      return;
    }
    if (predSession !== sessionId) {
      if (typeof predSession !== 'string') problem(file, n, 'action statement has no sessionId');
      return; // a foreign session was reported above; the rest would only repeat it
    }
    const audit = isObject(pred.audit) ? pred.audit : {};
    const mismatches: string[] = [];
    if (pred.toolName !== rec.tool) mismatches.push('tool');
    if (pred.decision !== rec.decision) mismatches.push('decision');
    if (pred.timestamp !== rec.time) mismatches.push('time');
    if (audit.seq !== rec.seq) mismatches.push('seq');
    if (audit.prev !== rec.prev) mismatches.push('prev');
    if (mismatches.length) problem(file, n, `signed statement disagrees with line ${n} on ${mismatches.join(', ')}`);
    else if (pred.origin === 'native' && rec.decision) {
      const counts = (r.native[rec.tool] ??= {});
      counts[rec.decision] = (counts[rec.decision] ?? 0) + 1;
    }
    const toolUseId = typeof pred.toolUseId === 'string' ? pred.toolUseId : '';
    if (fileLabel(toolUseId) !== fileLabelPart) problem(file, n, 'file name does not match the statement\'s toolUseId');
    const subj = subjects[0];
    const digest = isObject(subj) && isObject(subj.digest) ? subj.digest.sha256 : undefined;
    if (!isObject(subj) || subj.name !== `session:${sessionId}/action:${toolUseId}`) {
      problem(file, n, 'subject name is not session:<sid>/action:<toolUseId>');
    } else if (digest !== sha256Hex(canonicalJson(pred.toolInput))) {
      problem(file, n, 'subject digest is not the SHA-256 of the canonical toolInput');
    }
  }
}

function lineShapeError(rec: unknown): string | null {
  if (!isObject(rec)) return 'not an object';
  if (!Number.isSafeInteger(rec.seq) || (rec.seq as number) < 1) return 'seq';
  if (typeof rec.time !== 'string') return 'time';
  if (typeof rec.tool !== 'string' || rec.tool === '') return 'tool';
  if (rec.decision !== undefined && !(DECISIONS as readonly unknown[]).includes(rec.decision)) return 'decision';
  if (rec.statement !== undefined && typeof rec.statement !== 'string') return 'statement';
  if ((rec.decision === undefined) === (rec.statement === undefined)) return 'needs exactly one of decision, statement';
  if (typeof rec.envelope !== 'string' || !ENVELOPE_NAME.test(rec.envelope)) return 'envelope';
  if (typeof rec.sha256 !== 'string' || !HEX64.test(rec.sha256)) return 'sha256';
  if (typeof rec.prev !== 'string' || !HEX64.test(rec.prev)) return 'prev';
  return null;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function isMissing(e: unknown): boolean {
  return (e as NodeJS.ErrnoException)?.code === 'ENOENT';
}

/** 0 intact; 1 any problem, or a partial tail unless allowPartial. */
export function exitCodeFor(r: VerifyReport, allowPartial = false): 0 | 1 {
  if (!r.ok) return 1;
  return r.partial && !allowPartial ? 1 : 0;
}

export function formatReport(r: VerifyReport, opts: { allowPartial?: boolean } = {}): string {
  const out: string[] = [];
  out.push(`session   ${r.sessionId}  (${r.dir})`);
  if (r.keyId) out.push(`signer    ${r.keyType} key ${r.keyId.slice(0, 16)}… from ${SIGNER_PUBLIC_KEY}`);
  const sigs = [`${r.encodings['dsse-v1']} standard DSSE v1`];
  if (r.encodings['aflock-le64']) sigs.push(`${r.encodings['aflock-le64']} aflock LE64 PAE (non-standard, accepted)`);
  out.push(`records   ${r.records} in ${AUDIT_LOG}, ${r.verified} verified; signatures: ${sigs.join(', ')}`);
  out.push(`chain     head ${r.head}`);

  const tools = Object.keys(r.byTool).sort();
  if (tools.length) {
    // Per tool, the calls made through our MCP tools and the host's own (native) calls, side by side.
    const cols: Decision[] = ['allow', 'deny', 'ask'];
    for (const d of ['approved', 'declined'] as const) if (tools.some((t) => r.byTool[t][d])) cols.push(d);
    const anyNative = tools.some((t) => r.native[t]);
    const w = Math.max(4, ...tools.map((t) => t.length));
    const row = (tool: string, via: string, counts: Partial<Record<Decision, number>>) =>
      `  ${tool.padEnd(w)}  ${anyNative ? via.padEnd(7) : ''}${cols.map((c) => String(counts[c] ?? 0).padStart(8)).join('')}`;
    out.push('');
    out.push(`  ${'tool'.padEnd(w)}  ${anyNative ? 'via'.padEnd(7) : ''}${cols.map((c) => c.padStart(8)).join('')}`);
    for (const t of tools) {
      const native = r.native[t] ?? {};
      const mcp: Partial<Record<Decision, number>> = {};
      for (const c of DECISIONS) mcp[c] = (r.byTool[t][c] ?? 0) - (native[c] ?? 0);
      const hasMcp = DECISIONS.some((c) => (mcp[c] ?? 0) > 0);
      if (!anyNative) out.push(row(t, '', r.byTool[t]));
      else {
        if (hasMcp) out.push(row(t, 'mcp', mcp));
        if (r.native[t]) out.push(row(hasMcp ? '' : t, 'native', native));
      }
    }
  }
  const labels = Object.keys(r.statements).sort();
  if (labels.length) {
    out.push('');
    out.push(`  other statements: ${labels.map((l) => `${l} ${r.statements[l]}`).join(', ')}`);
  }
  out.push('');
  if (r.partial) out.push(`note: ${r.partial.message}`);
  if (r.problems.length) {
    const first = r.problems[0];
    out.push(`first broken link: ${place(first)}: ${first.message}`);
    if (r.problems.length > 1) {
      out.push(`all ${r.problems.length} problems:`);
      for (const p of r.problems.slice(0, 50)) out.push(`  ${place(p)}: ${p.message}`);
      if (r.problems.length > 50) out.push(`  … and ${r.problems.length - 50} more`);
    }
    out.push(`FAILED: ${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}`);
  } else if (r.partial) {
    out.push(
      opts.allowPartial
        ? `INTACT up to line ${r.records} (partial last record accepted: --allow-partial)`
        : `INCOMPLETE: intact up to line ${r.records}, but the trail ends with a partial record (pass --allow-partial to accept)`,
    );
  } else {
    out.push(`INTACT: ${r.records} record${r.records === 1 ? '' : 's'}, every signature and link verified`);
  }
  return out.join('\n') + '\n';
}

function place(p: VerifyProblem): string {
  if (p.file === AUDIT_LOG) return p.line !== undefined ? `${AUDIT_LOG} line ${p.line}` : AUDIT_LOG;
  return p.line !== undefined ? `${p.file} (${AUDIT_LOG} line ${p.line})` : p.file;
}

const USAGE = `usage: aflock-mcp verify [--allow-partial] [--json] SESSION_DIR

Checks a session's audit trail: every envelope's signature against signer.pub.pem, the hash chain of
audit.jsonl, that every line has its envelope and every envelope its line, and that every statement
belongs to this session. SESSION_DIR may also be a bare session id under $AFLOCK_HOME/sessions/.

  --allow-partial  exit 0 when the only flaw is a half-written last record (a crash), instead of 1
  --json           print the report as JSON instead of the summary

Exit status: 0 intact, 1 verification failed, 2 usage error.
`;

/** `aflock-mcp verify ...`; argv is what follows `verify`. Prints to stdout (usage errors to stderr). */
export function runVerifyCommand(argv: string[]): number {
  let allowPartial = false;
  let json = false;
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (a === '-h' || a === '--help') {
      process.stdout.write(USAGE);
      return 0;
    }
    if (a === '--allow-partial') allowPartial = true;
    else if (a === '--json') json = true;
    else if (a.startsWith('-') && a !== '-') return usageError(`unknown option ${a}`);
    else positional.push(a);
  }
  if (positional.length !== 1) return usageError(positional.length === 0 ? 'missing SESSION_DIR' : 'expected exactly one SESSION_DIR');
  const dir = resolveSessionDir(positional[0]);
  if (!dir) return usageError(`no such session directory: ${positional[0]}`);
  if (![SIGNER_PUBLIC_KEY, AUDIT_LOG, ATTESTATIONS_DIR].some((f) => existsSync(join(dir, f)))) {
    return usageError(`${dir} is not a session directory (no ${SIGNER_PUBLIC_KEY}, ${AUDIT_LOG} or ${ATTESTATIONS_DIR}/)`);
  }
  const report = verifySessionDir(dir);
  const code = exitCodeFor(report, allowPartial);
  process.stdout.write(json ? JSON.stringify({ ...report, exitCode: code }, null, 2) + '\n' : formatReport(report, { allowPartial }));
  return code;
}

function resolveSessionDir(arg: string): string | null {
  if (isDir(arg)) return resolve(arg);
  if (SESSION_ID_PATTERN.test(arg)) {
    let home: string;
    try {
      home = aflockHome();
    } catch {
      return null;
    }
    const candidate = join(home, 'sessions', arg);
    if (isDir(candidate)) return resolve(candidate);
  }
  return null;
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function usageError(msg: string): number {
  process.stderr.write(`aflock-mcp verify: ${msg}\n${USAGE}`);
  return 2;
}
