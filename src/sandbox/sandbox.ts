// Policy -> OS sandbox, for every command the server runs. This module turns an already loaded policy into a
// bubblewrap command line and runs the network proxy beside it; it decides nothing about the policy itself.
// Fail closed: when bubblewrap (or socat, for the proxy) is missing, or the kernel refuses the namespaces, every
// command is refused with `Sandbox unavailable: <why>`. Off only when asked explicitly (policy or flag).
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import type { LoadedPolicy } from '../policy/load.ts';
import type { SandboxSettings } from '../policy/schema.ts';
import { bwrapArgs, PROXY_PORT, type BwrapOptions, type BwrapSpec } from './bwrap.ts';
import { sandboxEnv } from './env.ts';
import type { ProxyDecision, RunningProxy } from './proxy.ts';
import { ProjectScanner, ScanError, type Covered } from './scan.ts';
import { isDeno, isPermissionError } from '../runtime.ts';

export class SandboxUnavailable extends Error {
  constructor(readonly why: string) {
    super(`Sandbox unavailable: ${why}`);
    this.name = 'SandboxUnavailable';
  }
}

/** What the server tells get_policy, get_identity and every audit record. */
export type SandboxMode = { mode: 'on'; kind: 'bubblewrap' } | { mode: 'off'; by: 'policy' | 'flag' };

export function sandboxModeOf(settings: SandboxSettings | undefined, noSandboxFlag: boolean): SandboxMode {
  if (noSandboxFlag) return { mode: 'off', by: 'flag' };
  if (settings?.mode === 'off') return { mode: 'off', by: 'policy' };
  return { mode: 'on', kind: 'bubblewrap' };
}

export function describeMode(m: SandboxMode): string {
  return m.mode === 'on' ? 'bubblewrap' : m.by === 'flag' ? 'off (--no-sandbox)' : 'off (policy sandbox.mode)';
}

/** The search path execvp uses when PATH is unset (glibc), so we find bwrap where spawn would find bash. */
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** An executable on PATH, or null. */
export function which(name: string, path = process.env.PATH ?? DEFAULT_PATH): string | null {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return null;
}

const INSTALL_HINT = 'install it: apt-get install -y bubblewrap socat (Debian, Ubuntu) or dnf install -y bubblewrap socat';

function runQuiet(file: string, args: string[], timeoutMs: number): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolveRun) => {
    let stderr = '';
    let child;
    try {
      child = spawn(file, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: process.env.PATH ?? DEFAULT_PATH } });
    } catch (e) {
      resolveRun({ code: -1, stderr: (e as Error).message });
      return;
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stderr!.on('data', (d) => (stderr += d));
    child.on('error', (e) => (stderr += e.message));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolveRun({ code, stderr: stderr.trim() });
    });
  });
}

/** Checks once that bubblewrap can make the namespaces we need here. Resolves to the bwrap path or throws SandboxUnavailable. */
export async function probeBubblewrap(needSocat: boolean): Promise<string> {
  if (process.platform !== 'linux') throw new SandboxUnavailable(`no supported sandbox on ${process.platform} (bubblewrap needs Linux)`);
  const bwrap = which('bwrap');
  if (!bwrap) throw new SandboxUnavailable(`bubblewrap (bwrap) is not on PATH; ${INSTALL_HINT}`);
  if (needSocat && !which('socat')) throw new SandboxUnavailable(`socat (the sandbox's relay to the network proxy) is not on PATH; ${INSTALL_HINT}`);
  let r;
  try {
    r = await runQuiet(bwrap, ['--die-with-parent', '--unshare-all', '--cap-drop', 'ALL', '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--', 'true'], 10_000);
  } catch (e) {
    if (isPermissionError(e)) throw new SandboxUnavailable('Deno does not allow running bwrap: add --allow-run=bash,bwrap');
    throw e;
  }
  if (r.code !== 0) {
    if (isDeno() && /Requires run access|NotCapable|PermissionDenied/i.test(r.stderr)) {
      throw new SandboxUnavailable('Deno does not allow running bwrap: add --allow-run=bash,bwrap');
    }
    const why = r.stderr.split('\n')[0] || `exit status ${r.code}`;
    throw new SandboxUnavailable(`bubblewrap cannot create its namespaces here (${why}); unprivileged user namespaces may be disabled (sysctl kernel.unprivileged_userns_clone=1, or an AppArmor profile for bwrap)`);
  }
  return bwrap;
}

export interface SandboxOptions {
  policy: LoadedPolicy;
  /** Paths hidden from every command whatever the policy says (the audit trail's home, the bootstrap secret). */
  alwaysHide?: string[];
  /** The environment commands start from (filtered); default process.env. */
  env?: NodeJS.ProcessEnv;
  onProxyDecision?: (d: ProxyDecision) => void;
}

