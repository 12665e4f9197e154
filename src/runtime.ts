// What the process runs on (Node, our single executable, Deno) and what it may do there. Two concerns:
//  1. Nothing may run inside the enforcer before or beside our code: NODE_OPTIONS can preload code or open a
//     debugger (Node and Deno both honour it), and SIGUSR1 opens Node's inspector on 127.0.0.1:9229.
//  2. Under Deno every file, env, child process and /proc access needs a permission flag; a missing one must
//     degrade a feature with one clear stderr line, never crash the server.
import { log } from './log.ts';

interface DenoPermissionDescriptor {
  name: 'env' | 'run' | 'read' | 'write' | 'sys' | 'net' | 'ffi';
  command?: string;
  path?: string;
  variable?: string;
  kind?: string;
  host?: string;
}

interface DenoGlobal {
  version: { deno: string };
  permissions: { querySync(d: DenoPermissionDescriptor): { state: 'granted' | 'prompt' | 'denied' } };
  errors: { NotCapable?: new (...a: unknown[]) => Error; PermissionDenied?: new (...a: unknown[]) => Error };
}

function deno(): DenoGlobal | undefined {
  const d = (globalThis as { Deno?: DenoGlobal }).Deno;
  return d && typeof d.version?.deno === 'string' ? d : undefined;
}

export function isDeno(): boolean {
  return deno() !== undefined;
}

/** Name of the asset that build.mjs puts into the single executable once it has made the executable ignore NODE_OPTIONS. */
export const SEA_HARDENING_ASSET = 'aflock-hardening.json';

export interface SeaInfo {
  /** Running as a Node single-executable application. */
  sea: boolean;
  /** The executable was built by our build.mjs, which makes it ignore NODE_OPTIONS (verified at build time). */
  ignoresNodeOptions: boolean;
}

export function seaInfo(): SeaInfo {
  if (isDeno()) return { sea: false, ignoresNodeOptions: false };
  try {
    const sea = process.getBuiltinModule?.('node:sea') as typeof import('node:sea') | undefined;
    if (!sea?.isSea()) return { sea: false, ignoresNodeOptions: false };
    let ignoresNodeOptions = false;
    try {
      const marker = JSON.parse(sea.getAsset(SEA_HARDENING_ASSET, 'utf8')) as { nodeOptions?: string };
      ignoresNodeOptions = marker.nodeOptions === 'ignored';
    } catch {
      // built by something else (e.g. pkg --sea): NODE_OPTIONS was honoured
    }
    return { sea: true, ignoresNodeOptions };
  } catch {
    return { sea: false, ignoresNodeOptions: false };
  }
}

/** True for Deno's "Requires X access" errors (NotCapable since Deno 2, PermissionDenied before). */
export function isPermissionError(e: unknown): boolean {
  const d = deno();
  if (!d || !(e instanceof Error)) return false;
  if (d.errors.NotCapable && e instanceof d.errors.NotCapable) return true;
  if (d.errors.PermissionDenied && e instanceof d.errors.PermissionDenied) return true;
  return /^Requires \w+ access/.test(e.message);
}

/** An environment variable, or undefined when it is unset or Deno gives no env access (said once on stderr). */
export function envVar(name: string): string | undefined {
  try {
    return process.env[name];
  } catch (e) {
    if (!isPermissionError(e)) throw e;
    return undefined;
  }
}

// ---- NODE_OPTIONS -------------------------------------------------------------------------------------------------

/**
 * Options that change nothing about what code runs, which ports open or which files get written. Anything else
 * (--require, --import, --loader, --inspect, --openssl-config, --heapsnapshot-signal, --env-file, ...) can put
 * foreign code in the enforcer or copy its keys out of memory, so the server refuses to start with it.
 */
const HARMLESS_NODE_OPTIONS = new Set([
  '--max-old-space-size',
  '--max-semi-space-size',
  '--stack-trace-limit',
  '--no-warnings',
  '--no-deprecation',
  '--disable-warning',
  '--trace-warnings',
  '--trace-deprecation',
  '--throw-deprecation',
  '--pending-deprecation',
  '--trace-uncaught',
  '--trace-exit',
  '--unhandled-rejections',
  '--enable-source-maps',
  '--dns-result-order',
  '--use-openssl-ca',
  '--use-bundled-ca',
  '--tls-min-v1.0',
  '--tls-min-v1.1',
  '--tls-min-v1.2',
  '--tls-min-v1.3',
  '--tls-max-v1.2',
  '--tls-max-v1.3',
  '--max-http-header-size',
  '--zero-fill-buffers',
  '--disable-proto',
  '--frozen-intrinsics',
  '--title',
]);

/** Splits NODE_OPTIONS the way Node does: on spaces, with double quotes and backslash escapes inside them. */
export function splitNodeOptions(value: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inQuote = false;
  let has = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (inQuote && c === '\\' && i + 1 < value.length) {
      cur += value[++i];
    } else if (c === '"') {
      inQuote = !inQuote;
      has = true;
    } else if (c === ' ' && !inQuote) {
      if (has || cur) out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += c;
      has = true;
    }
  }
  if (has || cur) out.push(cur);
  return out;
}

