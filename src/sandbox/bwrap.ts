// The bubblewrap command line of one sandboxed command. Pure: a description of the sandbox in, argv out.
// The layering (later mounts cover earlier ones):
//   /                 read-only (the system: programs, libraries, certificates)
//   /dev, /proc       fresh (a new PID namespace: the server and every other process are invisible); /proc/sys
//                     read-only (the kernel's global settings)
//   /run              empty (no Unix sockets of system daemons: docker, dbus; a read-only mount does not stop connect())
//   home directories  empty (no ~/.ssh, ~/.aws, ~/.aflock, tokens of CLIs); PATH entries and git's config under them
//                     come back read-only
//   /tmp              the session's private temporary directory, writable
//   project root      writable
//   ancestors         each directory between the root and a protected path is bound onto itself, so it becomes a
//                     mount point: `mv .git x` (which would carry .git/config's protection away) fails with EBUSY
//   files.readOnly    read-only binds (and the policy file, always)
//   files.deny        /dev/null over files, an empty read-only tmpfs over directories (unreadable, unlistable,
//                     and a hard link to them fails with EXDEV)
// Namespaces: user (when available), mount, PID, network (loopback only), IPC, UTS, cgroup; --cap-drop ALL,
// --new-session (no TIOCSTI into a terminal), --die-with-parent (the sandbox dies with the server).
// The lifeline (LIFELINE_SCRIPT) binds the sandbox to a pipe the server holds, so it dies with the server even when the
// death signal does not fire.
import { dirname, isAbsolute, relative, sep } from 'node:path';
import { statSync } from 'node:fs';
import type { Covered } from './scan.ts';

export const PROXY_PORT = 3128;
/** Where the proxy's Unix socket appears inside the sandbox. */
export const INNER_PROXY_SOCKET = '/run/aflock/proxy.sock';

export interface BwrapSpec {
  root: string;
  cwd: string;
  /** Host directory mounted at /tmp. */
  tmpDir: string;
  /** Policy file: always read-only. */
  policyFile: string | null;
  deny: Covered[];
  readOnly: Covered[];
  missingReadOnlyDirs: string[];
  /** Home directories to empty, and what under them comes back read-only. */
  hiddenDirs: string[];
  reexposed: string[];
  /** Further paths to hide whatever the policy says (the trail's home, the bootstrap secret). */
  alwaysHidden: Covered[];
  /** Host path of the proxy's Unix socket, or null for no network at all. */
  proxySocket: string | null;
  env: Record<string, string>;
}

function isStrictlyInside(p: string, root: string): boolean {
  const rel = relative(root, p);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}

function depth(p: string): number {
  return p.split('/').length;
}

/**
 * The lifeline, run first by the sandbox's first shell when its stdin is a pipe the server holds and never writes.
 * --die-with-parent (PR_SET_PDEATHSIG) can miss: the namespace's init arms it only after bwrap forks it, so a server
 * killed while bubblewrap starts can leave the namespace running (docs/threat-model-gaps.md §7). A pipe cannot miss:
 * when the server dies, however it dies, the kernel closes its end, and a watcher blocked reading the other end sees
 * EOF and kills every process in the PID namespace (`kill -1` spares only pid 1, bwrap's init, and the caller); the
 * command's shell dies with them, bwrap's init leaves and the kernel tears the namespace down. The server also closes
 * its end when a call ends or times out. In order:
 * - the pipe moves to fd 3 and the command gets /dev/null as stdin, as an unsandboxed command does;
 * - the watcher reads fd 3 (not its stdin, which bash points at /dev/null for a background job), writes nowhere (its
 *   stdout and stderr would keep the call's pipes open), and is started by a subshell that exits at once, so that
 *   it becomes a child of bwrap's init, not of the command (which would see an unknown child in wait());
 * - fd 3 is closed before anything else starts, so the command and the proxy relay never hold the pipe.
 */
const LIFELINE_SCRIPT = [
  'exec 3<&0 </dev/null',
  '( { while read -r -u 3 _; do :; done; kill -KILL -1; } >/dev/null 2>&1 & )',
  'exec 3<&-',
];

/**
 * Closes every descriptor above 2 the first shell inherited. A runtime may hand its own to a child: under Deno the
 * proxy's listening socket reached every sandboxed process (a command could accept() the proxy connections of
 * another call), and a server started with extra descriptors passes them on. Nothing in the sandbox needs one: the
 * lifeline is fd 0 until the line after this, the relay connects by path.
 */
