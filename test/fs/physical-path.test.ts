// physicalPath against an independent oracle: coreutils `realpath -m` (symbolic links resolved, `..` after a link
// taken physically, missing components kept as written) over seeded random trees of directories, files and links
// (relative, absolute, dangling, chained, a file used as a directory). physicalPath answers most paths through a
// short cut (realpath(3), then the parent's realpath for a missing last name); the walk it falls back to is the
// definition, and both must agree with the oracle. Loops are left out here (realpath -m does not report them; the
// loop cases are in confined.test.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { physicalPath } from '../../src/fs/confined.ts';

const made: string[] = [];
test.after(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

/** A small deterministic generator (mulberry32), so a failure names a seed that reproduces it. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomTree(seed: number): { root: string; names: string[] } {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'aflock-physical-')));
  made.push(root);
  const dirs = ['.'];
  const files: string[] = [];
  for (let i = 0; i < 8; i++) {
    const d = `${pick(dirs)}/d${i}`;
    mkdirSync(join(root, d));
    dirs.push(d);
  }
  for (let i = 0; i < 6; i++) {
    const f = `${pick(dirs)}/f${i}`;
    writeFileSync(join(root, f), 'x');
    files.push(f);
  }
  // Links may point at plain paths or at links made before them: chains, but never a loop.
  const links: string[] = [];
  for (let i = 0; i < 10; i++) {
    const at = `${pick(dirs)}/l${i}`;
    const kinds = [pick(dirs), pick(files), `${pick(dirs)}/missing${i}`, `${pick(files)}/under-a-file`, ...(links.length > 0 ? [pick(links)] : [])];
    const target = pick(kinds);
    // Relative targets are relative to the link's directory: climb out to the root first.
    const depth = at.split('/').length - 2;
    const relative = `${'../'.repeat(depth)}${target.replace(/^\.\//, '')}` || '.';
    symlinkSync(r() < 0.5 ? join(root, target) : relative, join(root, at));
    links.push(at);
  }
  const names = [...dirs, ...files, ...links].map((p) => p.replace(/^\.\/?/, '')).filter((p) => p !== '');
  return { root, names: [...new Set(names.flatMap((p) => p.split('/')))] };
}

function randomPaths(seed: number, root: string, names: string[], n: number): string[] {
  const r = rng(seed * 7919);
  const extra = ['..', 'new', 'deeper', '.'];
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const parts: string[] = [];
    const len = 1 + Math.floor(r() * 5);
    for (let k = 0; k < len; k++) parts.push(r() < 0.8 ? names[Math.floor(r() * names.length)] : extra[Math.floor(r() * extra.length)]);
    out.push(`${root}/${parts.join('/')}`);
  }
  return out;
}

test('physicalPath agrees with realpath -m on 12 seeded random trees (2 400 paths)', () => {
  let short = 0;
  for (let seed = 1; seed <= 12; seed++) {
    const { root, names } = randomTree(seed);
    const paths = randomPaths(seed, root, names, 200);
    const oracle = spawnSync('realpath', ['-m', '--', ...paths], { encoding: 'utf8' });
    assert.is(oracle.status, 0, oracle.stderr);
    const expected = oracle.stdout.split('\n').slice(0, paths.length);
    const memo = new Map<string, string | null>(); // one decision's memo: the tree does not change meanwhile
    paths.forEach((p, i) => {
      const got = physicalPath(p);
      if (got !== expected[i]) assert.unreachable(`seed ${seed}: physicalPath(${p}) = ${got}, realpath -m says ${expected[i]}`);
      const memoized = physicalPath(p, memo);
      if (memoized !== expected[i]) assert.unreachable(`seed ${seed}: physicalPath(${p}, memo) = ${memoized}, realpath -m says ${expected[i]}`);
      if (!p.includes('/.')) short++;
    });
  }
  assert.ok(short > 1000, 'most paths took the short cut (normalized paths)');
});

test('physicalPath: a missing name under a dangling link follows the link; a trailing slash is walked', () => {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'aflock-physical-')));
  made.push(root);
  mkdirSync(join(root, 'secrets'));
  symlinkSync('secrets/new-dir', join(root, 'dang'));
  assert.is(physicalPath(join(root, 'dang/x/y')), join(root, 'secrets/new-dir/x/y'));
  assert.is(physicalPath(join(root, 'dang')), join(root, 'secrets/new-dir'));
  assert.is(physicalPath(`${join(root, 'dang')}/`), join(root, 'secrets/new-dir'));
  assert.is(physicalPath(join(root, 'a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s/t/u/v/w/x/y/z/1/2/3/4/5/6/7/8/9')), join(root, 'a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s/t/u/v/w/x/y/z/1/2/3/4/5/6/7/8/9'));
});

test.run();
