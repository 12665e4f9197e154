import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { generateKeyPairSync } from 'node:crypto';
import { copyFileSync, readdirSync, renameSync, readFileSync, rmSync, truncateSync, unlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { exitCodeFor, formatReport, runVerifyCommand, verifySessionDir, type VerifyReport } from '../../src/audit/verify.ts';
import { AUDIT_GENESIS, AuditTrail, formatAuditLine } from '../../src/audit/trail.ts';
import { sha256Hex } from '../../src/audit/json.ts';
import { capture, cleanup, handTrail, sampleTrail, tempHome } from './helpers.ts';

test.after.each(cleanup);

const logOf = (dir: string) => join(dir, 'audit.jsonl');
const envelopes = (dir: string) => readdirSync(join(dir, 'attestations')).sort();
/** Lines of audit.jsonl with their newlines. */
const rawLines = (dir: string) => readFileSync(logOf(dir), 'utf8').split(/(?<=\n)/);

function fails(r: VerifyReport, where: (p: VerifyReport['problems'][number]) => boolean, what: string): void {
  assert.is(exitCodeFor(r), 1, `${what}: should fail\n${formatReport(r)}`);
  assert.ok(r.problems.some(where) || (r.problems.length === 0 && r.partial), `${what}: no problem names the place\n${formatReport(r)}`);
}

test('a session trail verifies, and the summary counts decisions per tool', () => {
  const t = sampleTrail(tempHome());
  t.close();
  const r = verifySessionDir(t.dir);
  assert.equal(r.problems, []);
  assert.ok(r.ok);
  assert.is(r.partial, undefined);
  assert.is(exitCodeFor(r), 0);
  assert.is(r.records, 5);
  assert.is(r.verified, 5);
  assert.equal(r.byTool, { Bash: { allow: 1, deny: 1 }, Read: { ask: 1 }, Write: { allow: 1 } });
  assert.equal(r.statements, { sign_attestation: 1 });
  assert.equal(r.encodings, { 'dsse-v1': 5, 'aflock-le64': 0 });
  assert.is(r.keyId, t.keyId);
  assert.is(r.head, t.head);
  const text = formatReport(r);
  assert.match(text, /INTACT: 5 records/);
  assert.match(text, /Bash\s+1\s+1\s+0/);
  assert.match(text, /other statements: sign_attestation 1/);
});

test('an empty trail (no calls yet) verifies', () => {
  const t = AuditTrail.open({ home: tempHome(), sessionId: 'empty' });
  const r = verifySessionDir(t.dir);
  assert.ok(r.ok);
  assert.is(exitCodeFor(r), 0);
  assert.is(r.records, 0);
  t.close();
});

test('flipping any one byte of any log line makes verify fail and name the line', () => {
  const t = sampleTrail(tempHome());
  t.close();
  const original = readFileSync(logOf(t.dir));
  const lines = rawLines(t.dir);
  let offset = 0;
  let checked = 0;
  lines.forEach((line, i) => {
    const n = i + 1;
    for (let k = 0; k < Buffer.byteLength(line); k++) {
      const b = Buffer.from(original);
      b[offset + k] ^= 0x01;
      writeFileSync(logOf(t.dir), b);
      const r = verifySessionDir(t.dir);
      // the flipped line itself, or the next one whose prev no longer matches (a flipped final newline reads as a
      // partial line n, which still fails by default)
      fails(r, (p) => p.line === n || (p.line === n + 1 && /chain broken/.test(p.message)) || r.partial?.line === n, `line ${n} byte ${k}`);
      checked++;
    }
    offset += Buffer.byteLength(line);
  });
  writeFileSync(logOf(t.dir), original);
  assert.ok(checked > 5 * 200, `checked ${checked} flips`);
  assert.ok(verifySessionDir(t.dir).ok);
});

test('flipping any one byte of any envelope makes verify fail and name the envelope', () => {
  const t = sampleTrail(tempHome());
  t.close();
  envelopes(t.dir).forEach((name, i) => {
    const path = join(t.dir, 'attestations', name);
    const original = readFileSync(path);
    // every byte of the first envelope, every 5th of the others (a different phase each)
    for (let k = i === 0 ? 0 : i; k < original.length; k += i === 0 ? 1 : 5) {
      const b = Buffer.from(original);
      b[k] ^= 0x01;
      writeFileSync(path, b);
      const r = verifySessionDir(t.dir);
      fails(r, (p) => p.file === `attestations/${name}` && p.line === i + 1, `${name} byte ${k}`);
    }
    writeFileSync(path, original);
  });
  assert.ok(verifySessionDir(t.dir).ok);
});

test('deleting a line fails: first, middle and last', () => {
  for (const which of [0, 2, 4]) {
    const t = sampleTrail(tempHome());
    t.close();
    const lines = rawLines(t.dir);
    const removed = JSON.parse(lines[which]).envelope;
    lines.splice(which, 1);
    writeFileSync(logOf(t.dir), lines.join(''));
    const r = verifySessionDir(t.dir);
    if (which < 4) {
      fails(r, (p) => p.line === which + 1 && /seq|chain broken/.test(p.message), `delete line ${which + 1}`);
      assert.ok(r.problems.some((p) => p.file === `attestations/${removed}` && /has no line/.test(p.message)), 'orphan envelope named');
    } else {
      // dropping the last line looks exactly like a crash before it was written: reported, exit 1 by default
      assert.equal(r.problems, []);
      assert.is(r.partial?.envelope, removed);
      assert.is(exitCodeFor(r), 1);
      assert.is(exitCodeFor(r, true), 0);
      assert.match(formatReport(r), /INCOMPLETE: intact up to line 4.*--allow-partial/);
    }
  }
});

test('deleting a line and re-chaining the log still fails: the signed statements carry the chain', () => {
  const t = sampleTrail(tempHome());
  t.close();
  const lines = rawLines(t.dir).map((l) => JSON.parse(l));
  const envName = lines[1].envelope;
  lines.splice(1, 1);
  rmSync(join(t.dir, 'attestations', envName));
  // a forger without the key renumbers the lines and files and re-chains the log after the gap
  let prev = AUDIT_GENESIS;
  let out = '';
  lines.forEach((l, i) => {
    const seq = i + 1;
    const envelope = l.envelope.replace(/^\d+/, String(seq).padStart(6, '0'));
    if (envelope !== l.envelope) renameSync(join(t.dir, 'attestations', l.envelope), join(t.dir, 'attestations', envelope));
    const line = formatAuditLine({ ...l, seq, envelope, prev }) + '\n';
    out += line;
    prev = sha256Hex(line);
  });
  writeFileSync(logOf(t.dir), out);
  const r = verifySessionDir(t.dir);
  // line 2 is now the sign_attestation statement (its own predicate is the agent's); the action on line 3 is
  // signed with its true position and gives the forgery away
  fails(r, (p) => p.line === 3 && /signed statement disagrees with line 3 on seq, prev/.test(p.message), 're-chained log');
  assert.is(r.problems[0].line, 3, formatReport(r));
});

test('reordering two lines fails and names the line', () => {
  const t = sampleTrail(tempHome());
  t.close();
  const lines = rawLines(t.dir);
  [lines[1], lines[2]] = [lines[2], lines[1]];
  writeFileSync(logOf(t.dir), lines.join(''));
  const r = verifySessionDir(t.dir);
  fails(r, (p) => p.line === 2 && /seq 3 where 2 was expected/.test(p.message), 'reorder');
  assert.match(formatReport(r), /first broken link: audit.jsonl line 2: /);
});

test('an envelope swapped in from another session fails', () => {
  const home = tempHome();
  const a = sampleTrail(home, 'session-a');
  const b = sampleTrail(home, 'session-b');
  a.close();
  b.close();
  const target = envelopes(a.dir)[1];
  copyFileSync(join(b.dir, 'attestations', envelopes(b.dir)[1]), join(a.dir, 'attestations', target));
  const r = verifySessionDir(a.dir);
  fails(r, (p) => p.file === `attestations/${target}` && p.line === 2, 'swapped envelope');
  assert.ok(r.problems.some((p) => /SHA-256 differs/.test(p.message)));
  assert.ok(r.problems.some((p) => /signature does not verify/.test(p.message)));
});

test("a statement signed with the session's own key but naming another session fails", () => {
  const home = tempHome();
  const dir = join(home, 'sessions', 'mine');
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const pem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
  handTrail(dir, privateKey, pem, [
    { tool: 'Bash', decision: 'allow', input: { command: 'ls' } },
    { tool: 'Bash', decision: 'allow', input: { command: 'ls' }, statementSession: 'theirs' },
  ], 'dsse-v1');
  const r = verifySessionDir(dir);
  fails(r, (p) => p.line === 2 && /belongs to session "theirs", not "mine"/.test(p.message), 'foreign session');
  assert.ok(r.problems.every((p) => p.line === 2), formatReport(r));
});

test("envelopes signed with aflock's LE64 PAE (ECDSA P-256) are accepted and reported as such", () => {
  const home = tempHome();
  const dir = join(home, 'sessions', 'legacy');
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  handTrail(dir, privateKey, publicKey.export({ type: 'spki', format: 'pem' }) as string, [
    { tool: 'Bash', decision: 'allow', input: { command: 'ls' } },
    { tool: 'Read', decision: 'deny', input: { path: '.env' } },
  ], 'aflock-le64');
  const r = verifySessionDir(dir);
  assert.equal(r.problems, []);
  assert.is(exitCodeFor(r), 0);
  assert.equal(r.encodings, { 'dsse-v1': 0, 'aflock-le64': 2 });
  assert.is(r.keyType, 'ec');
  assert.match(formatReport(r), /2 aflock LE64 PAE \(non-standard, accepted\)/);
});

test('a truncated last line (crash mid-write) is reported; everything before it verifies', () => {
  const t = sampleTrail(tempHome());
  t.close();
  const size = readFileSync(logOf(t.dir)).length;
  const last = rawLines(t.dir)[4];
  truncateSync(logOf(t.dir), size - Math.floor(last.length / 2));
  const r = verifySessionDir(t.dir);
  assert.equal(r.problems, []);
  assert.is(r.records, 4);
  assert.is(r.verified, 4);
  assert.is(r.partial?.line, 5);
  assert.match(r.partial!.message, /partial line 5/);
  assert.is(r.partial?.envelope, envelopes(t.dir)[4]);
  assert.is(exitCodeFor(r), 1);
  assert.is(exitCodeFor(r, true), 0);
  assert.match(formatReport(r, { allowPartial: true }), /INTACT up to line 4/);
});

test('an envelope with no line that is not the next record is an orphan; stray files are reported', () => {
  const t = sampleTrail(tempHome());
  t.close();
  writeFileSync(join(t.dir, 'attestations', '000009-x.intoto.json'), '{}');
  writeFileSync(join(t.dir, 'attestations', 'notes.txt'), 'hi');
  const r = verifySessionDir(t.dir);
  assert.ok(r.problems.some((p) => p.file === 'attestations/000009-x.intoto.json' && /has no line/.test(p.message)));
  assert.ok(r.problems.some((p) => p.file === 'attestations/notes.txt' && /unexpected file/.test(p.message)));
  assert.is(exitCodeFor(r, true), 1);
});

test('a missing envelope, a missing or replaced signer key, a missing log', () => {
  const t = sampleTrail(tempHome());
  t.close();
  const name = envelopes(t.dir)[2];
  const saved = readFileSync(join(t.dir, 'attestations', name));
  unlinkSync(join(t.dir, 'attestations', name));
  fails(verifySessionDir(t.dir), (p) => p.line === 3 && /is missing/.test(p.message), 'missing envelope');
  writeFileSync(join(t.dir, 'attestations', name), saved);

  const pem = readFileSync(join(t.dir, 'signer.pub.pem'));
  writeFileSync(join(t.dir, 'signer.pub.pem'), generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }));
  const r = verifySessionDir(t.dir);
  fails(r, (p) => p.line === 1 && /signature does not verify/.test(p.message), 'replaced key');
  assert.is(r.problems.length, 5);
  unlinkSync(join(t.dir, 'signer.pub.pem'));
  fails(verifySessionDir(t.dir), (p) => p.file === 'signer.pub.pem', 'missing key');
  writeFileSync(join(t.dir, 'signer.pub.pem'), pem);

  unlinkSync(logOf(t.dir));
  fails(verifySessionDir(t.dir), (p) => p.file === 'audit.jsonl' && /missing/.test(p.message), 'missing log');
});

