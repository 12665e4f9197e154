// Sub-agent scopes. A `sublayouts` entry names a sub-policy (a file, or inline `tools`/`limits`); a token issued for
// it must pass both the parent policy and the sub-policy on every call, so at run time its rights are always the
// intersection. At load we go further and refuse a sub-policy that *says* it grants more than the parent (a higher
// limit, a tool or path the parent does not allow): such a file is a mistake in the author's model of the policy,
// and silently intersecting it away would hide that mistake. Pure: load.ts reads the files.
import type { Limits, LimitName, Policy, Sublayout } from './schema.ts';
import { normalizeLimit } from './schema.ts';
import { compilePolicy, type CompiledPolicy } from './compile.ts';
import { compileGlob, compileToolPattern, GlobError } from './patterns.ts';
import { compilePathRule } from './paths.ts';
import { identityGlobMatches } from './identity.ts';

export interface NormalLimit {
  readonly value: number;
  readonly enforcement: 'fail-fast' | 'post-hoc';
}
export type NormalLimits = Partial<Record<LimitName, NormalLimit>>;

export interface SublayoutScope {
  readonly name: string;
  /** Where the sub-policy came from: a file path, or `inline`. */
  readonly source: string;
  /** SHA-256 of the sub-policy file (absent for inline sub-policies). */
  readonly digest?: string;
  /** The policy each call of a token for this sublayout must also pass; null when only limits narrow. */
  readonly compiled: CompiledPolicy | null;
  readonly policy: Policy | null;
  /** Effective limits: the parent's, narrowed by the sub-policy file's and the entry's own. */
  readonly limits: NormalLimits;
  /** For the token's claims: the sub-policy's tool lists. */
  readonly allowedTools?: string[];
  readonly deniedTools?: string[];
  /** Epoch ms after which the sub-policy is expired (its `expires`). */
  readonly expiresMs?: number;
}

/** The message names the JSON path of what is wrong. */
export class SublayoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SublayoutError';
  }
}

export function normalizeLimits(limits: Limits | undefined): NormalLimits {
  const out: NormalLimits = {};
  for (const [k, v] of Object.entries(limits ?? {})) if (v !== undefined) out[k as LimitName] = normalizeLimit(v);
  return out;
}

/**
 * Narrows `parent` by `child`: a limit the child sets must be no higher than the parent's, and not post-hoc where
 * the parent's is fail-fast; a limit the child omits is inherited. Returns the merged limits or why the child widens.
 */
export function narrowLimits(parent: NormalLimits, child: NormalLimits, at: string): { ok: true; limits: NormalLimits } | { ok: false; reason: string } {
  const merged: NormalLimits = { ...parent };
  for (const [name, c] of Object.entries(child) as [LimitName, NormalLimit][]) {
    const p = parent[name];
    if (p) {
      if (c.value > p.value) return { ok: false, reason: `${at}.${name}: ${c.value} is looser than the parent's ${p.value}` };
      if (p.enforcement === 'fail-fast' && c.enforcement === 'post-hoc') {
        return { ok: false, reason: `${at}.${name}: post-hoc enforcement is looser than the parent's fail-fast` };
      }
    }
    merged[name] = c;
  }
  return { ok: true, limits: merged };
}

/** Per limit, the tighter of the two: the lower value, and fail-fast if either is. Never looser than either side. */
export function tightestLimits(a: NormalLimits, b: NormalLimits): NormalLimits {
  const out: NormalLimits = { ...a };
  for (const [name, l] of Object.entries(b) as [LimitName, NormalLimit][]) {
    const o = out[name];
    out[name] = o ? { value: Math.min(o.value, l.value), enforcement: o.enforcement === 'fail-fast' || l.enforcement === 'fail-fast' ? 'fail-fast' : 'post-hoc' } : l;
  }
  return out;
}

const METACHARS = /[?[\]{}\\]/;

/**
 * Whether every string the glob `inner` matches is also matched by `outer` (text dialect), decided conservatively:
 * equal sources, or both made of literals and `*` only and `outer` matches `inner`'s text (each `*` of `inner` is then
 * absorbed by a `*` of `outer`, so whatever it stands for stays inside `outer`).
 */
export function textGlobCovers(outer: string, inner: string): boolean {
  if (outer === inner) return true;
  if (METACHARS.test(outer) || METACHARS.test(inner)) return false;
  try {
    return compileGlob(outer, 'text').matches(inner);
  } catch {
    return false;
  }
}

function toolPatternCovers(outer: string, inner: string): boolean {
  if (outer === inner) return true;
  const split = (s: string) => {
    const i = s.indexOf(':');
    return i < 0 ? { tool: s, subject: null } : { tool: s.slice(0, i), subject: s.slice(i + 1) };
  };
  const o = split(outer);
  const i = split(inner);
  if (!textGlobCovers(o.tool, i.tool)) return false;
  if (o.subject === null) return true;
  return i.subject !== null && textGlobCovers(o.subject, i.subject);
}

