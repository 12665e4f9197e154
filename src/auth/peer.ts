// Which local user owns the other end of a loopback TCP connection (Linux), the identd way: the client's socket is
// the row of /proc/net/tcp (or tcp6, for an IPv4-mapped dual-stack socket) whose local endpoint is the client's
// address:port and whose remote endpoint is ours; its `uid` column is the owner and its `inode` names the socket.
// Node has no SO_PEERCRED, and a native addon would break the single-file builds, so this reads /proc instead.
//
// Cost: the kernel walks its whole TCP hash table to print /proc/net/tcp (measured ~3.5 ms per read of the file on a
// VM with a 262144-bucket table, however few sockets there are), so lookups are batched: every connection accepted before a
// read starts is answered from that one read, off the main thread. The caller holds each connection paused (its
// bytes unread) until the answer; a missing row fails closed.
//
// The peer's PID is found, when someone asks for it, by scanning /proc/<pid>/fd of processes owned by our uid (the
// only ones we may read, and the only ones allowed to connect) for `socket:[inode]`, recently seen PIDs first, within
// a time and file budget. It is a description for the audit trail, not a credential.
import { readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { endianness } from 'node:os';

export type PeerLookup = { ok: true; uid: number; inode: number } | { ok: false; reason: string };

export interface PeerProcess {
  pid: number;
  /** Field 22 of /proc/<pid>/stat (clock ticks after boot): with the PID it names one process, whatever reuse. */
  startTime: string;
}

const LITTLE_ENDIAN = endianness() === 'LE';
const PID_SCAN_BUDGET_MS = 100;
const PID_SCAN_MAX_FDS = 50_000;
const RECENT_PIDS = 16;

function hex(n: number, width: number): string {
  return n.toString(16).toUpperCase().padStart(width, '0');
}

function ipv4Bytes(address: string): number[] | null {
  const a = address.startsWith('::ffff:') ? address.slice(7) : address;
  const parts = a.split('.');
  if (parts.length !== 4) return null;
  const bytes = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : NaN));
  return bytes.every((b) => b >= 0 && b <= 255) ? bytes : null;
}

/** A 32-bit word as /proc prints it: the kernel's in-memory (network order) bytes read as a host-order integer. */
function word(bytes: number[]): string {
  const b = LITTLE_ENDIAN ? [...bytes].reverse() : bytes;
  return b.map((x) => hex(x, 2)).join('');
}

/** `ADDR:PORT` as in /proc/net/tcp, and as an IPv4-mapped address in /proc/net/tcp6. */
export function procEndpoints(address: string, port: number): { tcp: string; tcp6: string } | null {
  const b = ipv4Bytes(address);
  if (!b || !Number.isInteger(port) || port < 0 || port > 65535) return null;
  const p = hex(port, 4);
  return { tcp: `${word(b)}:${p}`, tcp6: `${word([0, 0, 0, 0])}${word([0, 0, 0, 0])}${word([0, 0, 0xff, 0xff])}${word(b)}:${p}` };
}

/**
 * Streams a /proc/net/tcp-style table and hands each row whose `local remote` pair is wanted to its callback, stopping
 * as soon as nothing more is wanted: every read(2) of the file makes the kernel walk more of its hash table, and
 * seq_file hands out about a page per read, so stopping early saves most of the cost. Rows left are not in the table.
 */
async function scanProcTable(path: string, want: Map<string, (fields: string[]) => void>): Promise<void> {
  if (want.size === 0) return;
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(64 * 1024);
    let carry = '';
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      const text = carry + buf.toString('latin1', 0, bytesRead);
      const lines = text.split('\n');
      carry = bytesRead === 0 ? '' : (lines.pop() ?? '');
      for (const line of lines) {
        const fields = line.trim().split(/\s+/);
        const key = `${fields[1]} ${fields[2]}`;
        const take = want.get(key);
        if (!take) continue;
        want.delete(key);
        take(fields);
        if (want.size === 0) return;
      }
      if (bytesRead === 0) return;
    }
  } finally {
    await fh.close();
  }
}

interface Endpoint {
  address: string;
  port: number;
}

interface Waiter {
  c: { tcp: string; tcp6: string };
  s: { tcp: string; tcp6: string };
  describe: string;
  resolve: (r: PeerLookup) => void;
}

function fromRow(row: string[]): PeerLookup {
  const uid = Number(row[7]);
  const inode = Number(row[9]);
  if (!Number.isInteger(uid) || !Number.isInteger(inode)) return { ok: false, reason: 'unparseable row in /proc/net/tcp' };
  if (inode === 0) return { ok: false, reason: 'the client socket is already closed' };
  return { ok: true, uid, inode };
}

export class PeerCheck {
  private readonly recentPids: number[] = [];

  private constructor(
    readonly uid: number,
    private readonly procRoot: string,
  ) {}

  /** A working check, or why it cannot run here (said once on stderr by the caller). */
  static probe(procRoot = '/proc'): PeerCheck | { unavailable: string } {
    if (process.platform !== 'linux') return { unavailable: `not Linux (${process.platform})` };
    if (typeof process.getuid !== 'function') return { unavailable: 'process.getuid is not available' };
    try {
      readFileSync(`${procRoot}/net/tcp`, 'latin1');
    } catch (e) {
      const deno = typeof (globalThis as { Deno?: unknown }).Deno !== 'undefined';
      return { unavailable: `${procRoot}/net/tcp is not readable (${(e as NodeJS.ErrnoException).code ?? (e as Error).name})${deno ? '; under Deno it needs -A' : ''}` };
    }
    return new PeerCheck(process.getuid(), procRoot);
  }