test('runVerifyCommand: exit 0 and the summary on an intact trail', () => {
  const t = sampleTrail(tempHome());
  t.close();
  const { result, stdout } = capture(() => runVerifyCommand([t.dir]));
  assert.is(result, 0);
  assert.match(stdout, /^session   mcp-sample/);
  assert.match(stdout, /INTACT/);
  const json = capture(() => runVerifyCommand(['--json', t.dir]));
  assert.is(json.result, 0);
  assert.is(JSON.parse(json.stdout).exitCode, 0);
});

test('runVerifyCommand: exit 1 on failure, with the first broken link and its line', () => {
  const t = sampleTrail(tempHome());
  t.close();
  const lines = rawLines(t.dir);
  lines[2] = lines[2].replace('"sign_attestation"', '"sign_attestatioN"');
  writeFileSync(logOf(t.dir), lines.join(''));
  const { result, stdout } = capture(() => runVerifyCommand([t.dir]));
  assert.is(result, 1);
  assert.match(stdout, /first broken link: attestations\/000003-sign_attestation.intoto.json \(audit.jsonl line 3\): file name does not match/);
  assert.match(stdout, /FAILED: \d+ problems?/);
});

test('runVerifyCommand: a partial tail exits 1, or 0 with --allow-partial', () => {
  const t = sampleTrail(tempHome());
  t.close();
  truncateSync(logOf(t.dir), readFileSync(logOf(t.dir)).length - 10);
  assert.is(capture(() => runVerifyCommand([t.dir])).result, 1);
  assert.is(capture(() => runVerifyCommand(['--allow-partial', t.dir])).result, 0);
});

