// Finds the files and directories of the project tree that `files.deny` and `files.readOnly` name, so that the
// sandbox can cover each one with a mount. Patterns are globs (`**/.env`), so the tree is walked; the walk is
// bounded (a tree larger than the bound makes the sandbox unavailable rather than partly built) and incremental:
// a directory whose modification time has not changed since the last scan is not listed again (a name appearing
// or disappearing always changes its directory's mtime), so a scan per command costs one stat per directory.
// Symbolic links are not followed while walking; one whose own name matches is covered at the place it points to.
import { lstatSync, readdirSync, realpathSync, statSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { compilePathRule, pathRuleMatches, viewPath, type PathRule, type PathView } from '../policy/paths.ts';

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
  children: { name: string; kind: 'dir' | 'file' | 'link' | 'other' }[];
}

/** A rule plus, for `dir/**`, the rule for `dir` itself: a protected tree includes its top directory. */
interface TreeRule {
  rule: PathRule;
  top: PathRule | null;
}

function treeRules(rules: readonly PathRule[]): TreeRule[] {
  return rules.map((rule) => ({ rule, top: rule.source.endsWith('/**') && rule.source.length > 3 ? compilePathRule(rule.source.slice(0, -3)) : null }));
}

function matchesTree(rules: readonly TreeRule[], view: PathView): boolean {
  return rules.some((r) => pathRuleMatches(r.rule, view, 'deny') || (r.top !== null && pathRuleMatches(r.top, view, 'deny')));
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
  readonly #deny: TreeRule[];
  readonly #readOnly: TreeRule[];
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
    const children = readdirSync(dir, { withFileTypes: true }).map((d) => ({ name: d.name, kind: kindOf(d) }));
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
        const view = viewPath(abs, this.#root);
        const denied = matchesTree(this.#deny, view);
        const readOnly = !denied && !underReadOnly && matchesTree(this.#readOnly, view);
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
