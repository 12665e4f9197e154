// Path rules of the `files` section. One small module, used by every check that touches a path.
//
// How a pattern applies (documented in the README):
//   /abs/pattern      matches the absolute, `..`-resolved path.
//   dir/pattern       (has a `/`) matches the path relative to the project root; only paths inside the root.
//   **/pattern        matches at any depth inside the root and, because `**` says "anywhere", absolute paths too.
//   bare              (no `/`, e.g. `*.md`, `.env`) matches the file name. For deny and readOnly the file name
//                     anywhere; for allow only inside the project root (the reference admitted `/etc/notes.md`
//                     through `*.md`).
// `*` and `?` never cross `/`; `**` does. Symbolic links are checked twice: as written and as resolved, and both
// must pass.
import { posix } from 'node:path';
import { compileGlob, type Glob } from './patterns.ts';

export interface PathRule {
  readonly source: string;
  readonly glob: Glob;
  readonly kind: 'absolute' | 'relative' | 'anywhere' | 'bare';
}

export function compilePathRule(source: string): PathRule {
  const glob = compileGlob(source, 'path');
  const kind = source.startsWith('/')
    ? 'absolute'
    : source.startsWith('**')
      ? 'anywhere'
      : source.includes('/')
        ? 'relative'
        : 'bare';
  return { source, glob, kind };
}

/** A path as the rules see it. */
export interface PathView {
  /** Absolute, lexically cleaned. */
  readonly abs: string;
  /** Relative to the project root without a leading `./`, or null when outside it ("." for the root itself). */
  readonly rel: string | null;
  readonly base: string;
}

/** Resolves `p` (absolute, or relative to `cwd`) and cleans `.`/`..` segments lexically. */
export function resolvePath(p: string, cwd: string): string {
  return posix.resolve(cwd, p);
}

export function viewPath(abs: string, root: string): PathView {
  const rel = posix.relative(root, abs);
  const inside = rel === '' || (!rel.startsWith('../') && rel !== '..' && !posix.isAbsolute(rel));
  return { abs, rel: inside ? rel || '.' : null, base: posix.basename(abs) };
}

export function isInside(abs: string, root: string): boolean {
  return viewPath(abs, root).rel !== null;
}

/**
 * Whether a rule matches a path. `side` widens deny-side rules (bare names anywhere) and narrows allow-side rules
 * (bare names only inside the root), so that an ambiguous pattern always errs towards refusing.
 */
export function pathRuleMatches(rule: PathRule, view: PathView, side: 'deny' | 'allow'): boolean {
  switch (rule.kind) {
    case 'absolute':
      return rule.glob.matches(view.abs);
    case 'relative':
      return view.rel !== null && rule.glob.matches(view.rel);
    case 'anywhere':
      return (view.rel !== null && rule.glob.matches(view.rel)) || rule.glob.matches(view.abs);
    case 'bare':
      if (side === 'allow' && view.rel === null) return false;
      return rule.glob.matches(view.base);
  }
}

export function firstMatch(rules: readonly PathRule[], views: readonly PathView[], side: 'deny' | 'allow'): PathRule | undefined {
  for (const rule of rules) for (const v of views) if (pathRuleMatches(rule, v, side)) return rule;
  return undefined;
}
