// Race-free file access for read_file and write_file: the file that is read or written is the file that was judged.
//
// The policy judges a path (as written, and as resolved: `physicalPath` below). Between that judgement and the
// open, anything that can write the project (the agent's own `bash`) can swap a directory on the way for a symbolic
// link, so that the same string now names `.env` or `.claude/settings.json`. The usual cure is openat(2) on a
// directory descriptor, which Node does not expose, and Deno refuses every `/proc/self/fd/N` path unless it runs with
// --allow-all. So this module pins the directory instead:
//
//   1. chdir(2) into the judged parent directory, then getcwd(2): the kernel's own path of the directory we are in.
//      If it is not exactly the judged parent, a component was swapped: refuse, nothing was touched.
//   2. While pinned, name the file by its last component only (relative to the working directory, like openat(2)
//      on the directory): open with O_NOFOLLOW (a symbolic link planted there is not followed), lstat, create with
//      O_CREAT|O_EXCL|O_NOFOLLOW, rename. No string is resolved again from the root.
//   3. Restore the working directory.
// All of this is synchronous: no other JavaScript runs while the directory is pinned, and nothing in the server uses
// relative paths after start-up (spawned commands get an explicit cwd).
//   4. Then every opened descriptor is verified: readlink(/proc/self/fd/N) must be the judged path exactly. Where
//      that is not readable (Deno without --allow-all; Deno also resolves paths itself and ignores O_NOFOLLOW there),
//      the check is by inode instead: the name in the pinned directory, not followed, must be the opened inode, and
//      the pinned directory must still be where it was judged to be.
//
// Writes replace the file (a temporary file in the pinned directory, fsync, rename over the name), so a write never
// changes the inode behind the name: writing a name that is a hard link of another file leaves the other file as it
// was (and a pnpm store untouched). Reads return the content of the opened descriptor, checked with fstat.
import { closeSync, constants, fstatSync, fsyncSync, lstatSync, openSync, readlinkSync, readSync, realpathSync, renameSync, unlinkSync, writeSync, type Stats } from 'node:fs';
import { posix } from 'node:path';
import { randomBytes } from 'node:crypto';

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK, O_NOCTTY } = constants;

/** Symbolic links followed while resolving one path before giving up (the kernel's own limit is 40). */
const MAX_LINK_HOPS = 40;

