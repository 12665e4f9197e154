// Hard links: one file, several names. `link .env pub.txt` gives the denied file a name no rule matches, and the
// name-based rules alone would then read it. A regular file with one link has one name, the one that was judged; a
// file with more is refused when one of its other names is a protected file (denied; for writes also read-only).
//
// The kernel cannot list the names of an inode, so the protected files are found by walking: the project root and
// the directories absolute rules name, not following symbolic links, bounded in entries. Only names some rule matches
// are stat()ed. The walk runs only for a file with nlink > 1 (pnpm's node_modules are hard links into its store, and
// stay readable), and its result is reused for a second, so that reading many such files costs one walk.
// What it cannot see: a protected name elsewhere on the disk that no absolute rule points at (a `**/.env` of another
// project hard-linked in); the kernel sandbox keeps the agent from making such links. A walk too large to finish
// fails closed: the file is refused with the reason.
import { lstatSync, readdirSync, type Stats } from 'node:fs';
import { pathRuleMatches, viewPath, type PathRule, type PathView } from '../policy/paths.ts';

/** Entries looked at in one walk before giving up (and refusing the hard-linked file). */
export const MAX_WALK_ENTRIES = 200_000;
/** How long one walk's answer is reused. */
const CACHE_MS = 1000;

export interface ProtectedSet {
  /** `dev:ino` -> the protected name and the rule that protects it. */
  readonly inodes: ReadonlyMap<string, { path: string; rule: string }>;
  /** Set when the walk could not finish: nothing can be said about hard-linked files. */
  readonly incomplete?: string;
}

const GLOB_META = /[*?[{]/;

/** The directory (or file) an absolute rule's matches all lie under: its segments before the first glob. */
function literalPrefix(source: string): string {
  const out: string[] = [];
  for (const seg of source.split('/')) {
    if (GLOB_META.test(seg)) break;
    out.push(seg);
  }
  return out.join('/') || '/';
}

const key = (st: { dev: number; ino: number }) => `${st.dev}:${st.ino}`;

/** Walks `root` (and the trees absolute rules name) for regular files that `rules` match. */
export function findProtected(rules: readonly PathRule[], root: string, limit = MAX_WALK_ENTRIES): ProtectedSet {
  const inodes = new Map<string, { path: string; rule: string }>();
  if (rules.length === 0) return { inodes };
  let seen = 0;
  const prefix = root === '/' ? '/' : `${root}/`;
  const consider = (abs: string, base: string) => {
    // viewPath, without its path.relative (most of a walk's time): `abs` is built from clean segments.
    const view: PathView = abs.startsWith(prefix) ? { abs, rel: abs.slice(prefix.length), base } : viewPath(abs, root);
    const rule = rules.find((r) => pathRuleMatches(r, view, 'deny'));
    if (!rule) return;
    try {
      const st = lstatSync(abs);
      if (st.isFile() && !inodes.has(key(st))) inodes.set(key(st), { path: abs, rule: rule.source });
    } catch {
      // gone since readdir: nothing to protect
    }
  };
  const walk = (start: string): string | undefined => {
    const stack = [start];
    while (stack.length > 0) {
      const dir = stack.pop()!;
      let entries;
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') continue;
        // A directory we cannot list may hold a protected name we cannot see.
        return `cannot list ${dir} (${code ?? 'error'})`;
      }
      for (const d of entries) {
        if (++seen > limit) return `more than ${limit} entries to look through`;
        const abs = dir === '/' ? `/${d.name}` : `${dir}/${d.name}`;
        if (d.isDirectory()) stack.push(abs);
        else if (d.isFile()) consider(abs, d.name);
      }
    }
    return undefined;
  };
  const starts = new Set<string>([root]);
  for (const r of rules) {
    if (r.kind !== 'absolute') continue;
    const prefix = literalPrefix(r.source);
    if (prefix === '/' || prefix === root || prefix.startsWith(`${root}/`)) continue; // under the root: walked anyway
    starts.add(prefix);
  }
  for (const start of starts) {
    let st: Stats;
    try {
      st = lstatSync(start);
    } catch {
      continue;
    }
    if (st.isFile()) consider(start, start.slice(start.lastIndexOf('/') + 1));
    else if (st.isDirectory()) {
      const why = walk(start);
      if (why) return { inodes, incomplete: why };
    }
  }
  return { inodes };
}

const cache = new Map<string, { at: number; set: ProtectedSet }>();

/** findProtected, its answer reused for CACHE_MS per (root, rules). */
export function protectedFiles(rules: readonly PathRule[], root: string): ProtectedSet {
  const k = `${root}\0${rules.map((r) => r.source).join('\0')}`;
  const hit = cache.get(k);
  const now = Date.now();
  if (hit && now - hit.at < CACHE_MS) return hit.set;
  const set = findProtected(rules, root);
  if (cache.size > 16) cache.clear();
  cache.set(k, { at: now, set });
  return set;
}

/** Forgets cached walks (tests, benchmarks). */
export function clearProtectedCache(): void {
  cache.clear();
}

/**
 * Why a regular file with these stats may not be used, given the protected names (`what` names the file, `kind`
 * says what protects: "denied" or "read-only"): null for a file with one link, or none protected.
 */
export function hardLinkRefusal(st: Stats, what: string, rules: readonly PathRule[], root: string): string | null {
  if (!st.isFile() || st.nlink <= 1) return null;
  const set = protectedFiles(rules, root);
  const hit = set.inodes.get(key(st));
  if (hit) return `${what} is another name (a hard link) of '${hit.path}', which matches '${hit.rule}'`;
  if (set.incomplete) return `${what} has ${st.nlink} hard links and they cannot all be checked against the policy (${set.incomplete})`;
  return null;
}
