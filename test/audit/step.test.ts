import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson, sha256Hex } from '../../src/audit/json.ts';
import { STEP_PREDICATE_TYPE, buildStepStatement } from '../../src/audit/step.ts';
import { AuditTrail, IN_TOTO_STATEMENT_V1 } from '../../src/audit/trail.ts';
import { verifySessionDir } from '../../src/audit/verify.ts';
import { cleanup, tempHome } from './helpers.ts';

test.after.each(cleanup);

test('a step statement digests the products that exist and lists the ones that do not', () => {
  const cwd = tempHome();
  writeFileSync(join(cwd, 'out.bin'), 'binary');
  mkdirSync(join(cwd, 'dist'));
  writeFileSync(join(cwd, 'dist', 'app.js'), 'console.log(1)');
  const big = Buffer.alloc(3 * 1024 * 1024 + 17, 7); // more than one read chunk
  writeFileSync(join(cwd, 'big'), big);
  const st = buildStepStatement({
    step: 'build',
    command: 'make',
    exitCode: 0,
    cwd,
    products: ['out.bin', 'dist/app.js', 'missing.txt', 'dist', join(cwd, 'big')],
    gitHead: 'a'.repeat(40),
    sessionId: 'mcp-1',
  });
  assert.is(st._type, IN_TOTO_STATEMENT_V1);
  assert.is(st.predicateType, STEP_PREDICATE_TYPE);
  assert.equal(st.predicate.products, [
    { path: 'out.bin', sha256: sha256Hex('binary'), size: 6 },
    { path: 'dist/app.js', sha256: sha256Hex('console.log(1)'), size: 14 },
    { path: 'missing.txt', missing: 'does not exist' },
    { path: 'dist', missing: 'not a regular file' },
    { path: join(cwd, 'big'), sha256: sha256Hex(big), size: big.length },
  ]);
  assert.equal(st.subject, [
    { name: 'step:build', digest: { sha256: sha256Hex(canonicalJson(st.predicate)) } },
    { name: 'out.bin', digest: { sha256: sha256Hex('binary') } },
    { name: 'dist/app.js', digest: { sha256: sha256Hex('console.log(1)') } },
    { name: join(cwd, 'big'), digest: { sha256: sha256Hex(big) } },
  ]);
  assert.is(st.predicate.command, 'make');
  assert.is(st.predicate.exitCode, 0);
  assert.is(st.predicate.gitHead, 'a'.repeat(40));
});

test('a step with no products still has its step subject, and is signed into the trail', () => {
  const home = tempHome();
  const st = buildStepStatement({ step: 'test', command: 'npm test', exitCode: 1, cwd: home, products: [], sessionId: 'mcp-s' });
  assert.is(st.subject.length, 1);
  assert.not.ok('gitHead' in JSON.parse(JSON.stringify(st.predicate)));
  const t = AuditTrail.open({ home, sessionId: 'mcp-s' });
  t.recordAction({ tool: 'Bash', toolUseId: 'u1', input: { command: 'npm test', attest: true, step: 'test' }, decision: 'allow', reason: '' });
  const r = t.signStatement(st, 'step');
  assert.match(r.envelopePath, /000002-step\.intoto\.json$/);
  t.close();
  const v = verifySessionDir(t.dir);
  assert.equal(v.problems, []);
  assert.equal(v.statements, { step: 1 });
  // a step statement that names another session is caught
  const t2 = AuditTrail.open({ home, sessionId: 'mcp-other' });
  t2.signStatement(st, 'step');
  t2.close();
  assert.ok(verifySessionDir(t2.dir).problems.some((p) => /belongs to session "mcp-s"/.test(p.message)));
});

test('an empty step name is refused', () => {
  assert.throws(() => buildStepStatement({ step: '', command: 'x', exitCode: 0, cwd: '.', products: [] }), /step/);
});

test.run();
