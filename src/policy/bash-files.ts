// What a Bash command touches on disk, checked against the `files` rules: the files the analysis found (readers,
// writers, redirections), and, by principle (issue 13), every argument of any command and every word of code a
// command runs that names a denied path. Paths resolve as the kernel would (ctx.realpath: links followed, a path that
// does not exist yet through its existing ancestors), so a link under an innocent name is checked as its target.
import type { CompiledPolicy } from './compile.ts';
import type { Decision, EvalContext } from './evaluate.ts';
import { firstMatch, pathViews, physicalOf, resolvePath, viewPath, type PathView } from './paths.ts';
import { compileGlob, type Glob } from './patterns.ts';
import { namesOnly, type ShellAnalysis } from './shell/index.ts';
import { GLOB_OPTIONS, normPath, UNKNOWN_TREE_WRITE, type NameTest } from './shell/types.ts';

const deny = (reason: string, rule?: string): Decision => ({ decision: 'deny', reason, rule });

export const IGNORED_PATHS: ReadonlySet<string> = new Set(['/dev/null', '/dev/stdout', '/dev/stderr', '/dev/stdin', '/dev/tty', '-']);

const GLOB_META = /[*?[]/;
const EXTGLOB = /[?*+@!]\(/;

/**
 * The paths a Bash file argument stands for, as bash would expand it: `~` to the home directory, a glob to the files
 * it matches now (the pattern itself is kept too, so a rule written for the pattern still applies).
 */
function bashPaths(path: string, ctx: EvalContext): string[] | null {
  const p = spelledOut(path, ctx);
  // An extended pattern (`!(src)`, `@(a|b)`, `+(x)`): bash expands it when extglob is on, this evaluator cannot.
  if (EXTGLOB.test(p)) return null;
  if (!GLOB_META.test(p)) return [p];
  if (!ctx.expandGlob) return null;
  const matches = ctx.expandGlob(resolvePath(p, ctx.cwd ?? ctx.root));
  return matches === null ? null : [p, ...matches];
}

/**
 * A path as the command's process sees it: `~` is the home directory, and `/proc/self/cwd` (or thread-self) is the
 * command's working directory, not the server's (the server resolves paths in its own process).
 */
function spelledOut(path: string, ctx: EvalContext): string {
  if (ctx.home && (path === '~' || path.startsWith('~/'))) return ctx.home + path.slice(1);
  if (!path.startsWith('/proc')) return path;
  // `/proc//self/./cwd` is /proc/self/cwd; `..` stays (after cwd it is the working directory's parent).
  const clean = path.replace(/\/{2,}/g, '/').replace(/\/\.(?=\/|$)/g, '');
  const proc = /^\/proc\/(?:self|thread-self)\/(cwd|root)(?=\/|$)/.exec(clean);
  if (proc) return (proc[1] === 'cwd' ? ctx.cwd ?? ctx.root : '/') + clean.slice(proc[0].length);
  return path;
}

export function checkBashFiles(policy: CompiledPolicy, a: ShellAnalysis, ctx: EvalContext): Decision | null {
  const files = policy.files!;
  // A relative path after a directory change the analysis cannot follow could be any file: refused under file rules.
  const lost = a.unresolvable.find((u) => u.construct === 'unknown working directory');
  if (lost) return deny(`Bash command uses a path relative to a working directory that cannot be followed (${lost.detail}: after a directory change it cannot follow, through a descriptor, or another process's or work tree's), which file rules cannot be checked against`, 'unresolvable:unknown working directory');
  const unknownTree = unknownTreeWrite(a);
  if (unknownTree) return unknownTree;
  // After `shopt -s nocaseglob` (or globstar, extglob) a glob matches what the evaluator's expansion does not.
  if (a.unresolvable.some((u) => u.construct === GLOB_OPTIONS)) {
    const globbed = [...a.files.map((f) => f.path), ...a.commands.flatMap((c) => c.args)].find((p) => GLOB_META.test(p) || EXTGLOB.test(p));
    if (globbed !== undefined) return deny(`Bash command's file argument '${globbed}' is a glob after shopt changed how globs match, which cannot be checked`, 'unresolvable:file glob');
  }
  // A write through a link the same line makes (`ln -s cfg z && rm -rf z/`, `cp -al cfg z && chmod -R 000 z`) reaches
  // what the link points to, which is not there to check when the line is judged.
  const through = writeThroughNewLink(a);
  if (through) return deny(`Bash command writes '${through.path}' (${through.command}) through a link the same line creates, which cannot be checked before the link exists; run the commands separately`, 'unresolvable:link created in the line');
  // `..` is taken after links (physicalOf), but a link the same line creates does not exist yet when the line is
  // judged (`ln -s src/sub l && cat l/../../secrets/key`): such a line with a path through `..` is refused.
  if (createsLinks(a)) {
    // The link command's own operands (`ln -s ../lib node_modules/lib`: its target is relative to the link) are not
    // paths through a link; every other path is.
    const dotdot = /(^|\/)\.\.(\/|$)/;
    const others = a.commands.filter((c) => !isLinkCommand(c));
    const through = [...a.files.filter((f) => f.command !== 'ln' && f.command !== 'cp').map((f) => f.path), ...(a.dirs ?? []),
      ...others.flatMap((c) => c.args.flatMap(argumentPaths)), ...(a.code ?? []).flatMap((x) => codePaths(x.text))].find((p) => dotdot.test(p));
    if (through !== undefined) return deny(`Bash command creates a symbolic link and uses the path '${through}' through '..', which cannot be resolved before the link exists`, 'unresolvable:link created in the line');
  }
  // A relative name is checked where the line starts and in every directory a `cd` in the line moved to (a command
  // does not say which one it ran in: `cd secrets && perl -ne print key`); so is /proc/self/cwd, the command's own.
  const only = [ctx];
  const starts = a.dirs ? [ctx, ...a.dirs.map((d) => ({ ...ctx, cwd: resolvePath(spelledOut(d, ctx), ctx.cwd ?? ctx.root) }))] : only;
  const startsOf = (p: string) => (starts === only || (/^[/~]/.test(p) && !p.startsWith('/proc')) ? only : starts);
  for (const f of a.files) {
    if (IGNORED_PATHS.has(f.path) || f.path === '' || !applies(f, ctx)) continue;
    // The analysis joins a relative operand with the directory of an earlier `cd` itself; /proc/self/cwd it cannot.
    for (const at of f.path.startsWith('/proc') ? starts : only) {
      const paths = bashPaths(f.path, at);
      if (paths === null) return deny(`Bash command's file argument '${f.path}' is a glob that cannot be checked (too many matches, or a directory that cannot be read)`, 'unresolvable:file glob');
      for (const p of paths) {
        const d = checkBashPath(files, f, p, at)
          ?? (f.mode === 'read' ? deniedTree(files, p, `'${f.path}'`, at) : f.tree ? protectedInTree(files, f, p, at) : null);
        if (d) return d;
      }
    }
  }
  if (files.deny.length > 0 && ctx.realpath) {
    const named = (command: string, p: string, where: 'argument' | 'code', resolve: boolean): Decision | null => {
      for (const at of startsOf(p)) {
        const d = namedDeniedPath(files, command, p, at, where, resolve);
        if (d) return d;
      }
      return null;
    };
    for (const c of a.commands) {
      // A command that only prints its arguments is skipped, unless it prints them into a pipe: there they may be
      // names for the next stage (`echo .env | xargs cat`).
      if (namesOnly(c.name) && c.via !== 'pipeline') continue;
      for (let i = 0; i < c.args.length; i++) {
        if (c.dynamicArgs.includes(i)) continue;
        for (const p of argumentPaths(c.args[i])) {
          const d = named(c.text, p, 'argument', true);
          if (d) return d;
        }
      }
    }
    // Principle: a path named inside text a command runs in a language of its own (inline code, an editor's or a
    // database client's commands, an awk program, a here-document fed to an interpreter) is an access to it, whatever
    // the language: `perl -e 'open F, ".env"'`, `vim -es -c 'r .env'`, `mysql -e 'source .env'`.
    for (const code of a.code ?? []) {
      const paths = codePaths(code.text);
      for (let i = 0; i < paths.length; i++) {
        // Past the first MAX_RESOLVED_CODE_PATHS, the path as spelled only (no file system look-up per word of a
        // long here-document); a link planted under another name is then the kernel sandbox's to hold. A glob is
        // checked as the files it matches (left out when it cannot be expanded).
        for (const p of GLOB_META.test(paths[i]) ? bashPaths(paths[i], ctx)?.slice(1) ?? [] : [paths[i]]) {
          const d = named(code.command, p, 'code', i < MAX_RESOLVED_CODE_PATHS);
          if (d) return d;
        }
      }
    }
  }
  return null;
}

/** The path a `file:` URL names (`file:///p/%2eenv` is /p/.env, `file:.env` is .env), or null. */
function fileUrlPath(u: string): string | null {
  const m = /^file:(?:\/\/(?:localhost)?(?=\/))?([^?#]*)/is.exec(u); // `?query` and `#fragment` are not the path
  if (!m) return null;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return m[1];
  }
}

/** Whether the line makes symbolic links (`ln -s`, `cp -s`, `link` makes hard links and needs no `..` care). */
/** Whether an access happens: `cp a dest` writes dest/a only when dest is a directory (or cannot be looked at). */
function applies(f: ShellAnalysis['files'][number], ctx: EvalContext): boolean {
  if (f.into === undefined || !ctx.fileKind) return true;
  const kind = ctx.fileKind(resolvePath(spelledOut(f.into, ctx), ctx.cwd ?? ctx.root), true);
  return kind === 'dir' || kind === 'unknown';
}

/** Commands that make links (symbolic or hard: `ln`, `link`, `cp -s`/`-l`/`--link`). */
function makesLinks(c: ShellAnalysis['commands'][number]): boolean {
  const base = c.name.slice(c.name.lastIndexOf('/') + 1).toLowerCase();
  return base === 'ln' || base === 'link'
    || (base === 'cp' && c.args.some((x) => /^-[A-Za-z]*[sl]/.test(x) || /^--(sym|link)/.test(x)));
}

/** A write (not by the link command itself) to a name a link command of the line writes, or to a path under it. */
function writeThroughNewLink(a: ShellAnalysis): ShellAnalysis['files'][number] | undefined {
  const makers = new Set(a.commands.filter(makesLinks).map((c) => c.name.slice(c.name.lastIndexOf('/') + 1).toLowerCase()));
  if (makers.size === 0) return undefined;
  const linkNames = a.files.filter((f) => f.mode === 'write' && makers.has(f.command)).map((f) => normPath(f.path));
  return a.files.find((f) => f.mode === 'write' && !makers.has(f.command)
    && linkNames.some((n) => { const p = normPath(f.path); return p === n || p.startsWith(`${n}/`); }));
}

function createsLinks(a: ShellAnalysis): boolean {
  return a.commands.some(isLinkCommand);
}

function isLinkCommand(c: ShellAnalysis['commands'][number]): boolean {
  const base = c.name.slice(c.name.lastIndexOf('/') + 1).toLowerCase();
  return (base === 'ln' || base === 'cp') && c.args.some((x) => /^-[A-Za-z]*s/.test(x) || x === '--symbolic' || x === '--symbolic-link');
}

/** How many words of a command's code are resolved through the file system (links followed); the rest lexically. */
const MAX_RESOLVED_CODE_PATHS = 64;

/**
 * The words of code that could be paths: the text split at what no path in code is spelled with (quotes, brackets,
 * operators, separators; `:` too, for `HEAD:.env` and `file:.env`), each word once. `~` and `/` stay.
 */
export function codePaths(text: string): string[] {
  const out = new Set<string>();
  const add = (w: string) => {
    if (w === '' || w === '.' || w === '~' || IGNORED_PATHS.has(w)) return;
    out.add(w);
  };
  // A URL names a resource on a host, not a path here (`https://example.com/.env`); `file:` URLs stay.
  // Only the characters of a host and a path: a URL ends at anything else (`q{http://x};@ARGV=q:.env:`).
  const withoutUrls = text.replace(/\b(?!file:)[A-Za-z][A-Za-z0-9+.-]*:\/\/[A-Za-z0-9._~\/%-]*/g, ' ');
  for (const w of withoutUrls.split(/[\s'"`(){}[\],;|&<>=+!*?$\\:@#%^]+/)) {
    add(w);
    // `~` starts a home path (`~/.ssh/id_rsa`) but also quotes in Perl (`q~secrets/key~`): both readings.
    if (w.indexOf('~', 1) > 0) for (const part of w.split('~')) add(part);
  }
  for (const m of text.matchAll(/file:[^\s'"`<>()]+/gi)) { const f = fileUrlPath(m[0]); if (f !== null) add(f); }
  // A glob in code that spells a path (`glob.glob("secret?/key")`, Perl's `<secrets/k*>`) is kept whole too: the
  // caller expands it against the disk as bash would a file argument.
  for (const w of withoutUrls.match(/[^\s'"`(){},;|&<>=+!$\\:@#%^]+/g) ?? []) if (/[*?[]/.test(w) && w.includes('/')) add(w);
  return [...out];
}

/**
 * The paths a literal argument of any command may name: the word itself, the value of `--opt=value` or `name=value`,
 * and `@file` (curl -H @file). Options and globs are left to the command tables and to bashPaths.
 */
export function argumentPaths(arg: string): string[] {
  const out: string[] = [];
  const eq = /^(?:--?[A-Za-z][\w-]*|[A-Za-z_]\w*)=(.+)$/s.exec(arg);
  if (eq) out.push(eq[1]);
  else if (!arg.startsWith('-')) out.push(arg);
  // A value glued to a one-letter option (`tar -Csecrets`, `-I./x`, in a cluster `tar -cvCsecrets`): what follows any
  // letter of a short cluster may be a path.
  else if (/^-[A-Za-z]./s.test(arg) && !arg.startsWith('--')) for (let k = 2; k < Math.min(arg.length, 10); k++) out.push(arg.slice(k));
  for (const p of [...out]) { const f = fileUrlPath(p); if (f !== null) out.push(f); }
  return out.map((p) => (p.startsWith('@') ? p.slice(1) : p)).filter((p) => p !== '' && !IGNORED_PATHS.has(p) && !GLOB_META.test(p) && !p.includes('\n'));
}

/**
 * Principle: an argument of any command that names a path under a deny rule is an access to it, whatever the command
 * (look, ptx, a tool no table knows), and so is a directory every path under which is denied (`grep -r x secrets`).
 * A path that does not exist yet counts too (resolved through its existing ancestors): an unknown command may create
 * it (`gen secrets/new-key`). Commands that only print their arguments (echo, printf) are left out by the caller.
 */
function namedDeniedPath(files: NonNullable<CompiledPolicy['files']>, command: string, arg: string, ctx: EvalContext,
  where: 'argument' | 'code' = 'argument', resolve = true): Decision | null {
  const p = spelledOut(arg, ctx);
  const abs = resolvePath(p, ctx.cwd ?? ctx.root);
  const real = resolve ? physicalOf(p, abs, ctx) : abs;
  if (!real) return null;
  const views = real !== abs ? [viewPath(abs, ctx.root), viewPath(real, ctx.root)] : [viewPath(abs, ctx.root)];
  const denied = firstMatch(files.deny, views, 'deny');
  if (denied) {
    const why = where === 'code'
      ? `Bash command '${command}' names file '${arg}' in the code it runs, which matches deny pattern '${denied.source}' (a path named in inline code or a program is an access to it, whatever the language)`
      : `Bash command '${command}' names file '${arg}', which matches deny pattern '${denied.source}' (an argument naming a denied file is an access to it, whatever the command)`;
    return deny(why, denied.source);
  }
  // A bare word of code that names a denied directory counts too (`os.chdir("secrets"); open("key")`), at the cost of
  // refusing `import secrets` or SQL's `from secrets` where a `secrets/` directory is denied (docs/shell-analysis.md).
  return deniedChildren(files, abs, real, `'${arg}' of '${command}'`, ctx);
}

/** An existing directory whose every path is denied (`secrets` under `secrets/**`): reading it reads denied files. */
function deniedTree(files: NonNullable<CompiledPolicy['files']>, p: string, shown: string, ctx: EvalContext): Decision | null {
  const abs = resolvePath(p, ctx.cwd ?? ctx.root);
  const real = physicalOf(p, abs, ctx);
  return real ? deniedChildren(files, abs, real, shown, ctx) : null;
}

function deniedChildren(files: NonNullable<CompiledPolicy['files']>, abs: string, real: string, shown: string, ctx: EvalContext): Decision | null {
  const children = (real !== abs ? [abs, real] : [abs]).map((d) => viewPath(`${d}/aflock-probe-child`, ctx.root));
  const inner = firstMatch(files.deny, children, 'deny');
  return inner ? deny(`Bash command reads directory ${shown}, whose files match deny pattern '${inner.source}'`, inner.source) : null;
}

/**
 * The files no tool may write whatever the policy says (EvalContext.protectedFiles: the policy, its sub-policies, a
 * `.git` file): a Bash write to one, or a tree write of a directory holding one (`rm -rf .`), is refused.
 */
export function bashWritesProtected(a: ShellAnalysis, protectedFiles: readonly string[], ctx: EvalContext): Decision | null {
  // Code a command runs may write any file it names (`python3 -c "open('.aflock', 'w')"`): a protected file named
  // in code is refused, read or write (the text does not say which).
  for (const code of a.code ?? []) {
    for (const w of codePaths(code.text).slice(0, MAX_RESOLVED_CODE_PATHS)) {
      if (GLOB_META.test(w)) continue;
      const hit = pathViews(spelledOut(w, ctx), ctx).find((v) => protectedFiles.includes(v.abs));
      if (hit) return deny(`Bash command '${code.command}' names '${w}' in the code it runs: the policy, a sub-policy and the .git file naming the repository are always read-only`, 'protected-file');
    }
  }
  for (const f of a.files) {
    if (f.mode !== 'write' || !applies(f, ctx)) continue;
    if (IGNORED_PATHS.has(f.path) || f.path === '') continue;
    for (const p of bashPaths(f.path, ctx) ?? [f.path]) {
      for (const v of pathViews(p, ctx)) {
        const under = (x: string) => (v.abs === '/' || x.startsWith(`${v.abs}/`))
          && (!f.only || reachesName(f.only, x.slice(v.abs === '/' ? 1 : v.abs.length + 1).split('/')));
        const hit = protectedFiles.find((x) => x === v.abs || (f.tree && under(x)));
        if (!hit) continue;
        const what = hit === v.abs ? `Bash command writes '${f.path}' (${f.command})` : `Bash command '${f.command}' changes ${f.only ? 'files' : 'everything'} under '${f.path}', which holds '${hit}'`;
        return deny(`${what}: the policy, a sub-policy and the .git file naming the repository are always read-only`, 'protected-file');
      }
    }
  }
  return null;
}

/** A tree write of directories the text does not name (`rm -rf "$d"`, `xargs rm -rf`): no rule can be checked. */
export function unknownTreeWrite(a: ShellAnalysis): Decision | null {
  const u = a.unresolvable.find((x) => x.construct === UNKNOWN_TREE_WRITE);
  return u ? deny(`Bash command removes or changes files it does not name (${u.detail}: a path decided at run time, xargs' input or a git pathspec), which file rules cannot be checked against; name them literally`, `unresolvable:${UNKNOWN_TREE_WRITE}`) : null;
}

/** Whether a tree write narrowed by name tests reaches a path (its segments below the directory): a segment passes. */
function reachesName(only: readonly NameTest[], segments: readonly string[]): boolean {
  try {
    const tests = only.map((t) => ({ glob: compileGlob(t.fold ? t.glob.toLowerCase() : t.glob, 'path'), fold: t.fold }));
    return segments.some((seg) => tests.every((t) => t.glob.matches(t.fold ? seg.toLowerCase() : seg)));
  } catch {
    return true;
  }
}

/**
 * Principle: a tree write (`rm -r dir`, `chmod -R`, `mv dir`, `find dir -delete`, `git clean -x`) reaches every path
 * under the directory, so a directory that holds a denied or read-only path is not the agent's to remove or change.
 * The directory is walked as it is now (links not followed: rm removes a link, not its target); git's own commands
 * never touch `.git`. A tree too large to walk, or one that cannot be listed, is refused: it cannot be checked.
 */
function protectedInTree(files: NonNullable<CompiledPolicy['files']>, f: ShellAnalysis['files'][number], path: string, ctx: EvalContext): Decision | null {
  if (files.deny.length === 0 && files.readOnly.length === 0) return null;
  const abs = resolvePath(path, ctx.cwd ?? ctx.root);
  // rm, mv and their kind act on a link given without a trailing `/`, not on what it points to.
  if (ON_THE_NAME.test(f.command) && !/\/\.?$/.test(path) && ctx.fileKind?.(abs, false) === 'link') return null;
  const dir = physicalOf(path, abs, ctx) ?? abs;
  const what = `Bash command '${f.command}' changes ${f.only ? `files named ${f.only.map((t) => `'${t.glob}'`).join(' and ')}` : 'everything'} under '${f.path}'`;
  if (!ctx.walkTree) return deny(`${what}, which cannot be checked for protected files here`, 'unresolvable:tree write');
  // One walk per directory and kind of write in a decision, and one budget of entries for all of them: a line that
  // names a large tree many times (`rm -rf big big/ ./big`) costs one walk, not many.
  const memo = treeMemo(ctx);
  const gitOwn = /(^|\/)git /.test(f.command);
  const key = `${dir}\0${f.tree}\0${gitOwn}\0${JSON.stringify(f.only ?? null)}`;
  let found = memo.found.get(key);
  if (found === undefined) {
    found = walkForProtected(files, f, dir, gitOwn, ctx, memo);
    memo.found.set(key, found);
  }
  if (found === 'too-large' || found === 'unreadable') {
    return deny(`${what}, which is ${found === 'too-large' ? 'too large' : 'not readable'} to check for denied and read-only files`, 'unresolvable:tree write');
  }
  if (!found) return null;
  const shown = viewPath(found.abs, ctx.root).rel ?? found.abs;
  return deny(`${what}, which holds ${found.ro ? 'read-only' : 'denied'} '${shown}' (matches '${found.rule}'); name the files it should change instead`, found.rule);
}

/** Tree writers that remove or move the name they are given (a link itself, not its target). */
const ON_THE_NAME = /^(rm|mv|unlink|trash|trash-put|rimraf|gio (trash|remove|rm|move|mv)|git (rm|mv))$/;

type TreeFinding = { rule: string; abs: string; ro: boolean } | null | 'too-large' | 'unreadable';
interface TreeMemo { found: Map<string, TreeFinding>; budget: number }
/** Entries all the tree walks of one decision may visit together (the sandbox's scan has the same bound). */
const TREE_BUDGET = 200_000;
const treeMemos = new WeakMap<object, TreeMemo>();

/** The memo of one decision: keyed by its realpath memo, which every context derived from the call's shares. */
function treeMemo(ctx: EvalContext): TreeMemo {
  const owner: object = ctx.realpath ?? ctx;
  let m = treeMemos.get(owner);
  if (!m) treeMemos.set(owner, (m = { found: new Map(), budget: TREE_BUDGET }));
  return m;
}

function walkForProtected(files: NonNullable<CompiledPolicy['files']>, f: ShellAnalysis['files'][number], dir: string,
  gitOwn: boolean, ctx: EvalContext, memo: TreeMemo): TreeFinding {
  // With name tests (`find . -name '*.o' -delete`), only files that pass them are reached, with what is under them.
  let tests: { glob: Glob; fold: boolean }[] | undefined;
  try {
    tests = f.only?.map((t) => ({ glob: compileGlob(t.fold ? t.glob.toLowerCase() : t.glob, 'path'), fold: t.fold }));
  } catch {
    tests = undefined; // a test this glob dialect cannot read: every file under the roots may be reached
  }
  const reached = (p: string) => {
    if (!tests) return true;
    const base = p.slice(p.lastIndexOf('/') + 1);
    return tests.every((t) => t.glob.matches(t.fold ? base.toLowerCase() : base));
  };
  // The walk builds clean absolute paths, so a view is two slices (viewPath cleans and compares; it is most of the
  // time of a walk after the directory listings themselves).
  const root = ctx.root.endsWith('/') && ctx.root !== '/' ? ctx.root.slice(0, -1) : ctx.root;
  const prefix = root === '/' ? '/' : `${root}/`;
  const treeView = (p: string): PathView => ({
    abs: p, rel: p.startsWith(prefix) ? p.slice(prefix.length) : p === root ? '.' : null, base: p.slice(p.lastIndexOf('/') + 1),
  });
  const reachedDirs: string[] = [];
  let hit: TreeFinding = null;
  let visited = 0;
  const outcome = ctx.walkTree!(dir, (p, isDir) => {
    visited++;
    if (gitOwn && p.endsWith('/.git')) return 'skip';
    const inside = reachedDirs.some((d) => p.startsWith(`${d}/`));
    if (!inside && !reached(p)) return 'go';
    if (isDir && !inside && tests) reachedDirs.push(p);
    const view = treeView(p);
    // A directory of a protected tree (`secrets` for `secrets/**`) is inside it, as for a directory operand.
    const views = isDir ? [view, treeView(`${p}/aflock-probe-child`)] : [view];
    const denied = firstMatch(files.deny, views, 'deny');
    const ro = denied ? undefined : firstMatch(files.readOnly, views, 'deny');
    if (!denied && !ro) return 'go';
    hit = { rule: (denied ?? ro)!.source, abs: p, ro: !denied };
    return 'stop';
  }, memo.budget, f.tree === 'follow');
  memo.budget = Math.max(0, memo.budget - visited);
  return outcome === 'too-large' || outcome === 'unreadable' ? outcome : hit;
}

function checkBashPath(files: NonNullable<CompiledPolicy['files']>, f: ShellAnalysis['files'][number], path: string, ctx: EvalContext): Decision | null {
  const direct = pathViews(path, ctx);
  // A directory operand of a protected tree is inside it (`cp -r secrets /tmp/x` for `secrets/**`).
  const views = [...direct, ...direct.map((v) => viewPath(`${v.abs}/aflock-probe-child`, ctx.root))];
  const shown = path === f.path ? `'${f.path}'` : `'${f.path}' (${path})`;
  const denied = firstMatch(files.deny, views, 'deny');
  if (denied) return deny(`Bash command accesses file ${shown} matching deny pattern '${denied.source}'`, denied.source);
  if (f.mode === 'write') {
    const ro = firstMatch(files.readOnly, views, 'deny');
    if (ro) return deny(`Bash command writes read-only file ${shown} (matches '${ro.source}')`, ro.source);
  }
  return null;
}

