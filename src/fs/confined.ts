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
export function physicalPath(abs: string): string | null {
  try {
    return realpathSync(abs);
  } catch (e) {
    if (!isMissing(e)) return null;
  }
  const todo = abs.split('/').filter((c) => c !== '' && c !== '.');
  let done = '/';
  let hops = 0;
  let missing = false; // once a component is missing, the rest are plain names
  while (todo.length > 0) {
    const c = todo.shift()!;
    if (c === '.') continue;
    if (c === '..') {
      done = posix.dirname(done); // `done` has no symbolic links in it, so this is the physical parent
      continue;
    }
    const next = done === '/' ? `/${c}` : `${done}/${c}`;
    if (missing) {
      done = next;
      continue;
    }
    let st: Stats;
    try {
      st = lstatSync(next);
    } catch (e) {
      if (!isMissing(e)) return null;
      missing = true;
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
    if (!st.isDirectory() && todo.length > 0) missing = true; // a file used as a directory: nothing below it exists
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
export function inPinnedDir<T>(dir: string, what: string, fn: () => T): T {
  const before = currentDir();
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
  const fd = inPinnedDir(dir, what, () => {
    // lstat first so that a device or FIFO is never even opened (an open can have effects on devices).
    const before = lstatSync(name);
    if (before.isSymbolicLink()) throw new ConfinedRefusal(`${what}: it became a symbolic link after it was checked; nothing was read`);
    if (!before.isFile()) throw notRegular(before);
    try {
      return openSync(name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ELOOP') throw new ConfinedRefusal(`${what}: it became a symbolic link after it was checked; nothing was read`);
      throw e;
    }
  });
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw notRegular(stats);
    const refusal = check?.(stats);
    if (refusal) throw new ConfinedRefusal(refusal);
    let closed = false;
    return {
      stats,
      read(maxBytes: number): Buffer {
        // Read at most maxBytes + 1, so a file that grew past the limit after fstat is noticed.
        const chunks: Buffer[] = [];
        let total = 0;
        for (;;) {
          const buf = Buffer.allocUnsafe(Math.min(1 << 20, maxBytes + 1 - total));
          if (buf.length === 0) break;
          const n = readSync(fd, buf, 0, buf.length, null);
          if (n === 0) break;
          chunks.push(buf.subarray(0, n));
          total += n;
        }
        if (total > maxBytes) throw new ConfinedRefusal(`${what}: more than ${maxBytes} bytes`);
        return Buffer.concat(chunks, total);
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
    try {
      let off = 0;
      while (off < content.length) off += writeSync(fd, content, off);
      fsyncSync(fd);
      closeSync(fd);
    } catch (e) {
      try { closeSync(fd); } catch { /* already closed */ }
      try { unlinkSync(tmp); } catch { /* already gone */ }
      throw e;
    }
    try {
      renameSync(tmp, name);
    } catch (e) {
      try { unlinkSync(tmp); } catch { /* already gone */ }
      throw e;
    }
  });
}