function isMissing(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * The physical path an absolute path names, symbolic links resolved as the kernel would; like `realpath -m`, the
 * part that does not exist yet is kept as written, so a new file under `g/hooks/` (with `g -> .git`) resolves to
 * `.git/hooks/...`, and a dangling link to the path it would create. Null when it cannot be known (a loop, a
 * directory that cannot be read).
 */
export function physicalPath(abs: string, memo?: Map<string, string | null>): string | null {
  // This runs for every argument of every command the analyzer decides (the hot spot of check_tool, BENCHMARKS.md),
  // so the common shapes take a short cut that never throws (a thrown fs error costs ~8 us, the call itself ~1 us),
  // and `memo` (one decision's answers, never kept longer: files come and go) saves the parent's lookups for the
  // next argument in the same directory.
  if (abs.startsWith('/') && !abs.endsWith('/') && posix.normalize(abs) === abs) return shortCut(abs, 0, memo);
  return walkPhysicalPath(abs);
}

/**
 * physicalPath for a normalized absolute path. What exists is realpath(3) in one call. What lstat says is absent (not
 * a dangling link: lstat would see the link) is its parent's physical path plus its name, the parent found the same
 * way. A dangling link, or more missing levels than MAX_SHORTCUT_DEPTH, takes the walk, which is the definition.
 */
function shortCut(abs: string, depth: number, memo: Map<string, string | null> | undefined): string | null {
  if (abs === '/') return '/';
  const known = memo?.get(abs);
  if (known !== undefined) return known;
  const found = shortCutOnce(abs, depth, memo);
  memo?.set(abs, found);
  return found;
}

function shortCutOnce(abs: string, depth: number, memo: Map<string, string | null> | undefined): string | null {
  let st: Stats | undefined;
  try {
    st = lstatSync(abs, { throwIfNoEntry: false });
  } catch (e) {
    if (!isMissing(e)) return null;
    st = undefined; // ENOTDIR: a file used as a directory, nothing below it exists
  }
  if (st !== undefined) {
    try {
      return realpathSync.native(abs);
    } catch (e) {
      return isMissing(e) ? walkPhysicalPath(abs) : null; // a dangling link (or a loop: null)
    }
  }
  if (depth >= MAX_SHORTCUT_DEPTH) return walkPhysicalPath(abs);
  const parent = parentPath(posix.dirname(abs), depth + 1, memo);
  if (parent === null) return null;
  const name = posix.basename(abs);
  return parent === '/' ? `/${name}` : `${parent}/${name}`;
}

/**
 * The physical path of the directory above a missing name. Usually it exists (the working directory, `src/`): one
 * realpath(3), no lstat first. When it does not, the short cut again (a throw here is the rare case).
 */
function parentPath(dir: string, depth: number, memo: Map<string, string | null> | undefined): string | null {
  if (dir === '/') return '/';
  const known = memo?.get(dir);
  if (known !== undefined) return known;
  let found: string | null;
  try {
    found = realpathSync.native(dir);
  } catch (e) {
    if (!isMissing(e)) return null;
    found = shortCutOnce(dir, depth, memo);
  }
  memo?.set(dir, found);
  return found;
}

/** How many missing levels the short cut climbs before leaving the rest to the walk. */
const MAX_SHORTCUT_DEPTH = 32;

/**
 * The definition of physicalPath, as `realpath -m` has it: each component lstat()ed from the root, links followed as
 * the kernel would, `..` taken physically. Below a missing component (or a file used as a directory) names are kept
 * as written, until `..` climbs back to a path that exists.
 */
function walkPhysicalPath(abs: string): string | null {
  const todo = abs.split('/').filter((c) => c !== '' && c !== '.');
  let done = '/';
  let hops = 0;
  let missingDepth = 0; // how many of done's last components do not exist
  while (todo.length > 0) {
    const c = todo.shift()!;
    if (c === '..') {
      done = posix.dirname(done); // `done` has no symbolic links in it, so this is the physical parent
      if (missingDepth > 0) missingDepth--;
      continue;
    }
    const next = done === '/' ? `/${c}` : `${done}/${c}`;
    if (missingDepth > 0) {
      missingDepth++;
      done = next;
      continue;
    }
    let st: Stats;
    try {
      st = lstatSync(next);
    } catch (e) {
      if (!isMissing(e)) return null; // ENOTDIR (under a file) counts as missing
      missingDepth = 1;
      done = next;
      continue;
    }
    if (st.isSymbolicLink()) {
      if (++hops > MAX_LINK_HOPS) return null;
      let target: string;
      try {
        target = readlinkSync(next);
      } catch {
        return null;
      }
      todo.unshift(...target.split('/').filter((t) => t !== '' && t !== '.'));
      if (target.startsWith('/')) done = '/';
      continue;
    }
    done = next;
  }
  return done;
}

/** Why an operation was refused (a security refusal: the caller reports it as a policy denial). */
export class ConfinedRefusal extends Error {}

/** An OS-style error for what is there but is not a regular file (code EISDIR or ENOTREG). */
function notRegular(st: Stats): Error {
  return Object.assign(new Error(st.isDirectory() ? 'is a directory' : 'not a regular file'), { code: st.isDirectory() ? 'EISDIR' : 'ENOTREG' });
}

/** The current working directory, or null when it no longer exists. */
function currentDir(): string | null {
  try {
    return process.cwd();
  } catch {
    return null;
  }
}

/**
 * Runs `fn` with the working directory pinned to `dir` (a physical path), after checking with getcwd(2) that the
 * directory entered is `dir` itself. `fn` must be synchronous and use names relative to the working directory.
 * OS errors of entering the directory are thrown as they are (ENOENT: the directory does not exist).
 */
/** The server's own working directory, learnt once: nothing else changes it, so each call saves a getcwd(2). */
let home: string | null | undefined;

export function inPinnedDir<T>(dir: string, what: string, fn: () => T): T {
  if (home === undefined) home = currentDir();
  const before = home;
  process.chdir(dir);
  try {
    const entered = currentDir();
    if (entered !== dir) {
      throw new ConfinedRefusal(`${what}: its directory changed while it was being opened (${dir} is now ${entered ?? 'gone'}; a directory or symbolic link was swapped); nothing was done`);
    }
    return fn();
  } finally {
    try {
      process.chdir(before ?? '/');
    } catch {
      process.chdir('/');
    }
  }
}

/** Whether /proc/self/fd can be read here (Linux; under Deno only with --allow-all): learnt on first use. */
let procFd: boolean | null = null;

/** The path the kernel gives for an open descriptor, or null where /proc/self/fd cannot be read. */
function descriptorPath(fd: number): string | null {
  if (procFd === false) return null;
  try {
    const p = readlinkSync(`/proc/self/fd/${fd}`);
    procFd = true;
    return p;
  } catch {
    procFd = false;
    return null;
  }
}

/** How opened descriptors are verified in this process: 'procfs' (exact) or 'inode' (the fallback). For docs/tests. */
export function verificationMode(): 'procfs' | 'inode' {
  if (procFd === null) {
    try {
      const fd = openSync('/', O_RDONLY);
      try { descriptorPath(fd); } finally { closeSync(fd); }
    } catch {
      procFd = false;
    }
  }
  return procFd ? 'procfs' : 'inode';
}

/**
 * Checks, while pinned in `dir`, that descriptor `fd` is the file named `name` in `dir` (see step 4 above), and
 * returns its fstat. Throws ConfinedRefusal when it is not.
 */
function verifyOpened(fd: number, dir: string, name: string, what: string, verb: string): Stats {
  const st = fstatSync(fd); // first: see openForRead on why the order matters
  const expected = dir === '/' ? `/${name}` : `${dir}/${name}`;
  const at = descriptorPath(fd);
  if (at !== null) {
    if (at !== expected) throw new ConfinedRefusal(`${what}: the file opened is ${at}, not ${expected} (a directory or link was swapped); nothing was ${verb}`);
    return st;
  }
  let now: Stats | null = null;
  try {
    now = lstatSync(name);
  } catch {
    // gone: refused below
  }
  if (!now || now.isSymbolicLink() || now.dev !== st.dev || now.ino !== st.ino || currentDir() !== dir) {
    throw new ConfinedRefusal(`${what}: the file opened is not the one at ${expected} (a directory or link was swapped); nothing was ${verb}`);
  }
  return st;
}

/** What a caller may refuse about the opened file (a hard link of a denied file): a reason, or null. */
export type StatCheck = (st: Stats) => string | null;

/** A file opened for reading, already checked: read it with `read`, always `close` it. */
export interface OpenedFile {
  readonly stats: Stats;
  read(maxBytes: number): Buffer;
  close(): void;
}

/**
 * Opens `real` (a physical path, as judged) for reading without following a symbolic link anywhere: the directory is
 * pinned and checked, the last component is opened with O_NOFOLLOW, and the opened descriptor must be a regular file
 * that passes `check`. OS errors are thrown (ENOENT, EACCES, ELOOP for a last component that is now a link is
 * turned into a refusal); refusals throw ConfinedRefusal.
 */
export function openForRead(real: string, what: string, check?: StatCheck): OpenedFile {
  const dir = posix.dirname(real);
  const name = posix.basename(real);
  // The stats the checks use are taken before the descriptor is verified to be at the judged path, and a name, once
  // gone, never comes back to a descriptor: so a file that had one link when verified had no other name then (a hard
  // link swapped in and out around the open is caught either by its count or by the verification).
  const { fd, stats } = inPinnedDir(dir, what, () => {
    // lstat first so that a device or FIFO is never even opened (an open can have effects on devices).
    const before = lstatSync(name);
    if (before.isSymbolicLink()) throw new ConfinedRefusal(`${what}: it became a symbolic link after it was checked; nothing was read`);
    if (!before.isFile()) throw notRegular(before);
    let opened: number;
    try {
      opened = openSync(name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ELOOP') throw new ConfinedRefusal(`${what}: it became a symbolic link after it was checked; nothing was read`);
      throw e;
    }
    try {
      return { fd: opened, stats: verifyOpened(opened, dir, name, what, 'read') };
    } catch (e) {
      closeSync(opened);
      throw e;
    }
  });
  try {
    if (!stats.isFile()) throw notRegular(stats);
    const refusal = check?.(stats);
    if (refusal) throw new ConfinedRefusal(refusal);
    let closed = false;
    return {
      stats,
      read(maxBytes: number): Buffer {
        // Read at most maxBytes + 1, so a file that grew past the limit after fstat is noticed. The first buffer fits
        // the size fstat gave (plus one byte to see the end), so an ordinary file is one read and one allocation.
        const chunks: Buffer[] = [];
        let total = 0;
        let want = Math.max(stats.size + 1, 256);
        for (;;) {
          const buf = Buffer.allocUnsafe(Math.min(want, maxBytes + 1 - total));
          want = 64 * 1024;
          if (buf.length === 0) break;
          const n = readSync(fd, buf, 0, buf.length, null);
          if (n === 0) break;
          chunks.push(buf.subarray(0, n));
          total += n;
          if (n < buf.length) break; // a short read of a regular file is its end (for now): no second system call
        }
        if (total > maxBytes) throw new ConfinedRefusal(`${what}: more than ${maxBytes} bytes`);
        return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total);
      },
      close() {
        if (!closed) closeSync(fd);
        closed = true;
      },
    };
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

/**
 * What is at `real` now, seen from its pinned directory (no link followed): null when nothing is there. For the
 * checks before a write; `writeReplacing` checks again.
 */
export function statInPlace(real: string, what: string): Stats | null {
  return inPinnedDir(posix.dirname(real), what, () => {
    try {
      return lstatSync(posix.basename(real));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  });
}

/**
 * Replaces the file at `real` (a physical path, as judged) with `content`, atomically: a new temporary file in the
 * pinned directory (O_CREAT|O_EXCL|O_NOFOLLOW, so it is always a new inode of ours), fsync, rename over the name.
 * A symbolic link now at the name is replaced, not followed; an existing regular file keeps its permission bits
 * (setuid/setgid dropped) and must pass `check`; a new file is created 0600. Anything else there is refused.
 */
export function writeReplacing(real: string, content: Buffer, what: string, check?: StatCheck): void {
  const name = posix.basename(real);
  inPinnedDir(posix.dirname(real), what, () => {
    let mode = 0o600;
    let existing: Stats | null = null;
    try {
      existing = lstatSync(name);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (existing && !existing.isFile() && !existing.isSymbolicLink()) throw notRegular(existing);
    if (existing?.isFile()) {
      mode = existing.mode & 0o777;
      const refusal = check?.(existing);
      if (refusal) throw new ConfinedRefusal(refusal);
    }
    const tmp = `.aflock-write-${randomBytes(6).toString('hex')}.tmp`; // short: a long file name plus a suffix could pass NAME_MAX
    const fd = openSync(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
    const dir = posix.dirname(real);
    try {
      verifyOpened(fd, dir, tmp, what, 'written');
      let off = 0;
      while (off < content.length) off += writeSync(fd, content, off);
      fsyncSync(fd);
    } catch (e) {
      try { closeSync(fd); } catch { /* already closed */ }
      try { unlinkSync(tmp); } catch { /* already gone */ }
      throw e;
    }
    try {
      try {
        renameSync(tmp, name);
      } catch (e) {
        try { unlinkSync(tmp); } catch { /* already gone */ }
        throw e;
      }
      // The descriptor follows the inode through the rename: it must now be at the judged path. With the directory
      // pinned this cannot fail; it is the check that says so, where paths are resolved by the runtime (Deno).
      try {
        verifyOpened(fd, dir, name, what, 'left in place');
      } catch (e) {
        throw new ConfinedRefusal(`${(e as Error).message.replace(/; nothing was left in place$/, '')}; the content may have been written elsewhere`);
      }
    } finally {
      closeSync(fd);
    }
  });
}