export interface PreparedCommand {
  file: string;
  args: string[];
  env: Record<string, string>;
  /** Whether the command expects the lifeline pipe as its stdin (see LIFELINE_SCRIPT in bwrap.ts). */
  lifeline: boolean;
}

const TMP_PREFIX = 'aflock-sandbox-';

/**
 * Removes the private temporary directories of servers that died without shutting down (SIGKILL): each is named
 * after its server's pid, and only ours whose pid is gone are removed. Best effort (Deno may refuse the pid check).
 */
function sweepStaleTmpDirs(): void {
  let names: string[];
  try {
    names = readdirSync(tmpdir());
  } catch {
    return;
  }
  const uid = process.getuid?.();
  for (const name of names) {
    const m = name.match(/^aflock-sandbox-(\d+)-[A-Za-z0-9]{6}$/);
    if (!m || Number(m[1]) === process.pid) continue;
    try {
      process.kill(Number(m[1]), 0);
      continue; // its server is alive
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ESRCH') continue;
    }
    const p = join(tmpdir(), name);
    try {
      if (uid !== undefined && lstatSync(p).uid !== uid) continue;
      rmSync(p, { recursive: true, force: true });
    } catch {
      // someone else's, or already gone
    }
  }
}

/** The home directories commands do not see: every user's, ours included. */
function homeRoots(env: NodeJS.ProcessEnv): string[] {
  const out = new Set<string>();
  for (const d of ['/home', '/root']) if (existsSync(d)) out.add(d);
  if (env.HOME && env.HOME !== '/' && existsSync(env.HOME)) out.add(resolve(env.HOME));
  return [...out];
}

function under(p: string, dirs: readonly string[]): boolean {
  return dirs.some((d) => p === d || p.startsWith(`${d}/`));
}

/** A session's sandbox: one private temp directory, one proxy, and a scan of the project per command. */
export class Sandbox {
  readonly #opts: SandboxOptions;
  readonly #bwrap: string;
  readonly #tmpDir: string;
  readonly #proxy: RunningProxy | null;
  readonly #scanner: ProjectScanner;
  readonly #settings: SandboxSettings;
  #missingFiles: string[] = [];

  private constructor(opts: SandboxOptions, bwrap: string, tmpDir: string, proxy: RunningProxy | null) {
    this.#opts = opts;
    this.#bwrap = bwrap;
    this.#tmpDir = tmpDir;
    this.#proxy = proxy;
    this.#settings = opts.policy.policy.sandbox ?? {};
    const files = opts.policy.compiled.files;
    this.#scanner = new ProjectScanner(opts.policy.root, files?.deny ?? [], files?.readOnly ?? []);
  }

  /** Probes bubblewrap, makes the private temp directory and starts the proxy. Throws SandboxUnavailable. */
  static async create(opts: SandboxOptions): Promise<Sandbox> {
    const settings = opts.policy.policy.sandbox ?? {};
    const network = settings.network ?? 'proxy';
    if (opts.policy.root === '/') throw new SandboxUnavailable('the project root is /, so the whole file system would be writable');
    // The project is bound writable over the emptied home directories: a root that is a home directory (or holds
    // one) would give commands ~/.bashrc, ~/.gitconfig, ~/.claude/settings.json, which the host runs later.
    const home = homeRoots(opts.env ?? process.env).find((h) => under(h, [opts.policy.root]));
    if (home) throw new SandboxUnavailable(`the project root ${opts.policy.root} holds the home directory ${home}, whose files (~/.bashrc, ~/.gitconfig) commands would then write; start the server in a project directory`);
    const bwrap = await probeBubblewrap(network === 'proxy');
    sweepStaleTmpDirs();
    let tmpDir: string;
    try {
      tmpDir = mkdtempSync(join(tmpdir(), `${TMP_PREFIX}${process.pid}-`));
      chmodSync(tmpDir, 0o700);
    } catch (e) {
      throw new SandboxUnavailable(`cannot make a private temporary directory (${(e as Error).message})`);
    }
    const tmp = join(tmpDir, 'tmp');
    let proxy: RunningProxy | null = null;
    try {
      mkdirSync(tmp, { mode: 0o700 });
      if (network === 'proxy') {
        // Loaded here, not at module load: node:http cannot be loaded while the executable's startup snapshot is
        // built (src/snapshot), and a server whose policy has no network never needs it.
        const { startProxy } = await import('./proxy.ts');
        proxy = await startProxy(join(tmpDir, 'proxy.sock'), { rules: opts.policy.compiled.domains, onDecision: opts.onProxyDecision });
      }
    } catch (e) {
      rmSync(tmpDir, { recursive: true, force: true });
      if (isDeno() && isPermissionError(e)) {
        throw new SandboxUnavailable('under Deno the network proxy needs --allow-net (every host: the proxy itself enforces domains), or set sandbox.network to "none" in the policy');
      }
      throw new SandboxUnavailable(`cannot start the network proxy (${(e as Error).message})`);
    }
    const sandbox = new Sandbox(opts, bwrap, tmpDir, proxy);
    try {
      sandbox.#scanner.scan(); // the first, full scan happens now, in the background, not in the first command
    } catch (e) {
      await sandbox.close();
      if (e instanceof ScanError) throw new SandboxUnavailable(e.message);
      throw e;
    }
    return sandbox;
  }