test('runVerifyCommand: usage errors exit 2; a bare session id is looked up under AFLOCK_HOME', () => {
  const home = tempHome();
  const t = sampleTrail(home, 'by-id');
  t.close();
  const empty = join(home, 'not-a-session');
  mkdirSync(empty);
  for (const argv of [[], ['a', 'b'], ['--frobnicate', t.dir], [join(home, 'nope')], [empty]]) {
    const { result, stderr } = capture(() => runVerifyCommand(argv));
    assert.is(result, 2, argv.join(' '));
    assert.match(stderr, /^aflock-mcp verify: .*\nusage: aflock-mcp verify/);
  }
  assert.is(capture(() => runVerifyCommand(['--help'])).result, 0);
  const saved = process.env.AFLOCK_HOME;
  process.env.AFLOCK_HOME = home;
  try {
    assert.is(capture(() => runVerifyCommand(['by-id'])).result, 0);
  } finally {
    if (saved === undefined) delete process.env.AFLOCK_HOME;
    else process.env.AFLOCK_HOME = saved;
  }
});

test('the main --help names verify\'s options', async () => {
  const { USAGE } = await import('../../src/cli.ts');
  assert.match(USAGE, /aflock-mcp verify \[--allow-partial\] \[--json\] SESSION_DIR/);
  assert.match(USAGE, /--allow-partial accepts a half-written last record/);
  assert.match(USAGE, /--json prints the report as JSON/);
});

test.run();
