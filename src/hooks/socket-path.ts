// Where the live server of a Claude Code session listens for command hooks: a Unix socket named after the session
// (CLAUDE_CODE_SESSION_ID, which Claude Code gives both the MCP server and its hooks) in a directory only our user
// can open. connect(2) on a path socket needs search permission on the directory: with the directory 0700 and ours,
// the kernel admits only our uid (and root), which is the peer-uid check Node cannot make itself (no SO_PEERCRED).
// Both sides refuse a directory that is not ours, is a symbolic link, or is open to others. Dependency-free: the
// small command-hook entry uses it.
import { lstatSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SESSION_ID_RE = /^[A-Za-z0-9_-]{1,64}$/;
/** Longest path a Unix socket address holds (sun_path, 108 bytes with its NUL). */
const MAX_SOCKET_PATH = 107;

function uid(): number {
  return typeof process.getuid === 'function' ? process.getuid() : -1;
}

/** $XDG_RUNTIME_DIR/aflock (a per-user 0700 directory on systemd hosts), else <tmpdir>/aflock-<uid>. */
export function hookSocketDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_RUNTIME_DIR;
  if (xdg && xdg.startsWith('/')) return join(xdg, 'aflock');
  return join(tmpdir(), `aflock-${uid()}`);
}

export function hookSocketPath(sessionId: string, env: NodeJS.ProcessEnv = process.env): string | null {
  if (!SESSION_ID_RE.test(sessionId)) return null;
  const p = join(hookSocketDir(env), `cc-${sessionId}.sock`);
  return Buffer.byteLength(p) <= MAX_SOCKET_PATH ? p : null;
}

/** Why the directory cannot be trusted (null: it is ours, a real directory, closed to others). */
export function socketDirProblem(dir: string): string | null {
  let st;
  try {
    st = lstatSync(dir);
  } catch {
    return `${dir} does not exist`;
  }
  if (st.isSymbolicLink() || !st.isDirectory()) return `${dir} is not a directory`;
  if (uid() >= 0 && st.uid !== uid()) return `${dir} belongs to uid ${st.uid}, not to us`;
  if ((st.mode & 0o077) !== 0) return `${dir} is open to other users (mode ${(st.mode & 0o777).toString(8)})`;
  return null;
}

/** Creates the directory 0700 if missing, then checks it. */
export function ensureSocketDir(dir: string): string | null {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    return `cannot create ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
  }
  return socketDirProblem(dir);
}
