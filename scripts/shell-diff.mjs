// Compares the current shell analyser with the golden fixtures (test/policy/shell-golden/*.json) and prints the
// differential: commands compared, agreements, and disagreements grouped by what differs, with examples.
//   node scripts/shell-diff.mjs [--show N] [--kind KIND] [--json FILE]
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (n, d) => { const i = args.indexOf(n); return i >= 0 ? args[i + 1] : d; };
const show = Number(opt('--show', 3));
const onlyKind = opt('--kind', null);
const work = mkdtempSync(join(tmpdir(), 'aflock-diff-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
const out = join(work, 'a.mjs');
await build({ entryPoints: [join(REPO, 'src/policy/shell/index.ts')], bundle: true, platform: 'node', format: 'esm', outfile: out, logLevel: 'warning' });
const { analyzeShell } = await import(pathToFileURL(out).href);

const norm = (a) => ({ ...a, unresolvable: a.unresolvable.map((u) => (u.construct === 'unparseable command' ? { ...u, detail: '' } : u)) });
const J = JSON.stringify;
function kindOf(want, got) {
  const wu = want.unresolvable.map((u) => u.construct);
  const gu = got.unresolvable.map((u) => u.construct);
  if (wu.includes('unparseable command') !== gu.includes('unparseable command')) {
    return wu.includes('unparseable command') ? 'old parse error, new parses' : 'new parse error, old parses';
  }
  if (wu.includes('analysis failed')) return 'old analysis failed';
  const parts = [];
  if (J(want.commands) !== J(got.commands)) parts.push('commands');
  if (J(want.files) !== J(got.files)) parts.push('files');
  if (J(want.network) !== J(got.network)) parts.push('network');
  if (J([...new Set(wu)].sort()) !== J([...new Set(gu)].sort())) parts.push('unresolvable constructs');
  else if (J(want.unresolvable) !== J(got.unresolvable)) parts.push('unresolvable details/order');
  return parts.join('+') || 'other';
}

/** What real bash says of a command's syntax (bash -n reads without running). */
function bashSyntax(c) {
  const r = spawnSync('bash', ['-n'], { input: c, encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
  if (r.status !== 0 || /syntax error|unexpected EOF/.test(r.stderr)) return 'rejects';
  return /warning: here-document/.test(r.stderr) ? 'here-doc-eof' : 'accepts';
}

/** The decided class of a disagreement (test/policy/shell-differential.test.ts has a test for each). */
function classify(kind, c) {
  if (kind === 'old parse error, new parses') {
    const b = bashSyntax(c);
    if (b === 'here-doc-eof') return 'A unterminated here-document: bash runs it to the end of input';
    if (b === 'accepts') return 'B valid bash that mvdan/sh rejected';
    return 'C bash rejects, unbash is lenient (extglob without shopt, ...): analysed as written';
  }
  if (kind === 'new parse error, old parses') return bashSyntax(c) === 'rejects' ? 'D invalid bash that mvdan/sh accepted' : 'X new parse error on valid bash';
  if (kind === 'old analysis failed') return 'E empty here-document crashed the mvdan/sh analyser';
  if (/\0/.test(c)) return 'I NUL bytes are dropped, as bash drops them from a script';
  if (/<<[-~]?\s*\S+\n[^]*\n\S*\s*\S+$|<<\"EOF\"\n\)EOF/.test(c) && kind.includes('commands')) return 'A unterminated here-document: bash runs it to the end of input';
  if (/^'.*'#/.test(c)) return 'L # inside a word does not start a comment';
  if (/=!\(x\)/.test(c)) return 'K an assignment value is not a pattern: PAGER=!(x) runs `! (x)`';
  if (/\bcoproc\b/.test(c)) return 'F coproc NAME only before a compound command';
  if (/\|&?\s*time\s/.test(c)) return 'G time inside a pipeline is the time program';
  if (/\(\)\s*\{/.test(c)) return 'H a function body is its compound command only';
  if (/\blet\b/.test(c) && kind === 'commands') return 'J let: arguments reported as written';
  if (/<</.test(c) && kind.includes('unresolvable constructs')) return 'A unterminated here-document: bash runs it to the end of input';
  if (/^! time /.test(c) || kind === 'unresolvable details/order') return 'M statement text in details (! and time prefixes)';
  return `X ${kind}`;
}

let total = 0;
const classes = {};
let agree = 0;
const byKind = {};
const all = [];
for (const f of readdirSync(join(REPO, 'test/policy/shell-golden')).filter((x) => x.endsWith('.json')).sort()) {
  const cases = JSON.parse(readFileSync(join(REPO, 'test/policy/shell-golden', f), 'utf8'));
  for (const [c, a] of cases) {
    total++;
    const want = norm(a);
    const got = norm(analyzeShell(c));
    if (J(want) === J(got)) { agree++; continue; }
    const k = kindOf(want, got);
    const cls = classify(k, c);
    (classes[cls] ??= []).push(c);
    (byKind[k] ??= []).push({ file: f, c, want, got });
    all.push({ file: f, kind: k, cls, command: c, want, got });
  }
}
console.log(`${total} commands compared, ${agree} agree, ${total - agree} disagree`);
for (const [k, xs] of Object.entries(byKind).sort((a, b) => b[1].length - a[1].length)) {
  console.log(`\n== ${k}: ${xs.length}`);
  if (onlyKind && k !== onlyKind) continue;
  for (const x of xs.slice(0, show)) console.log(`  [${x.file}] ${J(x.c)}\n    want ${J(x.want)}\n    got  ${J(x.got)}`);
}
console.log('\nby decided class:');
for (const [k, xs] of Object.entries(classes).sort()) console.log(`  ${xs.length}\t${k}`);
if (opt('--json', null)) writeFileSync(opt('--json'), J(all, null, 1));
