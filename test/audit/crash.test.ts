// A real process recording a burst of actions, killed with SIGKILL mid-burst, leaves a trail that verifies up to
// its last whole line.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { exitCodeFor, formatReport, verifySessionDir } from '../../src/audit/verify.ts';
import { cleanup, tempHome } from './helpers.ts';

test.after.each(cleanup);

// The compiled suite lives in build-test-<pid>/audit/, the sources two levels up.
const srcDir = fileURLToPath(new URL('../../src/audit/', import.meta.url));

const CHILD = `
import { AuditTrail } from './trail.ts';
const t = AuditTrail.open({ home: process.argv[2], sessionId: 'crash' });
for (let i = 0; ; i++) {
  if (i === 20) process.stdout.write('ready\\n'); // 20 whole records exist; the kill comes some time after
  t.recordAction({
    tool: i % 3 ? 'Bash' : 'Read',
    toolUseId: 'id-' + i,
    input: { command: 'echo ' + 'x'.repeat(i % 200), n: i },
    decision: i % 5 ? 'allow' : 'deny',
    reason: 'burst',
    metrics: { toolCallNumber: i },
  });
}
`;

async function bundleChild(dir: string): Promise<string> {
  const outfile = join(dir, 'child.mjs');
  await build({
    stdin: { contents: CHILD, resolveDir: srcDir, loader: 'ts', sourcefile: 'child.ts' },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    outfile,
    logLevel: 'warning',
  });
  return outfile;
}

function runAndKill(script: string, home: string, delayMs: number): Promise<NodeJS.Signals | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, home], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.stdout.once('data', () => setTimeout(() => child.kill('SIGKILL'), delayMs));
    child.on('error', reject);
    child.on('exit', (code, signal) => (signal ? resolve(signal) : reject(new Error(`child exited ${code}: ${err}`))));
  });
}

test('SIGKILL in the middle of a burst leaves a trail that verifies up to the last whole line', async () => {
  const work = tempHome();
  const script = await bundleChild(work);
  let sawTail = 0;
  for (const delay of [15, 40, 70, 110, 160]) {
    const home = tempHome();
    assert.is(await runAndKill(script, home, delay), 'SIGKILL');
    const dir = join(home, 'sessions', 'crash');
    const r = verifySessionDir(dir);
    assert.equal(r.problems, [], formatReport(r));
    assert.ok(r.records >= 20, `only ${r.records} records`);
    assert.is(r.verified, r.records);
    assert.is(exitCodeFor(r, true), 0);
    if (r.partial) sawTail++;
    // the log really ends on a newline or with a fragment that the report names
    const log = readFileSync(join(dir, 'audit.jsonl'));
    if (log[log.length - 1] !== 0x0a) assert.is(r.partial?.line, r.records + 1);
  }
  // Most kills land between an envelope and its line (the envelope write is the slow part); not guaranteed.
  console.log(`    (${sawTail}/5 kills left a half-made last record)`);
});

test('a line cut anywhere leaves the lines before it verifiable', async () => {
  const work = tempHome();
  const script = await bundleChild(work);
  const home = tempHome();
  await runAndKill(script, home, 30);
  const dir = join(home, 'sessions', 'crash');
  // the record the kill interrupted (an envelope without its line) cannot coexist with a cut line: the line is
  // written before the next envelope, so drop it to model a crash inside the line's write
  const before = verifySessionDir(dir);
  if (before.partial?.envelope) rmSync(join(dir, 'attestations', before.partial.envelope));
  const log = readFileSync(join(dir, 'audit.jsonl'));
  assert.is(log[log.length - 1], 0x0a);
  const lastStart = log.lastIndexOf(0x0a, log.length - 2) + 1;
  const whole = before.records - 1;
  // simulate power loss mid-line: every prefix of the last line
  for (let cut = lastStart; cut < log.length - 1; cut += 7) {
    writeFileSync(join(dir, 'audit.jsonl'), log.subarray(0, cut));
    const r = verifySessionDir(dir);
    assert.equal(r.problems, [], formatReport(r));
    assert.is(r.records, whole);
    if (cut > lastStart) assert.is(r.partial?.line, whole + 1);
  }
});

test.run();