/** The flags in NODE_OPTIONS (or execArgv) that are not known to be harmless. Values of flags are skipped. */
export function unsafeNodeFlags(tokens: readonly string[]): string[] {
  const bad: string[] = [];
  for (const t of tokens) {
    if (!t.startsWith('-')) continue; // the value of the flag before it
    const name = t.split('=')[0].replace(/_/g, '-');
    if (!HARMLESS_NODE_OPTIONS.has(name)) bad.push(name);
  }
  return bad;
}

export type StartupVerdict = { ok: true; notes: string[] } | { ok: false; message: string };

/**
 * Decides whether this process may act as the enforcer. The single executable built by build.mjs never reads
 * NODE_OPTIONS (its copy of Node looks the variable up under an empty name, which no environment holds), so there it
 * is only noted. Under `node` and `deno`, NODE_OPTIONS was applied before our first line ran: we cannot undo it, so
 * we refuse to serve rather than enforce a policy from a process that may have been tampered with.
 */
export function startupVerdict(opts: { env: (name: string) => string | undefined; execArgv: readonly string[]; sea: SeaInfo; deno: boolean }): StartupVerdict {
  const value = opts.env('NODE_OPTIONS');
  const notes: string[] = [];
  if (opts.sea.ignoresNodeOptions) {
    if (value) notes.push('NODE_OPTIONS is set; this executable ignores it');
    return { ok: true, notes };
  }
  const fromEnv = value ? unsafeNodeFlags(splitNodeOptions(value)) : [];
  const fromArgv = opts.deno ? [] : unsafeNodeFlags(opts.execArgv);
  const bad = [...new Set([...fromEnv, ...fromArgv])];
  if (bad.length === 0) return { ok: true, notes };
  const where = fromEnv.length > 0 ? 'NODE_OPTIONS' : `the ${opts.deno ? 'deno' : 'node'} command line`;
  const runtime = opts.deno ? 'Deno' : 'Node';
  return {
    ok: false,
    message: `refusing to start: ${where} holds ${bad.join(', ')}, which ${runtime} applied before aflock-mcp's first line (code could be running inside the policy enforcer); unset it (env -u NODE_OPTIONS ...) or use the single executable, which ignores NODE_OPTIONS`,
  };
}

let inspectorGuarded = false;

/**
 * Node opens its inspector (a debugger port any local user can reach) when the process gets SIGUSR1, single
 * executable included. A listener of our own replaces that handler. Deno has no such signal, so nothing is done there.
 */
export function disableInspectorSignal(): void {
  if (inspectorGuarded || isDeno() || process.platform === 'win32') return;
  inspectorGuarded = true;
  process.on('SIGUSR1', () => log('SIGUSR1 ignored: the Node inspector stays closed in aflock-mcp'));
}

/** Runs before the CLI: returns the exit code to stop with (2), or null to go on. */
export function guardProcess(): number | null {
  const d = isDeno();
  const verdict = startupVerdict({ env: envVar, execArgv: process.execArgv, sea: seaInfo(), deno: d });
  if (!verdict.ok) {
    process.stderr.write(`aflock-mcp: ${verdict.message}\n`);
    return 2;
  }
  for (const n of verdict.notes) log(n);
  disableInspectorSignal();
  return null;
}

// ---- Deno permissions ---------------------------------------------------------------------------------------------

function granted(d: DenoGlobal, desc: DenoPermissionDescriptor): boolean {
  try {
    return d.permissions.querySync(desc).state === 'granted';
  } catch {
    return false;
  }
}

/** Under Deno, whether `path` may be read; always true elsewhere. */
export function denoCanRead(path: string): boolean {
  const d = deno();
  return !d || granted(d, { name: 'read', path });
}

/** Under Deno, whether we may listen on 127.0.0.1 (Deno throws an uncaught error from listen() otherwise). */
export function denoCanListenLocally(): boolean {
  const d = deno();
  return !d || granted(d, { name: 'net', host: '127.0.0.1' });
}

/**
 * Under Deno: one stderr line naming each missing permission and the feature it costs, or null when nothing is
 * missing (or not on Deno). `root` is the project root. (A trail that cannot be written says so itself.)
 */
export function denoPermissionSummary(opts: { root: string }): string | null {
  const d = deno();
  if (!d) return null;
  const missing: string[] = [];
  if (!granted(d, { name: 'env' })) missing.push('--allow-env (AFLOCK_HOME, AFLOCK_REQUIRE_TOKEN and the model variables are ignored; bash cannot start)');
  if (!granted(d, { name: 'run', command: 'bash' })) missing.push('--allow-run=bash (the bash tool refuses)');
  if (!granted(d, { name: 'read', path: opts.root })) missing.push(`--allow-read (read_file and policy discovery in ${opts.root} fail)`);
  if (!granted(d, { name: 'write', path: opts.root })) missing.push(`--allow-write=${opts.root} (write_file fails)`);
  if (!granted(d, { name: 'sys', kind: 'hostname' }) || !granted(d, { name: 'sys', kind: 'uid' })) missing.push('--allow-sys=hostname,uid (no hostname or uid in the identity)');
  const all = (['read', 'write', 'net', 'env', 'sys', 'run', 'ffi'] as const).every((name) => granted(d, { name } as DenoPermissionDescriptor));
  if (!all) missing.push('-A (the parent process is described by its pid only: Deno opens /proc only with --allow-all)');
  if (missing.length === 0) return null;
  return `Deno permissions missing, degraded: ${missing.join('; ')}`;
}
