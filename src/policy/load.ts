// Finding, reading, validating and compiling the policy: the only I/O of src/policy.
// A policy that is found but cannot be used stops the server (the reference silently ran unrestricted).
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { policySchema, type Policy } from './schema.ts';
import { compilePolicy, PolicyCompileError, type CompiledPolicy } from './compile.ts';
import { DEFAULT_POLICY_TEXT } from './defaults.ts';
import { buildSublayout, SublayoutError, type SublayoutScope } from './sublayouts.ts';
import { sha256Hex } from '../audit/json.ts';
import { isPermissionError } from '../runtime.ts';

export const POLICY_FILE_NAMES = ['.aflock', 'policy.aflock', '.aflock.json'] as const;

export interface LoadedPolicy {
  readonly compiled: CompiledPolicy;
  readonly policy: Policy;
  /** Lowercase hex SHA-256 of the raw file bytes. */
  readonly digest: string;
  /** Absolute path of the file, or null for the embedded default. */
  readonly path: string | null;
  /** Project root: the policy's directory (or the working directory for the default), symlinks resolved. */
  readonly root: string;
  readonly name: string;
  /** Sub-agent scopes by name, loaded and checked never to widen the policy (absent: none). */
  readonly sublayouts?: ReadonlyMap<string, SublayoutScope>;
}

export class PolicyLoadError extends Error {
  constructor(readonly file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'PolicyLoadError';
  }
}

/** `arg` is a file or a directory; without it the working directory is searched. Returns null when none is found. */
export function findPolicyFile(arg: string | undefined, cwd: string): string | null {
  if (arg !== undefined) {
    const p = resolve(cwd, arg);
    let st;
    try {
      st = statSync(p);
    } catch (e) {
      // Deno without --allow-read answers "Requires read access", not ENOENT: say which it is.
      if (isPermissionError(e)) throw new PolicyLoadError(p, 'cannot be read without read permission (under Deno: --allow-read)');
      throw new PolicyLoadError(p, 'no such file or directory');
    }
    if (!st.isDirectory()) return p;
    const found = searchDir(p);
    if (!found) throw new PolicyLoadError(p, `no ${POLICY_FILE_NAMES.join(', ')} in this directory`);
    return found;
  }
  return searchDir(cwd);
}

function searchDir(dir: string): string | null {
  for (const name of POLICY_FILE_NAMES) {
    const p = resolve(dir, name);
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      // not there: try the next name
    }
  }
  return null;
}

function jsonPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const k of path) out += typeof k === 'number' ? `[${k}]` : out === '' ? String(k) : `.${String(k)}`;
  return out || '(top level)';
}

function lineCol(text: string, message: string): string {
  const m = message.match(/position (\d+)/);
  if (!m) return message;
  const pos = Number(m[1]);
  const before = text.slice(0, pos).split('\n');
  return `${message.replace(/\s*\(line \d+ column \d+\)/, '')} (line ${before.length}, column ${before[before.length - 1].length + 1})`;
}

/** Parses, validates and compiles policy text. `now` decides expiry. Throws PolicyLoadError. */
export function parsePolicy(text: string, file: string, now = new Date()): { policy: Policy; compiled: CompiledPolicy } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new PolicyLoadError(file, `not valid JSON: ${lineCol(text, (e as Error).message)}`);
  }
  const parsed = policySchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const more = parsed.error.issues.length > 1 ? ` (and ${parsed.error.issues.length - 1} more)` : '';
    let what = issue.message;
    if (issue.code === 'unrecognized_keys') what = `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
    throw new PolicyLoadError(file, `${jsonPath(issue.path)}: ${what}${more}`);
  }
  const policy = parsed.data;
  if (policy.expires && Date.parse(policy.expires) <= now.getTime()) {
    throw new PolicyLoadError(file, `expires: the policy expired at ${policy.expires}; renew it to start`);
  }
  try {
    return { policy, compiled: compilePolicy(policy) };
  } catch (e) {
    if (e instanceof PolicyCompileError) throw new PolicyLoadError(file, e.message);
    throw e;
  }
}

function realDir(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    return dir;
  }
}

export function loadPolicyFile(path: string, rootOverride?: string): LoadedPolicy {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new PolicyLoadError(path, `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const { policy, compiled } = parsePolicy(bytes.toString('utf8'), path);
  return {
    compiled,
    policy,
    digest: sha256Hex(bytes),
    path,
    root: realDir(rootOverride ?? dirname(path)),
    name: policy.name ?? '',
    sublayouts: loadSublayouts(policy, path),
  };
}

/**
 * Loads every `sublayouts` entry with the same loader as the policy (a `policy` path is relative to the parent
 * policy's directory) and refuses, naming the entry, one that would widen the parent.
 */
export function loadSublayouts(policy: Policy, path: string): ReadonlyMap<string, SublayoutScope> {
  const out = new Map<string, SublayoutScope>();
  for (const [i, entry] of (policy.sublayouts ?? []).entries()) {
    if (out.has(entry.name)) throw new PolicyLoadError(path, `sublayouts[${i}].name: '${entry.name}' is already used by another sublayout`);
    let file: Parameters<typeof buildSublayout>[3] = null;
    if (entry.policy) {
      const subPath = resolve(dirname(path), entry.policy);
      if (subPath === path) throw new PolicyLoadError(path, `sublayouts[${i}].policy: a policy cannot be its own sublayout`);
      let bytes: Buffer;
      try {
        bytes = readFileSync(subPath);
      } catch (e) {
        throw new PolicyLoadError(path, `sublayouts[${i}].policy: cannot read ${subPath}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      try {
        file = { ...parsePolicy(bytes.toString('utf8'), subPath), digest: sha256Hex(bytes), path: subPath };
      } catch (e) {
        if (e instanceof PolicyLoadError) throw new PolicyLoadError(path, `sublayouts[${i}] ('${entry.name}'): ${e.message}`);
        throw e;
      }
    }
    try {
      out.set(entry.name, buildSublayout(policy, entry, i, file));
    } catch (e) {
      if (e instanceof SublayoutError) throw new PolicyLoadError(path, `sublayout '${entry.name}' would widen the policy or is invalid: ${e.message}`);
      throw e;
    }
  }
  return out;
}

export function loadDefaultPolicy(cwd: string, rootOverride?: string): LoadedPolicy {
  const { policy, compiled } = parsePolicy(DEFAULT_POLICY_TEXT, '(embedded default policy)');
  return { compiled, policy, digest: sha256Hex(DEFAULT_POLICY_TEXT), path: null, root: realDir(rootOverride ?? cwd), name: policy.name ?? 'default', sublayouts: new Map() };
}

/** The policy the server runs under: by flag, by discovery, or the embedded default. */
export function resolvePolicy(opts: { policyArg?: string; cwd: string; root?: string }): LoadedPolicy {
  const file = findPolicyFile(opts.policyArg, opts.cwd);
  return file ? loadPolicyFile(file, opts.root) : loadDefaultPolicy(opts.cwd, opts.root);
}
