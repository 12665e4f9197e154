// Which local user owns the other end of a loopback TCP connection (Linux), the identd way: the client's socket is
// the row of /proc/net/tcp (or tcp6, for an IPv4-mapped dual-stack socket) whose local endpoint is the client's
// address:port and whose remote endpoint is ours; its `uid` column is the owner and its `inode` names the socket.
// Node has no SO_PEERCRED, and a native addon would break the single-file builds, so this reads /proc instead.
//
// Reading the table is synchronous on purpose: the check runs in the server's 'connection' handler, so no byte of a
// request from a connection is parsed before its owner is known. A missing row fails closed.
//
// The peer's PID is found, when someone asks for it, by scanning /proc/<pid>/fd of processes owned by our uid (the
// only ones we may read, and the only ones allowed to connect) for `socket:[inode]`, recently seen PIDs first, within
// a time and file budget. It is a description for the audit trail, not a credential.
import { readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
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

function findRow(table: string, local: string, remote: string): string[] | null {
  let from = 0;
  for (;;) {
    const i = table.indexOf(local, from);
    if (i < 0) return null;
    from = i + local.length;
    const start = table.lastIndexOf('\n', i) + 1;
    const end = table.indexOf('\n', i);
    const fields = table.slice(start, end < 0 ? undefined : end).trim().split(/\s+/);
    if (fields[1] === local && fields[2] === remote) return fields;
  }
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
      return { unavailable: `${procRoot}/net/tcp is not readable (${(e as NodeJS.ErrnoException).code ?? (e as Error).name}; under Deno grant --allow-read=/proc)` };
    }
    return new PeerCheck(process.getuid(), procRoot);
  }

  private table(name: 'tcp' | 'tcp6'): string {
    try {
      return readFileSync(`${this.procRoot}/net/${name}`, 'latin1');
    } catch {
      return '';
    }
  }

  /** Finds our own listening socket: proves the table is the one our sockets live in and that we parse it right. */
  selfTest(address: string, port: number): string | null {
    const e = procEndpoints(address, port);
    if (!e) return `cannot encode ${address}:${port}`;
    const rows = this.table('tcp').split('\n').map((l) => l.trim().split(/\s+/));
    const row = rows.find((f) => f[1] === e.tcp && f[3] === '0A');
    if (!row) return `our listening socket ${address}:${port} is not in ${this.procRoot}/net/tcp`;
    if (Number(row[7]) !== this.uid) return `our listening socket shows uid ${row[7]}, not ${this.uid}`;
    return null;
  }

  /** The owner of the client end of an accepted connection. */
  lookup(client: { address: string; port: number }, server: { address: string; port: number }): PeerLookup {
    const c = procEndpoints(client.address, client.port);
    const s = procEndpoints(server.address, server.port);
    if (!c || !s) return { ok: false, reason: `not an IPv4 loopback connection (${client.address})` };
    const row = findRow(this.table('tcp'), c.tcp, s.tcp) ?? findRow(this.table('tcp6'), c.tcp6, s.tcp6);
    if (!row) return { ok: false, reason: `no socket ${client.address}:${client.port} -> ${server.address}:${server.port} in ${this.procRoot}/net/tcp{,6}` };
    const uid = Number(row[7]);
    const inode = Number(row[9]);
    if (!Number.isInteger(uid) || !Number.isInteger(inode)) return { ok: false, reason: 'unparseable row in /proc/net/tcp' };
    if (inode === 0) return { ok: false, reason: 'the client socket is already closed' };
    return { ok: true, uid, inode };
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
