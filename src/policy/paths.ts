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

/** Whether an absolute path is already lexically clean (posix.normalize would return it unchanged). */
function isClean(p: string): boolean {
  if (p === '/') return true;
  return p.startsWith('/') && !p.endsWith('/') && !p.endsWith('/.') && !p.endsWith('/..') && !p.includes('//') && !p.includes('/./') && !p.includes('/../');
}

/**
 * The path as the rules see it. `abs` is cleaned first, so `rel` and `base` are always substrings of `abs` (the screen
 * in firstMatch relies on it). Every path checked goes through here, several times a decision: the common case
 * (clean paths, a clean root) is string slicing, not path.relative.
 */
export function viewPath(abs: string, root: string): PathView {
  const a = isClean(abs) ? abs : posix.resolve('/', abs);
  const r = isClean(root) ? root : posix.resolve('/', root);
  let rel: string | null;
  if (a === r) rel = '.';
  else if (r === '/') rel = a.slice(1);
  else rel = a.startsWith(r) && a.charCodeAt(r.length) === 47 /* / */ ? a.slice(r.length + 1) : null;
  return { abs: a, rel, base: a.slice(a.lastIndexOf('/') + 1) };
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
  if (rules.length === 0) return undefined;
  // A view whose path contains none of the list's screen literals matches no rule of it (every text a rule tests is
  // `abs` or a substring of it): most paths are ruled out by one search instead of a glob per rule and reading.
  const screen = screenOf(rules);
  const live = screen === null ? views : views.filter((v) => screen(v.abs));
  if (live.length === 0) return undefined;
  for (const rule of rules) for (const v of live) if (pathRuleMatches(rule, v, side)) return rule;
  return undefined;
}

const screens = new WeakMap<readonly PathRule[], ((text: string) => boolean) | null>();

/** One test for a whole rule list: whether a text contains a literal some rule needs (null: a rule needs none). */
function screenOf(rules: readonly PathRule[]): ((text: string) => boolean) | null {
  let screen = screens.get(rules);
  if (screen === undefined) {
    const literals = new Set<string>();
    for (const rule of rules) {
      if (rule.glob.screen === null) {
        literals.clear();
        break;
      }
      for (const l of rule.glob.screen) literals.add(l);
    }
    if (literals.size === 0) screen = null;
    else {
      const any = new RegExp([...literals].map((l) => l.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')).join('|'));
      screen = (text) => any.test(text);
    }
    screens.set(rules, screen);
  }
  return screen;
}

interface PathContext { readonly root: string; readonly cwd?: string; readonly realpath?: (abs: string) => string | null }

/**
 * The file the kernel opens for `p` (absolute, `abs` = its lexical resolution): links followed, and `..` taken after
 * them (`L/../x` with `L -> src/sub` is `src/x`, where the lexical reading says `x`). Null without a resolver or when
 * it cannot be known.
 */
export function physicalOf(p: string, abs: string, ctx: PathContext): string | null {
  if (!ctx.realpath) return null;
  if (!/(^|\/)\.\.(\/|$)/.test(p)) return ctx.realpath(abs);
  return ctx.realpath(p.startsWith('/') ? p : `${ctx.cwd ?? ctx.root}/${p}`);
}

/** The views of a path as a rule sees it: as written (resolved against the working directory) and, when it differs,
 * as the file system resolves it (physicalOf). */
export function pathViews(p: string, ctx: PathContext): PathView[] {
  const abs = resolvePath(p, ctx.cwd ?? ctx.root);
  const views = [viewPath(abs, ctx.root)];
  const real = physicalOf(p, abs, ctx);
  if (real && real !== abs) views.push(viewPath(real, ctx.root));
  return views;
}