  private async scan(name: 'tcp' | 'tcp6', want: Map<string, (fields: string[]) => void>): Promise<void> {
    if (want.size === 0) return;
    this.tableReads++;
    try {
      await scanProcTable(`${this.procRoot}/net/${name}`, want);
    } catch {
      // unreadable: whatever is still wanted stays unanswered, and fails closed
    }
  }

  /** Finds our own listening socket: proves the table is the one our sockets live in and that we parse it right. */
  async selfTest(address: string, port: number): Promise<string | null> {
    const e = procEndpoints(address, port);
    if (!e) return `cannot encode ${address}:${port}`;
    let row: string[] | null = null;
    await this.scan('tcp', new Map([[`${e.tcp} 00000000:0000`, (f: string[]) => void (row = f)]]));
    const found = row as string[] | null;
    if (!found || found[3] !== '0A') return `our listening socket ${address}:${port} is not in ${this.procRoot}/net/tcp`;
    if (Number(found[7]) !== this.uid) return `our listening socket shows uid ${found[7]}, not ${this.uid}`;
    return null;
  }

  private waiting: Waiter[] = [];
  private reading = false;
  /** How many times a table was scanned (each scan answers every connection accepted before it began). */
  tableReads = 0;

  /** The owner of the client end of an accepted connection. Call it right after accept. */
  lookup(client: Endpoint, server: Endpoint): Promise<PeerLookup> {
    const c = procEndpoints(client.address, client.port);
    const s = procEndpoints(server.address, server.port);
    if (!c || !s) return Promise.resolve({ ok: false, reason: `not an IPv4 loopback connection (${client.address})` });
    return new Promise((resolve) => {
      this.waiting.push({ c, s, describe: `${client.address}:${client.port} -> ${server.address}:${server.port}`, resolve });
      this.pump();
    });
  }

  private pump(): void {
    if (this.reading || this.waiting.length === 0) return;
    this.reading = true;
    const batch = this.waiting.splice(0); // all accepted before the scan below begins, so all have their rows
    const answered = new Set<Waiter>();
    const answer = (w: Waiter, r: PeerLookup) => {
      answered.add(w);
      w.resolve(r);
    };
    void (async () => {
      await this.scan('tcp', new Map(batch.map((w) => [`${w.c.tcp} ${w.s.tcp}`, (f: string[]) => answer(w, fromRow(f))])));
      const rest = batch.filter((w) => !answered.has(w));
      // A dual-stack client socket connected to ::ffff:127.0.0.1 is listed in tcp6.
      await this.scan('tcp6', new Map(rest.map((w) => [`${w.c.tcp6} ${w.s.tcp6}`, (f: string[]) => answer(w, fromRow(f))])));
    })()
      .catch(() => undefined)
      .finally(() => {
        for (const w of batch) if (!answered.has(w)) w.resolve({ ok: false, reason: `no socket ${w.describe} in ${this.procRoot}/net/tcp{,6}` });
        this.reading = false;
        this.pump();
      });
  }

  /** The process holding socket `inode`, among processes of our uid; null when not found within the budget. */
  findProcess(inode: number): PeerProcess | null {
    const target = `socket:[${inode}]`;
    const deadline = Date.now() + PID_SCAN_BUDGET_MS;
    let fdsLeft = PID_SCAN_MAX_FDS;
    const holds = (pid: number): boolean => {
      let fds: string[];
      try {
        fds = readdirSync(`${this.procRoot}/${pid}/fd`);
      } catch {
        return false;
      }
      for (const fd of fds) {
        if (--fdsLeft < 0) return false;
        try {
          if (readlinkSync(`${this.procRoot}/${pid}/fd/${fd}`) === target) return true;
        } catch {
          // fd closed meanwhile
        }
      }
      return false;
    };
    const found = (pid: number): PeerProcess | null => {
      const startTime = this.startTime(pid);
      if (startTime === null) return null;
      const i = this.recentPids.indexOf(pid);
      if (i >= 0) this.recentPids.splice(i, 1);
      this.recentPids.unshift(pid);
      this.recentPids.length = Math.min(this.recentPids.length, RECENT_PIDS);
      return { pid, startTime };
    };
    for (const pid of this.recentPids) if (holds(pid)) return found(pid);
    let pids: number[];
    try {
      pids = readdirSync(this.procRoot).filter((n) => /^\d+$/.test(n)).map(Number);
    } catch {
      return null;
    }
    for (const pid of pids) {
      if (fdsLeft <= 0 || Date.now() > deadline) return null;
      if (this.recentPids.includes(pid)) continue;
      try {
        if (statSync(`${this.procRoot}/${pid}`).uid !== this.uid) continue;
      } catch {
        continue;
      }
      if (holds(pid)) return found(pid);
    }
    return null;
  }

  private startTime(pid: number): string | null {
    try {
      const stat = readFileSync(`${this.procRoot}/${pid}/stat`, 'latin1');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return fields[19] ?? null; // field 22 overall; fields after the command start at field 3
    } catch {
      return null;
    }
  }
}