/** Path rules: same kind and (`**` prefix or a `*`-only glob absorbing the other), never a `*` standing for `**`. */
function pathPatternCovers(outer: string, inner: string): boolean {
  if (outer === inner || outer === '**') return true;
  const o = compilePathRule(outer);
  const i = compilePathRule(inner);
  if (o.kind !== i.kind || METACHARS.test(outer) || METACHARS.test(inner)) return false;
  if (outer.endsWith('**') && !outer.slice(0, -2).includes('*')) return inner.startsWith(outer.slice(0, -2));
  if (inner.includes('**')) return false;
  return o.glob.matches(inner);
}

function uncovered(parent: string[] | undefined, child: string[] | undefined, covers: (o: string, i: string) => boolean): string | undefined {
  if (!parent || parent.length === 0) return undefined; // the parent allows everything its deny lists leave
  return (child ?? []).find((c) => !parent.some((p) => covers(p, c)));
}

/** Why `sub` would grant something `parent` does not (checked section by section), or null. */
export function wideningReason(parent: Policy, sub: Policy, at: string): string | null {
  const checks: [string, string[] | undefined, string[] | undefined, (o: string, i: string) => boolean, string][] = [
    ['tools.allow', parent.tools?.allow, sub.tools?.allow, toolPatternCovers, "the parent's tools.allow"],
    ['files.allow', parent.files?.allow, sub.files?.allow, pathPatternCovers, "the parent's files.allow"],
    ['domains.allow', parent.domains?.allow?.map((d) => d.toLowerCase()), sub.domains?.allow?.map((d) => d.toLowerCase()), textGlobCovers, "the parent's domains.allow"],
    // An identity glob (`*`, `prefix*`, literal) covers another exactly when it matches that one's text.
    ['identity.allowedModels', parent.identity?.allowedModels, sub.identity?.allowedModels, identityGlobMatches, "the parent's identity.allowedModels"],
    ['identity.allowedEnvironments', parent.identity?.allowedEnvironments, sub.identity?.allowedEnvironments, identityGlobMatches, "the parent's identity.allowedEnvironments"],
  ];
  for (const [field, p, c, covers, what] of checks) {
    const bad = uncovered(p, c, covers);
    if (bad !== undefined) return `${at}.${field}: '${bad}' is not covered by ${what} [${p!.join(', ')}], so the sub-policy would widen it`;
  }
  if (sub.sublayouts && sub.sublayouts.length > 0) return `${at}.sublayouts: nested sublayouts are not supported; list every sublayout in the top-level policy`;
  return null;
}

/**
 * Builds the scope of one sublayout entry. `file` is the loaded sub-policy when the entry names one. Throws
 * SublayoutError when the entry would widen the parent, names a digest the file does not have, or is contradictory.
 */
export function buildSublayout(
  parent: Policy,
  entry: Sublayout,
  index: number,
  file: { policy: Policy; compiled: CompiledPolicy; digest: string; path: string } | null,
): SublayoutScope {
  const at = `sublayouts[${index}]`;
  if (file && entry.tools) throw new SublayoutError(`${at}.tools: give either a sub-policy file (policy) or inline tools, not both`);
  if (file && entry.policyDigest) {
    const want = entry.policyDigest.sha256;
    if (!want) throw new SublayoutError(`${at}.policyDigest: only a sha256 digest can be checked`);
    if (want.toLowerCase() !== file.digest) {
      throw new SublayoutError(`${at}.policyDigest.sha256: ${file.path} has SHA-256 ${file.digest}, not ${want}`);
    }
  }
  let policy: Policy | null = null;
  let compiled: CompiledPolicy | null = null;
  if (file) {
    policy = file.policy;
    compiled = file.compiled;
  } else if (entry.tools) {
    policy = { tools: entry.tools };
    try {
      compiled = compilePolicy(policy);
    } catch (e) {
      throw new SublayoutError(`${at}.${(e as Error).message}`);
    }
  }
  if (policy) {
    const why = wideningReason(parent, policy, file ? `${at} (${file.path})` : at);
    if (why) throw new SublayoutError(why);
  }
  const parentLimits = normalizeLimits(parent.limits);
  let limits = parentLimits;
  for (const [where, own] of [[`${at}.limits`, entry.limits], [`${at} (${file?.path}) limits`, file?.policy.limits]] as const) {
    if (!own) continue;
    const r = narrowLimits(limits, normalizeLimits(own), where);
    if (!r.ok) throw new SublayoutError(r.reason);
    limits = r.limits;
  }
  const expires = policy?.expires ? Date.parse(policy.expires) : undefined;
  return {
    name: entry.name,
    source: file ? file.path : 'inline',
    ...(file ? { digest: file.digest } : {}),
    compiled,
    policy,
    limits,
    ...(policy?.tools?.allow && policy.tools.allow.length > 0 ? { allowedTools: policy.tools.allow } : {}),
    ...(policy?.tools?.deny && policy.tools.deny.length > 0 ? { deniedTools: policy.tools.deny } : {}),
    ...(expires !== undefined ? { expiresMs: expires } : {}),
  };
}

/** Compiles a tool pattern list only to validate it (a bad glob in scope.tools is refused up front). */
export function validToolPatterns(list: string[]): string | null {
  for (const p of list) {
    try {
      compileToolPattern(p);
    } catch (e) {
      if (e instanceof GlobError) return e.message;
      throw e;
    }
  }
  return null;
}
