// Finds the files and directories of the project tree that `files.deny` and `files.readOnly` name, so that the
// sandbox can cover each one with a mount. Patterns are globs (`**/.env`), so the tree is walked; the walk is
// bounded (a tree larger than the bound makes the sandbox unavailable rather than partly built) and incremental:
// a directory whose modification time has not changed since the last scan is not listed again (a name appearing
// or disappearing always changes its directory's mtime), so a scan per command costs one stat per directory.
// Symbolic links are not followed while walking; one whose own name matches is covered at the place it points to.
import { lstatSync, readdirSync, realpathSync, statSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { compilePathRule, pathRuleMatches, viewPath, type PathRule, type PathView } from '../policy/paths.ts';
import { compileGlob, type Glob } from '../policy/patterns.ts';

export interface Covered {
  /** Absolute path to mount over (symbolic links resolved). */
  path: string;
  dir: boolean;
}

export interface ScanResult {
  deny: Covered[];
  readOnly: Covered[];
  /** Literal read-only directories (`.claude/**`) that do not exist: covered by an empty read-only directory. */
  missingReadOnlyDirs: string[];
  /** Literal read-only files (`.mcp.json`) that do not exist: checked after each command. */
  missingReadOnlyFiles: string[];
  entries: number;
}

export class ScanError extends Error {}

interface DirCache {
  mtimeNs: bigint;
  children: { name: string; kind: 'dir' | 'file' | 'link' | 'other'; denied: boolean; readOnly: boolean }[];
}

/**
 * A rule plus, for `dir/**`, the rule for `dir` itself (a protected tree includes its top directory), and cheap
 * necessary conditions checked first: the policy's glob matcher costs tens of microseconds per path, and nearly
 * every path of a tree fails on its file name or on a literal directory name alone.
 */
interface TreeRule {
  rule: PathRule;
  top: PathRule | null;
  /** The last segment of the pattern (when it is not `**`): the file name must match it. */
  base: Glob | null;
  /** Literal segments of the pattern: each must be a segment of the path. */
  literals: string[];
}

const GLOB_CHARS = /[*?[\]{}\\]/;

function prefilters(source: string): { base: Glob | null; literals: string[] } {
  const segs = source.split('/').filter((s) => s !== '' && s !== '.');
  const last = segs[segs.length - 1] ?? '';
  let base: Glob | null = null;
  if (last !== '' && !last.includes('**')) {
    try {
      base = compileGlob(last, 'path');
    } catch {
      base = null; // the full rule compiled; a part that does not is simply not used as a filter
    }
  }
  return { base, literals: segs.slice(0, -1).filter((s) => !GLOB_CHARS.test(s) && s !== '..') };
}

function treeRules(rules: readonly PathRule[]): { main: TreeRule; top: TreeRule | null }[] {
  const make = (rule: PathRule): TreeRule => ({ rule, top: null, ...prefilters(rule.source) });
  return rules.map((rule) => ({ main: make(rule), top: rule.source.endsWith('/**') && rule.source.length > 3 ? make(compilePathRule(rule.source.slice(0, -3))) : null }));
}

function oneMatches(r: TreeRule, view: PathView, segments: ReadonlySet<string>): boolean {
  if (r.base && !r.base.matches(view.base)) return false;
  for (const l of r.literals) if (!segments.has(l)) return false;
  return pathRuleMatches(r.rule, view, 'deny');
}

function matchesTree(rules: readonly { main: TreeRule; top: TreeRule | null }[], view: PathView): boolean {
  const segments = new Set(view.abs.split('/'));
  return rules.some((r) => oneMatches(r.main, view, segments) || (r.top !== null && oneMatches(r.top, view, segments)));
}

/** The literal path a relative pattern names when it has no glob character before its `/**` tail (`.claude/**` -> `.claude`). */
function literalOf(rule: PathRule): { rel: string; tree: boolean } | null {
  if (rule.kind !== 'relative' && rule.kind !== 'bare') return null;
  const tree = rule.source.endsWith('/**');
  const body = tree ? rule.source.slice(0, -3) : rule.source;
  if (/[*?[\]{}\\]/.test(body) || body.startsWith('../') || body.includes('/../') || body === '..') return null;
  if (rule.kind === 'bare' && tree) return null;
  return { rel: body.replace(/^\.\//, ''), tree };
}

function kindOf(d: Dirent): 'dir' | 'file' | 'link' | 'other' {
  if (d.isDirectory()) return 'dir';
  if (d.isSymbolicLink()) return 'link';
  if (d.isFile()) return 'file';
  return 'other';
}

export class ProjectScanner {
  readonly #root: string;
  readonly #deny: ReturnType<typeof treeRules>;
  readonly #readOnly: ReturnType<typeof treeRules>;
  readonly #limit: number;
  readonly #cache = new Map<string, DirCache>();
  readonly #literalReadOnly: { rel: string; tree: boolean }[];

  constructor(root: string, deny: readonly PathRule[], readOnly: readonly PathRule[], limit = 200_000) {
    this.#root = root;
    this.#deny = treeRules(deny);
    this.#readOnly = treeRules(readOnly);
    this.#limit = limit;
    this.#literalReadOnly = readOnly.map(literalOf).filter((l): l is { rel: string; tree: boolean } => l !== null);
  }

  #list(dir: string): DirCache['children'] {
    const st = statSync(dir, { bigint: true });
    const hit = this.#cache.get(dir);
    if (hit && hit.mtimeNs === st.mtimeNs) return hit.children;
    // Each name is classified once, when its directory is listed; the rules never change for a scanner.
    const children = readdirSync(dir, { withFileTypes: true }).map((d) => {
      const view = viewPath(join(dir, d.name), this.#root);
      const denied = matchesTree(this.#deny, view);
      return { name: d.name, kind: kindOf(d), denied, readOnly: !denied && matchesTree(this.#readOnly, view) };
    });
    this.#cache.set(dir, { mtimeNs: st.mtimeNs, children });
    return children;
  }

  /** Walks the tree; throws ScanError when it is larger than the bound or cannot be listed. */
  scan(): ScanResult {
    const out: ScanResult = { deny: [], readOnly: [], missingReadOnlyDirs: [], missingReadOnlyFiles: [], entries: 0 };
    const seen = new Set<string>();
    const stack: { dir: string; underReadOnly: boolean }[] = [{ dir: this.#root, underReadOnly: false }];
    while (stack.length > 0) {
      const { dir, underReadOnly } = stack.pop()!;
      let children: DirCache['children'];
      try {
        children = this.#list(dir);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') continue; // removed while we walked
        throw new ScanError(`cannot list ${dir} (${code ?? (e as Error).message}) to find files.deny/readOnly paths`);
      }
      out.entries += children.length;
      if (out.entries > this.#limit) {
        throw new ScanError(`the project tree has more than ${this.#limit} entries to search for files.deny/readOnly paths`);
      }
      for (const c of children) {
        const abs = join(dir, c.name);
        const denied = c.denied;
        const readOnly = !underReadOnly && c.readOnly;
        if (c.kind === 'link') {
          if (!denied && !readOnly) continue;
          const target = resolveLink(abs);
          if (target && !seen.has(target.path)) {
            seen.add(target.path);
            (denied ? out.deny : out.readOnly).push(target);
          }
          continue;
        }
        const dirEntry = c.kind === 'dir';
        if (denied) {
          out.deny.push({ path: abs, dir: dirEntry });
          continue; // nothing inside a denied directory is visible
        }
        if (readOnly) out.readOnly.push({ path: abs, dir: dirEntry });
        if (dirEntry) stack.push({ dir: abs, underReadOnly: underReadOnly || readOnly });
      }
    }
    for (const lit of this.#literalReadOnly) {
      const abs = join(this.#root, lit.rel);
      let exists = true;
      try {
        lstatSync(abs);
      } catch {
        exists = false;
      }
      if (exists) continue;
      if (lit.tree) out.missingReadOnlyDirs.push(abs);
      else out.missingReadOnlyFiles.push(abs);
    }
    return out;
  }
}

function resolveLink(abs: string): Covered | null {
  try {
    const real = realpathSync(abs);
    return { path: real, dir: statSync(real).isDirectory() };
  } catch {
    return null; // dangling: there is nothing to read through it
  }
}