// (No `2>/dev/null` on the loop: bash keeps stderr's saved copy on a descriptor the loop would close. The one the glob
// listed the directory with is gone by then, hence the test.)
const CLOSE_INHERITED = ['for f in /proc/self/fd/*; do n=${f##*/}; (( n > 2 )) && [[ -e $f ]] && exec {n}<&-; done'];

/** Starts the TCP->Unix relay to the proxy and waits until it listens. */
const RELAY_SCRIPT = [
  `socat TCP-LISTEN:${PROXY_PORT},bind=127.0.0.1,fork,reuseaddr UNIX-CONNECT:${INNER_PROXY_SOCKET} </dev/null >/dev/null 2>&1 &`,
  // Wait (builtins only, no process per try) for the listening socket in /proc/net/tcp: 127.0.0.1:3128, state 0A.
  `for ((i = 0; i < 20000; i++)); do while read -r _ a _ st _; do [[ $a == 0100007F:${PROXY_PORT.toString(16).toUpperCase().padStart(4, '0')} && $st == 0A ]] && break 3; done </proc/net/tcp; done`,
];

export interface BwrapOptions {
  /** The sandbox's stdin is the server's lifeline pipe (LIFELINE_SCRIPT); false: stdin is passed through as it is. */
  lifeline: boolean;
}

export function bwrapArgs(spec: BwrapSpec, command: string, opts: BwrapOptions): string[] {
  const a: string[] = ['--die-with-parent', '--new-session', '--unshare-all', '--cap-drop', 'ALL'];
  // /proc/sys read-only: bubblewrap covers it only when the directory itself is writable (it is not, its files are),
  // and a command run by root (uid 0 mapped to 0, capabilities dropped) could otherwise write the kernel's global
  // sysctls: kernel.core_pattern = "|/project/x.sh" runs x.sh as the host's root at the next crash of any process.
  a.push('--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--ro-bind', '/proc/sys', '/proc/sys', '--tmpfs', '/run');
  for (const d of spec.hiddenDirs) a.push('--tmpfs', d);
  for (const p of spec.reexposed) a.push('--ro-bind-try', p, p);
  a.push('--bind', spec.tmpDir, '/tmp');
  a.push('--bind', spec.root, spec.root);

  const protectedPaths = [...spec.deny, ...spec.readOnly].map((c) => c.path).concat(spec.missingReadOnlyDirs);
  if (spec.policyFile) protectedPaths.push(spec.policyFile);
  const ancestors = new Set<string>();
  for (const p of protectedPaths) {
    if (!isStrictlyInside(p, spec.root)) continue;
    for (let d = dirname(p); isStrictlyInside(d, spec.root); d = dirname(d)) ancestors.add(d);
  }
  for (const d of [...ancestors].sort((x, y) => depth(x) - depth(y))) a.push('--bind', d, d);

  for (const c of [...spec.readOnly].sort((x, y) => depth(x.path) - depth(y.path))) a.push('--ro-bind', c.path, c.path);
  for (const d of spec.missingReadOnlyDirs) {
    // `.git/hooks/**` in a directory that is not a repository, or in a linked worktree or submodule checkout where
    // `.git` is a file: nothing to protect there (and bubblewrap cannot make a directory under a file).
    if (!statSync(dirname(d), { throwIfNoEntry: false })?.isDirectory()) continue;
    a.push('--tmpfs', d, '--remount-ro', d);
  }
  if (spec.policyFile) a.push('--ro-bind', spec.policyFile, spec.policyFile);
  for (const c of [...spec.deny, ...spec.alwaysHidden].sort((x, y) => depth(x.path) - depth(y.path))) {
    if (c.dir) a.push('--tmpfs', c.path, '--remount-ro', c.path);
    else a.push('--ro-bind', '/dev/null', c.path);
  }
  if (spec.proxySocket) a.push('--dir', dirname(INNER_PROXY_SOCKET), '--bind', spec.proxySocket, INNER_PROXY_SOCKET);
  a.push('--remount-ro', '/run');
  a.push('--chdir', spec.cwd, '--clearenv');
  for (const [k, v] of Object.entries(spec.env)) a.push('--setenv', k, v);
  // The first shell runs what has to come before the command, then replaces itself with `bash -c COMMAND`; with
  // nothing to come before, it is `bash -c COMMAND` itself.
  const before = [...CLOSE_INHERITED, ...(opts.lifeline ? LIFELINE_SCRIPT : []), ...(spec.proxySocket ? RELAY_SCRIPT : [])];
  a.push('--', 'bash', '-c', [...before, 'exec bash -c "$1"'].join('\n'), 'bash', command);
  return a;
}
