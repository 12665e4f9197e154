// The differential test of the shell analyser: every command in test/policy/shell-golden/*.json (recorded by
// scripts/shell-oracle.mjs, first with the mvdan-sh analyser) must get the same ShellAnalysis today. The only thing
// not compared is the wording of a parse error, which is the parser's own. A fixture entry that changed on purpose
// has an explicit test in shell-differential.test.ts saying what bash does.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeShell, type ShellAnalysis } from '../../src/policy/shell/index.ts';

const DIR = join(process.cwd(), 'test', 'policy', 'shell-golden');

/** The parts of an analysis the differential compares: everything but the parser's error messages. */
function comparable(a: ShellAnalysis): ShellAnalysis {
  return {
    ...a,
    unresolvable: a.unresolvable.map((u) => (u.construct === 'unparseable command' ? { ...u, detail: '' } : u)),
  };
}

const files = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();

test('the golden fixtures are there and large enough to mean something', () => {
  assert.equal(files, ['corpus.json', 'generated.json', 'redteam.json', 'tests.json', 'vectors.json']);
  const n = files.reduce((sum, f) => sum + (JSON.parse(readFileSync(join(DIR, f), 'utf8')) as unknown[]).length, 0);
  assert.ok(n >= 7000, `${n} commands`);
});

for (const file of files) {
  test(`golden ${file}: the analyser agrees with every recorded analysis`, () => {
    const cases = JSON.parse(readFileSync(join(DIR, file), 'utf8')) as Array<[string, ShellAnalysis]>;
    const diffs: string[] = [];
    for (const [command, expected] of cases) {
      const got = comparable(analyzeShell(command));
      const want = comparable(expected);
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        diffs.push(`${JSON.stringify(command)}\n  want ${JSON.stringify(want)}\n  got  ${JSON.stringify(got)}`);
      }
    }
    assert.is(diffs.length, 0, `${diffs.length} of ${cases.length} differ; first:\n${diffs.slice(0, 5).join('\n')}`);
  });
}

test.run();
