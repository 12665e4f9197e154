// The HTTP bootstrap secret: a file readable only by our user that buys exactly one token (the session token).
//
// Loading refuses anything an other user could have read or replaced: the file must be a regular file (not a
// symlink) owned by our uid, mode 0600 or 0400, with one link, in a directory owned by us or root that no group or
// other can write (every ancestor up to / must be owned by us or root and either not group/other-writable or sticky,
// like /tmp). When the file does not exist it is created with O_EXCL, mode 0600, 32 random bytes in base64url.
//
// Entropy cannot be measured from one sample, so it is judged by capacity and a sanity check: the content (trailing
// whitespace ignored) must be base64url/base64 of at least 43 characters (43 x 6 bits = 258 bits, i.e. >= 32 random
// bytes) using at least 16 distinct characters, or hex of at least 64 characters (256 bits) using at least 8 distinct
// characters. A random secret passes these with overwhelming probability; "aaaa...", a word repeated, or a short
// passphrase does not.
//
// In memory we keep only the SHA-256 of the secret (the bytes read from the file are overwritten at once). Candidates
// are compared as SHA-256 digests with crypto.timingSafeEqual, so the comparison takes the same time whatever the
// candidate's length or content. On success the digest is overwritten and the file unlinked: a replay fails.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { closeSync, constants, fstatSync, fsyncSync, lstatSync, openSync, readSync, realpathSync, statSync, unlinkSync, writeSync, type Stats } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';

/** A configuration problem that stops the server before it serves: exit 2 with this message. */
export class ConfigError extends Error {}

export const MIN_BASE64_CHARS = 43;
export const MIN_HEX_CHARS = 64;
const MAX_SECRET_BYTES = 1024;

/** Failures a source may make before its attempts are delayed. */
export const FREE_FAILURES = 3;
export const BASE_DELAY_MS = 500;
export const MAX_DELAY_MS = 30_000;
const MAX_SOURCES = 1024;

function ourUid(): number {
  if (typeof process.getuid !== 'function') throw new ConfigError('HTTP mode needs a POSIX system: the bootstrap secret file cannot be checked for its owner here');
  return process.getuid();
}

function octal(mode: number): string {
  return `0${(mode & 0o7777).toString(8).padStart(3, '0')}`;
}