  /**
   * The command line that runs `command` (with bash) in `cwd` inside the sandbox. Throws SandboxUnavailable.
   * With `lifeline` (the default) the caller must give it, as stdin, a pipe it holds and never writes.
   */
  prepare(command: string, cwd: string, opts: BwrapOptions = { lifeline: true }): PreparedCommand {
    const { policy } = this.#opts;
    let scan;
    try {
      scan = this.#scanner.scan();
    } catch (e) {
      if (e instanceof ScanError) throw new SandboxUnavailable(e.message);
      throw e;
    }
    this.#missingFiles = scan.missingReadOnlyFiles;
    const from = this.#opts.env ?? process.env;
    const hiddenDirs = homeRoots(from);
    const reexposed: string[] = [];
    for (const dir of (from.PATH ?? '').split(delimiter)) if (dir.startsWith('/') && under(dir, hiddenDirs)) reexposed.push(dir);
    if (from.HOME) for (const f of ['.gitconfig', '.config/git']) reexposed.push(join(from.HOME, f));
    const alwaysHidden: Covered[] = [];
    for (const p of this.#opts.alwaysHide ?? []) {
      try {
        alwaysHidden.push({ path: p, dir: statSync(p).isDirectory() });
      } catch {
        // not there: nothing to hide
      }
    }
    const proxyUrl = `http://127.0.0.1:${PROXY_PORT}`;
    const fixed: Record<string, string> = { TMPDIR: '/tmp' };
    if (this.#proxy) {
      for (const k of ['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'http_proxy', 'https_proxy', 'all_proxy']) fixed[k] = proxyUrl;
      fixed.NO_PROXY = fixed.no_proxy = '';
    }
    // Sub-policy files of sublayouts are policy too: read-only like the policy file.
    const alwaysReadOnly: Covered[] = [];
    for (const s of policy.sublayouts?.values() ?? []) {
      if (s.source !== 'inline' && s.source.startsWith('/') && existsSync(s.source)) alwaysReadOnly.push({ path: s.source, dir: false });
    }
    // In a linked worktree or a submodule checkout `.git` is a file naming the repository: rewritten, it would point
    // git at a repository (and a config, and hooks) of the command's choosing. It is never the agent's to change.
    const gitFile = join(policy.root, '.git');
    if (lstatSync(gitFile, { throwIfNoEntry: false })?.isFile()) alwaysReadOnly.push({ path: gitFile, dir: false });
    const spec: BwrapSpec = {
      root: policy.root,
      cwd,
      tmpDir: join(this.#tmpDir, 'tmp'),
      policyFile: policy.path,
      deny: scan.deny,
      readOnly: [...scan.readOnly, ...alwaysReadOnly],
      missingReadOnlyDirs: scan.missingReadOnlyDirs,
      hiddenDirs,
      reexposed,
      alwaysHidden,
      proxySocket: this.#proxy?.socketPath ?? null,
      env: sandboxEnv(from, this.#settings.env ?? [], fixed),
    };
    return { file: this.#bwrap, args: bwrapArgs(spec, command, opts), env: { PATH: process.env.PATH ?? DEFAULT_PATH }, lifeline: opts.lifeline };
  }

  /**
   * After a command: a read-only file that did not exist (`.mcp.json`) cannot be covered by a mount without creating
   * it, so it is checked instead; if the command created it, it is removed and the caller says so.
   */
  afterCommand(): string[] {
    const removed: string[] = [];
    for (const p of this.#missingFiles) {
      try {
        lstatSync(p);
      } catch {
        continue;
      }
      rmSync(p, { recursive: true, force: true });
      removed.push(p);
    }
    return removed;
  }

  async close(): Promise<void> {
    await this.#proxy?.close().catch(() => undefined);
    rmSync(this.#tmpDir, { recursive: true, force: true });
  }
}
