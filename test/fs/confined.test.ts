// src/fs/confined.ts and src/fs/hardlinks.ts on real files: path resolution as the kernel does it, the pinned
// directory, reads and writes that never follow a link that was not judged, and hard links of protected files.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfinedRefusal, inPinnedDir, openForRead, physicalPath, statInPlace, verificationMode, writeReplacing } from '../../src/fs/confined.ts';
import { clearProtectedCache, findProtected, hardLinkRefusal } from '../../src/fs/hardlinks.ts';
import { compilePathRule } from '../../src/policy/paths.ts';

const made: string[] = [];
function dir(): string {
  const d = realpathSync(mkdtempSync(join(tmpdir(), 'aflock-confined-')));
  made.push(d);
  return d;
}
test.after(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

function tree(): string {
  const root = dir();
  mkdirSync(join(root, '.git/hooks'), { recursive: true });
  mkdirSync(join(root, 'secrets'));
  mkdirSync(join(root, 'pub'));
  writeFileSync(join(root, '.env'), 'CANARY');
  writeFileSync(join(root, 'secrets/key.txt'), 'KEY');
  writeFileSync(join(root, 'pub/x'), 'harmless');
  writeFileSync(join(root, 'notes.md'), 'notes');
  return root;
}

function refuses(fn: () => unknown, pattern: RegExp, msg?: string) {
  try {
    fn();
  } catch (e) {
    assert.instance(e, ConfinedRefusal, `${msg ?? ''} ${(e as Error).message}`);
    assert.match((e as Error).message, pattern);
    return;
  }
  assert.unreachable(msg ?? 'expected a refusal');
}

function osError(fn: () => unknown, code: string) {
  try {
    fn();
  } catch (e) {
    assert.not.instance(e, ConfinedRefusal);
    assert.is((e as NodeJS.ErrnoException).code, code);
    return;
  }
  assert.unreachable(`expected ${code}`);
}

// ------------------------------------------------------------------------------------------------ physicalPath

test('physicalPath: existing paths are realpath; missing tails resolve through their existing, linked ancestors', () => {
  const root = tree();
  symlinkSync('.git', join(root, 'g'));
  assert.is(physicalPath(join(root, 'notes.md')), join(root, 'notes.md'));
  assert.is(physicalPath(join(root, 'g/hooks')), join(root, '.git/hooks'));
  assert.is(physicalPath(join(root, 'g/hooks/post-checkout')), join(root, '.git/hooks/post-checkout'), 'a new file under a linked directory');
  assert.is(physicalPath(join(root, 'g/new/deeper/f')), join(root, '.git/new/deeper/f'));
  assert.is(physicalPath(join(root, 'nope/a')), join(root, 'nope/a'));
});

test('physicalPath: a dangling link resolves to what it would create; .. after a link is physical; loops are null', () => {
  const root = tree();
  symlinkSync('.git/hooks/post-checkout', join(root, 'pc'));
  assert.is(physicalPath(join(root, 'pc')), join(root, '.git/hooks/post-checkout'));
  mkdirSync(join(root, 'a/b'), { recursive: true });
  symlinkSync('a/b', join(root, 'ab'));
  symlinkSync('../../secrets/new.txt', join(root, 'pub/dangling'));
  // pub/dangling -> ../../secrets/new.txt is relative to pub: root/../secrets/new.txt, outside the root.
  assert.is(physicalPath(join(root, 'pub/dangling')), join(root, '../secrets/new.txt'));
  symlinkSync('ab/../../secrets/new.txt', join(root, 'viaab')); // ab/.. is root/a, physically, so this is root/secrets
  assert.is(physicalPath(join(root, 'viaab')), join(root, 'secrets/new.txt'));
  symlinkSync('loop2', join(root, 'loop1'));
  symlinkSync('loop1', join(root, 'loop2'));
  assert.is(physicalPath(join(root, 'loop1/x')), null);
  assert.is(physicalPath(join(root, 'notes.md/x')), join(root, 'notes.md/x'), 'a file used as a directory: nothing there');
});

// ------------------------------------------------------------------------------------------------ pinned directory

test('inPinnedDir: runs in the directory, restores the working directory, refuses a directory reached through a link', () => {
  const root = tree();
  const before = process.cwd();
  assert.is(inPinnedDir(join(root, 'pub'), 'x', () => readFileSync('x', 'utf8')), 'harmless');
  assert.is(process.cwd(), before);
  symlinkSync('secrets', join(root, 'swapped'));
  refuses(() => inPinnedDir(join(root, 'swapped'), "'swapped/key.txt'", () => readFileSync('key.txt', 'utf8')), /directory changed while it was being opened .*secrets/);
  assert.is(process.cwd(), before, 'restored after a refusal');
  assert.throws(() => inPinnedDir(join(root, 'missing'), 'x', () => 1), (e: NodeJS.ErrnoException) => e.code === 'ENOENT');
  assert.is(process.cwd(), before);
});

// ------------------------------------------------------------------------------------------------ reads

test('under Node on Linux, opened files are verified exactly through /proc/self/fd', () => {
  if (process.platform === 'linux') assert.is(verificationMode(), 'procfs');
});

test('openForRead: reads the judged file; a link, directory or FIFO there now is not followed or opened', () => {
  const root = tree();
  const f = openForRead(join(root, 'notes.md'), 'notes.md');
  assert.is(f.read(100).toString(), 'notes');
  assert.is(f.stats.nlink, 1);
  f.close();
  f.close(); // idempotent
  symlinkSync('.env', join(root, 'link.txt'));
  refuses(() => openForRead(join(root, 'link.txt'), "'link.txt'"), /became a symbolic link/);
  osError(() => openForRead(join(root, 'pub'), 'pub'), 'EISDIR');
  execFileSync('mkfifo', [join(root, 'fifo')]);
  osError(() => openForRead(join(root, 'fifo'), 'fifo'), 'ENOTREG'); // and did not block
  osError(() => openForRead(join(root, 'missing'), 'missing'), 'ENOENT');
  // The judged path of pub/x was root/pub/x; pub is now a link to secrets: refused, not read from secrets.
  rmSync(join(root, 'pub'), { recursive: true });
  symlinkSync('secrets', join(root, 'pub'));
  writeFileSync(join(root, 'secrets/x'), 'CANARY');
  refuses(() => openForRead(join(root, 'pub/x'), "'pub/x'"), /directory changed/);
});

test('openForRead: the stat check sees the opened file; reading stops past the limit', () => {
  const root = tree();
  refuses(() => openForRead(join(root, 'notes.md'), 'notes.md', (st) => (st.size === 5 ? 'five bytes' : null)), /^five bytes$/);
  const f = openForRead(join(root, 'notes.md'), 'notes.md');
  refuses(() => f.read(3), /more than 3 bytes/);
  f.close();
});

// ------------------------------------------------------------------------------------------------ writes

test('writeReplacing: new files 0600, modes kept, no temporary files left, missing parents are ENOENT', () => {
  const root = tree();
  writeReplacing(join(root, 'new.txt'), Buffer.from('n'), 'new.txt');
  assert.is(readFileSync(join(root, 'new.txt'), 'utf8'), 'n');
  assert.is(statSync(join(root, 'new.txt')).mode & 0o777, 0o600);
  chmodSync(join(root, 'notes.md'), 0o4755);
  writeReplacing(join(root, 'notes.md'), Buffer.from('changed'), 'notes.md');
  assert.is(readFileSync(join(root, 'notes.md'), 'utf8'), 'changed');
  assert.is(statSync(join(root, 'notes.md')).mode & 0o7777, 0o755, 'permission bits kept, setuid dropped');
  osError(() => writeReplacing(join(root, 'nodir/f'), Buffer.from('x'), 'nodir/f'), 'ENOENT');
  osError(() => writeReplacing(join(root, 'pub'), Buffer.from('x'), 'pub'), 'EISDIR');
  assert.equal(readdirSync(root).filter((n) => n.includes('aflock-write')), []);
});

test('writeReplacing: a link at the name is replaced, never followed; a hard link leaves the other name alone', () => {
  const root = tree();
  symlinkSync('.env', join(root, 'link.txt'));
  writeReplacing(join(root, 'link.txt'), Buffer.from('mine'), 'link.txt');
  assert.is(readFileSync(join(root, '.env'), 'utf8'), 'CANARY');
  assert.ok(statSync(join(root, 'link.txt')).isFile());
  linkSync(join(root, '.env'), join(root, 'hard.txt'));
  writeReplacing(join(root, 'hard.txt'), Buffer.from('mine'), 'hard.txt');
  assert.is(readFileSync(join(root, '.env'), 'utf8'), 'CANARY', 'replacing the name does not change the shared inode');
  linkSync(join(root, '.env'), join(root, 'hard2.txt'));
  refuses(() => writeReplacing(join(root, 'hard2.txt'), Buffer.from('x'), 'hard2.txt', (st) => (st.nlink > 1 ? 'linked' : null)), /^linked$/);
  assert.is(readFileSync(join(root, 'hard2.txt'), 'utf8'), 'CANARY');
  // The judged directory became a link to .git: refused, nothing created in .git.
  rmSync(join(root, 'pub'), { recursive: true });
  symlinkSync('.git/hooks', join(root, 'pub'));
  refuses(() => writeReplacing(join(root, 'pub/post-checkout'), Buffer.from('#!/bin/sh'), 'pub/post-checkout'), /directory changed/);
  assert.equal(readdirSync(join(root, '.git/hooks')), []);
});

test('statInPlace: what is at the name, links not followed', () => {
  const root = tree();
  symlinkSync('.env', join(root, 'link.txt'));
  assert.ok(statInPlace(join(root, 'link.txt'), 'l')!.isSymbolicLink());
  assert.is(statInPlace(join(root, 'absent'), 'a'), null);
});

// ------------------------------------------------------------------------------------------------ hard links

const rules = ['**/.env', '**/*.pem', 'secrets/**'].map(compilePathRule);

test('hard links: another name of a denied file is refused, an ordinary or pnpm-style link is not', () => {
  clearProtectedCache();
  const root = tree();
  linkSync(join(root, '.env'), join(root, 'pub.txt'));
  const st = statSync(join(root, 'pub.txt'));
  assert.match(hardLinkRefusal(st, "'pub.txt'", rules, root)!, /^'pub.txt' is another name \(a hard link\) of '.*\/\.env', which matches '\*\*\/\.env'$/);
  assert.is(hardLinkRefusal(statSync(join(root, 'notes.md')), 'n', rules, root), null, 'one link: nothing to look for');
  // pnpm: node_modules files are hard links into a store outside the project.
  const store = dir();
  writeFileSync(join(store, 'abc123'), 'module.exports = 1');
  mkdirSync(join(root, 'node_modules/.pnpm/pkg@1/node_modules/pkg'), { recursive: true });
  linkSync(join(store, 'abc123'), join(root, 'node_modules/.pnpm/pkg@1/node_modules/pkg/index.js'));
  clearProtectedCache();
  assert.is(hardLinkRefusal(statSync(join(root, 'node_modules/.pnpm/pkg@1/node_modules/pkg/index.js')), 'i', rules, root), null);
});

test('hard links: absolute rules are walked outside the root; a walk too large fails closed', () => {
  const root = tree();
  const outside = dir();
  writeFileSync(join(outside, 'id_rsa'), 'PRIVATE');
  linkSync(join(outside, 'id_rsa'), join(root, 'innocent'));
  const abs = [compilePathRule(`${outside}/**`)];
  clearProtectedCache();
  assert.match(hardLinkRefusal(statSync(join(root, 'innocent')), 'innocent', abs, root)!, /id_rsa/);
  const set = findProtected(rules, root, 3);
  assert.match(set.incomplete!, /more than 3 entries/);
  linkSync(join(root, 'notes.md'), join(root, 'notes2.md'));
  const small = findProtected(rules, root, 3);
  assert.ok(small.incomplete);
  assert.is(findProtected([], root).inodes.size, 0, 'no rules: no walk');
  const full = findProtected(rules, root);
  assert.is(full.incomplete, undefined);
  assert.equal([...full.inodes.values()].map((v) => v.rule).sort(), ['**/.env', 'secrets/**']);
  assert.ok(existsSync(join(root, 'notes2.md')));
});

test.run();