/** Refuses a directory (and its ancestors) that someone other than us or root could change. */
function checkDirectory(dir: string, uid: number): void {
  let real: string;
  try {
    real = realpathSync(dir);
  } catch (e) {
    throw new ConfigError(`bootstrap secret directory ${dir} is not usable: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const st = statSync(real);
  if (!st.isDirectory()) throw new ConfigError(`bootstrap secret directory ${real} is not a directory`);
  if (st.uid !== uid && st.uid !== 0) throw new ConfigError(`bootstrap secret directory ${real} is owned by uid ${st.uid}, not by us (uid ${uid}) or root`);
  if (st.mode & 0o022) throw new ConfigError(`bootstrap secret directory ${real} is writable by group or others (mode ${octal(st.mode)}); use a directory only you can write, e.g. mode 0700`);
  for (let p = dirname(real); ; p = dirname(p)) {
    const a = statSync(p);
    if (a.uid !== uid && a.uid !== 0) throw new ConfigError(`bootstrap secret directory ${real} lies under ${p}, owned by uid ${a.uid} (not us or root)`);
    if (a.mode & 0o022 && !(a.mode & 0o1000)) throw new ConfigError(`bootstrap secret directory ${real} lies under ${p}, writable by group or others without the sticky bit (mode ${octal(a.mode)})`);
    if (p === dirname(p)) break;
  }
}

function checkFileStats(path: string, st: Stats, uid: number): void {
  if (!st.isFile()) throw new ConfigError(`bootstrap secret file ${path} is not a regular file`);
  if (st.uid !== uid) throw new ConfigError(`bootstrap secret file ${path} is owned by uid ${st.uid}, not by us (uid ${uid})`);
  const mode = st.mode & 0o7777;
  if (mode !== 0o600 && mode !== 0o400) throw new ConfigError(`bootstrap secret file ${path} has mode ${octal(mode)}; it must be 0600 (or 0400): chmod 600 ${path}`);
  if (st.nlink !== 1) throw new ConfigError(`bootstrap secret file ${path} has ${st.nlink} hard links; it must have exactly one`);
  if (st.size > MAX_SECRET_BYTES) throw new ConfigError(`bootstrap secret file ${path} is larger than ${MAX_SECRET_BYTES} bytes`);
}

/** Length of `buf` without trailing ASCII whitespace. */
function trimmedLength(buf: Buffer, n: number): number {
  while (n > 0 && (buf[n - 1] === 0x0a || buf[n - 1] === 0x0d || buf[n - 1] === 0x20 || buf[n - 1] === 0x09)) n--;
  return n;
}

/** Why a secret is too weak, or null. Works on bytes so the secret never becomes an (unwipeable) JS string. */
export function secretWeakness(bytes: Uint8Array): string | null {
  const isHex = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
  const isB64 = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x2d || c === 0x5f || c === 0x2b || c === 0x2f;
  let n = bytes.length;
  while (n > 0 && bytes[n - 1] === 0x3d) n--; // base64 padding
  const body = bytes.subarray(0, n);
  const distinct = new Set(body).size;
  if (body.length > 0 && body.every(isHex) && bytes.length === n) {
    if (body.length >= MIN_HEX_CHARS && distinct >= 8) return null;
    return `a hex secret needs at least ${MIN_HEX_CHARS} characters (256 bits); this one has ${body.length}`;
  }
  if (!body.every(isB64)) return 'the secret must be base64url, base64 or hex (generate one with: head -c 32 /dev/urandom | base64 | tr "+/" "-_" | tr -d "=")';
  if (body.length < MIN_BASE64_CHARS) return `a base64 secret needs at least ${MIN_BASE64_CHARS} characters (32 random bytes); this one has ${body.length}`;
  if (distinct < 16) return `the secret uses only ${distinct} distinct characters; it does not look random`;
  return null;
}

type SecretState = { kind: 'armed'; digest: Buffer } | { kind: 'spent' };

export type RedeemResult = { ok: true } | { ok: false; reason: string; retryAfterMs?: number };

/** The one-time secret held by an HTTP server, with per-source throttling of failed attempts. */
export class BootstrapSecret {
  private state: SecretState;
  private readonly failures = new Map<string, { count: number; nextAt: number }>();

  private constructor(
    readonly path: string,
    digest: Buffer,
    readonly created: boolean,
  ) {
    this.state = { kind: 'armed', digest };
  }

  /** Loads (or creates) the secret file, refusing anything unsafe with a ConfigError. */
  static load(pathArg: string): BootstrapSecret {
    const uid = ourUid();
    const path = resolve(pathArg);
    let existing: Stats | null = null;
    try {
      existing = lstatSync(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new ConfigError(`cannot inspect bootstrap secret file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    checkDirectory(dirname(path), uid);
    if (!existing) return BootstrapSecret.create(path);
    if (existing.isSymbolicLink()) throw new ConfigError(`bootstrap secret file ${path} is a symbolic link; give the file itself`);
    checkFileStats(path, existing, uid);

    let fd: number;
    try {
      fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | (constants.O_NONBLOCK ?? 0));
    } catch (e) {
      throw new ConfigError(`cannot open bootstrap secret file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    const buf = Buffer.alloc(MAX_SECRET_BYTES + 1);
    try {
      checkFileStats(path, fstatSync(fd), uid); // the file we opened, not whatever the name pointed to before
      let n = 0;
      for (let r; n < buf.length && (r = readSync(fd, buf, n, buf.length - n, null)) > 0; ) n += r;
      if (n > MAX_SECRET_BYTES) throw new ConfigError(`bootstrap secret file ${path} is larger than ${MAX_SECRET_BYTES} bytes`);
      const secret = buf.subarray(0, trimmedLength(buf, n));
      if (secret.length === 0) throw new ConfigError(`bootstrap secret file ${path} is empty`);
      const weak = secretWeakness(secret);
      if (weak) throw new ConfigError(`bootstrap secret in ${path} is too weak: ${weak}`);
      return new BootstrapSecret(path, createHash('sha256').update(secret).digest(), false);
    } finally {
      buf.fill(0);
      closeSync(fd);
    }
  }

  private static create(path: string): BootstrapSecret {
    const raw = randomBytes(32);
    const text = Buffer.from(`${raw.toString('base64url')}\n`);
    let fd: number;
    try {
      fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    } catch (e) {
      raw.fill(0);
      text.fill(0);
      throw new ConfigError(`cannot create bootstrap secret file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    try {
      writeSync(fd, text);
      fsyncSync(fd);
      const digest = createHash('sha256').update(text.subarray(0, text.length - 1)).digest();
      return new BootstrapSecret(path, digest, true);
    } finally {
      closeSync(fd);
      raw.fill(0);
      text.fill(0);
    }
  }

  get spent(): boolean {
    return this.state.kind === 'spent';
  }

  /**
   * Checks a candidate from `source`. The check and the burning of the secret happen in one synchronous step, so of
   * two concurrent correct attempts exactly one succeeds. A source that failed more than FREE_FAILURES times must
   * wait (exponentially longer, capped) before its next attempt is even compared; attempts inside that window are
   * refused without a comparison. `delayMs` of a failure is how long the caller should hold the answer back.
   */
  redeem(candidate: string | undefined, source: string, now = Date.now()): RedeemResult & { delayMs: number } {
    if (this.state.kind === 'spent') return { ok: false, reason: 'the bootstrap secret has already been used; get_token needs a token now', delayMs: 0 };
    const f = this.failures.get(source);
    if (f && now < f.nextAt) {
      const retryAfterMs = f.nextAt - now;
      return { ok: false, reason: `too many failed bootstrap attempts from this source; retry in ${Math.ceil(retryAfterMs / 1000)}s`, retryAfterMs, delayMs: 0 };
    }
    const given = createHash('sha256').update(typeof candidate === 'string' ? candidate : '').digest();
    const match = typeof candidate === 'string' && candidate.length > 0 && timingSafeEqual(given, this.state.digest);
    if (match) {
      this.state.digest.fill(0);
      this.state = { kind: 'spent' };
      this.failures.clear();
      return { ok: true, delayMs: 0 };
    }
    const count = (f?.count ?? 0) + 1;
    const delayMs = failureDelayMs(count);
    if (!f && this.failures.size >= MAX_SOURCES) this.failures.delete(this.failures.keys().next().value as string);
    this.failures.set(source, { count, nextAt: now + delayMs });
    return { ok: false, reason: candidate ? 'wrong bootstrap secret' : 'missing _bootstrap: on HTTP the first get_token needs the bootstrap secret', delayMs };
  }

  /** Removes the secret file after a successful bootstrap (the secret is already gone from memory). */
  unlinkFile(): string | null {
    try {
      unlinkSync(this.path);
      return null;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      return code === 'ENOENT' ? null : `could not remove ${basename(this.path)}: ${code ?? (e as Error).message}`;
    }
  }

  /** Forgets the secret (shutdown). */
  wipe(): void {
    if (this.state.kind === 'armed') this.state.digest.fill(0);
    this.state = { kind: 'spent' };
  }
}

/** Delay after the n-th failure from one source: none for the first FREE_FAILURES, then doubling up to MAX_DELAY_MS. */
export function failureDelayMs(count: number): number {
  if (count <= FREE_FAILURES) return 0;
  return Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** (count - FREE_FAILURES - 1));
}
