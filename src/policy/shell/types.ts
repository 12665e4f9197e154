// Types and small helpers shared by the shell analysis: the public result (ShellAnalysis), a word after static
// expansion (Arg), the walk's environment, and the Sink through which command tables report what a command does.

export interface SimpleCommand {
  name: string;
  path: string;
  args: string[];
  dynamicArgs: number[];
  text: string;
  via: string;
}
/**
 * A file a command reads or writes. `tree`: the write reaches every path under the directory too (`rm -r`, `chmod -R`,
 * `mv dir`, `git clean -x`): a directory holding a read-only or denied file is not the agent's to remove or change.
 */
export interface FileAccess {
  path: string;
  mode: 'read' | 'write';
  command: string;
  /** 'follow': symbolic links under the directory are followed too (`chown -RL`, `find -L`). */
  tree?: true | 'follow';
  /** Written only if this path (a copy's destination) is a directory: `cp a dest` writes dest/a then. */
  into?: string;
  /** A tree write that reaches only files whose name passes each test (`find . -name '*.o' -delete`), and what is under them. */
  only?: NameTest[];
}
/**
 * The construct of a tree write whose directory is not in the text: an operand decided at run time, or supplied by
 * xargs from its input (`echo cfg | xargs rm -rf`). Refused under file rules (and for the policy file) like a relative
 * path after an unknown `cd`.
 */
export const UNKNOWN_TREE_WRITE = 'tree write of unknown paths';
/** The construct of `shopt -s nocaseglob|globstar|extglob`: the line's globs match otherwise than the evaluator expands them. */
export const GLOB_OPTIONS = 'glob options changed';
/** A test on a file's name, in find's -name syntax (a glob on the last component); fold: -iname. */
export interface NameTest { glob: string; fold: boolean }
export interface NetworkTarget { target: string; command: string }
export interface Unresolvable { construct: string; detail: string }
/**
 * Text a command runs in a language of its own: inline code (`python3 -c`, `perl -e`), an editor's commands
 * (`vim -c`, `emacs --eval`), an awk or SQL program, a here-document fed to an interpreter. The paths named in it are
 * checked as the command's own arguments are (evaluate.ts): `perl -e 'open F, ".env"'` names `.env`.
 */
export interface CodeText { text: string; command: string }
export interface ShellAnalysis {
  commands: SimpleCommand[];
  files: FileAccess[];
  network: NetworkTarget[];
  unresolvable: Unresolvable[];
  /** Present when a command runs text in a language of its own (see CodeText). */
  code?: CodeText[];
  /**
   * Present when commands ran after a `cd` the analysis could follow: those directories (relative to where the line
   * starts, or absolute). A command's arguments and code are checked against each, as well as the start.
   */
  dirs?: string[];
}

/** A word after expansion as far as it can be done statically. */
export interface Arg {
  value: string;      // after quote removal; the source text when not literal
  src: string;        // as written
  literal: boolean;   // no parameter, command, arithmetic or process substitution
  splitSafe: boolean; // every expansion sits inside double quotes (no word splitting or globbing of its result)
  tail: string;       // literal text after the last expansion
  head?: string;      // literal text before the first expansion (set by the walk)
  procSubst: boolean; // the word is only a <( ) / >( )
  indirect: boolean;  // contains ${!name}
  glob: boolean;      // unquoted pattern characters: the shell replaces the word with matching file names
}

export interface Env {
  via: string;
  piped: boolean;      // stdin comes from a pipe or a >( ) substitution
  inPipeline: boolean; // a stage of a multi-stage pipeline
  pipeSrc: string;     // the enclosing pipeline, for details
  xargs: boolean;      // the command line is completed from xargs' input
  depth: number;       // structural recursion depth
  vars?: ReadonlyMap<string, string>; // loop variables bound to one literal item
}

/** The source a node's positions index, and how deep in nested shell strings it is. */
export interface Script { b: string; level: number; assigns?: Map<string, boolean> }

export interface StdinInfo { kind: 'tty' | 'pipe' | 'file' | 'heredoc'; body: string | null; /** kind 'file': the file */ path?: string }

export interface Call {
  env: Env;
  sc: Script;
  src: string;     // source of the statement, for details
  stdin: StdinInfo;
  /** The command's standard output is redirected to a file (decoded output written to a file is data). */
  stdoutToFile?: boolean;
}

/**
 * What the walk offers the command tables: every table reports through these, so a table entry is data plus, at
 * most, a small function of its arguments.
 */
export interface Sink {
  /** The file accesses found so far (find -exec looks at what its command does with `{}`). */
  readonly files: readonly FileAccess[];
  unres(construct: string, detail: string): void;
  file(arg: Arg | undefined, mode: 'read' | 'write', command: string, tree?: boolean | 'follow', only?: NameTest[], into?: string): void;
  /** Text `command` runs in a language of its own (CodeText): the paths it names are checked. */
  program(text: string, command: string): void;
  /** A program given as a word: its text when literal, else `non-literal program` (code decided at run time). */
  programArg(a: Arg | undefined, command: string, src: string): void;
  net(target: string, command: string): void;
  emit(name: string, path: string, args: Arg[], via: string): void;
  /** Analyses `text` as a nested shell script (bash -c, eval, ...). */
  script(text: string, env: Env, level: number, via: string): void;
  /** A shell -c string: analysed when literal, else unresolvable. */
  shellString(a: Arg | undefined, c: Call, via: string): void;
  /** Words a tool joins with spaces and runs with sh -c. */
  joinedScript(words: Arg[], c: Call, via: string): void;
  /** A shell reading its script from stdin. */
  shellStdin(c: Call): void;
  codeFromStdin(c: Call, what: 'shell' | 'interpreter', command?: string): void;
  /**
   * A file a command runs as code (a script, `sed -f`, `awk -f`, `vim -S`, `make -f`, ...): read, and flagged when
   * this line wrote it; `-` or /dev/stdin is code from stdin, /dev/fd/N code from a descriptor not followed.
   */
  codeFile(a: Arg | undefined, command: string, c: Call): void;
  /** A file about to be executed: flagged when this line wrote it. */
  executes(path: string, src: string): void;
  /** Runs argv as a command (wrappers, find -exec, docker --entrypoint). */
  run(argv: Arg[], c: Call, via: string): void;
  chdir(args: Arg[]): void;
  forgetCwd(): void;
  envVar(name: string, v: Arg, env: Env, level: number, detail: string): void;
}

export const MAX_LEVEL = 8;            // nested bash -c / eval / ... strings
export const MAX_DEPTH = 400;          // structural recursion (groups in groups, substitutions in substitutions)
export const MIN_PARSE_BUDGET = 1 << 20; // characters parsed for one analysis, nested strings included (at least 4x the input)
export const MAX_BRACE_WORDS = 256;
export const MAX_LOOP_ITEMS = 16;
export const MAX_LOOP_BYTES = 1 << 16;
export const MIN_LOOP_BUDGET = 1 << 16; // characters of loop bodies walked again per bound item
export const MAX_DETAIL = 200;

export const literalArg = (value: string): Arg =>
  ({ value, src: value, literal: true, splitSafe: true, tail: value, procSubst: false, indirect: false, glob: false });

export const argText = (a: Arg): string => (a.literal ? a.value : a.src);

export function basename(p: string): string {
  const trimmed = p.length > 1 ? p.replace(/\/+$/, '') : p;
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

/** Lookup key for command tables: case-insensitive (macOS file systems are) and without a Windows suffix. */
export function keyOf(name: string): string {
  return name.toLowerCase().replace(/\.exe$/, '');
}

export function snippet(text: string): string {
  const s = text.slice(0, MAX_DETAIL * 4).replace(/\s+/g, ' ').trim();
  return s.length > MAX_DETAIL ? `${s.slice(0, MAX_DETAIL - 1)}…` : s;
}

/** Commands whose "writes" change metadata or remove files, not content that could later be executed. */
export const METADATA_WRITERS = new Set(['chmod', 'chown', 'chgrp', 'touch', 'mkdir', 'rm', 'rmdir', 'unlink', 'shred',
  'truncate', 'mkfifo', 'mknod', 'find']);

export function normPath(p: string): string {
  return p.replace(/\/{2,}/g, '/').replace(/^(\.\/)+/, '').replace(/(\/\.)+$/, '').replace(/\/$/, '') || p;
}

const IGNORED_PATHS = new Set(['-', '/dev/null', '/dev/stdout', '/dev/stderr', '/dev/stdin', '/dev/tty', '/dev/zero',
  '/dev/random', '/dev/urandom', '/dev/full']);
export const STDIN_PATHS = new Set(['-', '/dev/stdin', '/dev/fd/0', '/proc/self/fd/0']);
export const isIgnoredPath = (p: string): boolean => IGNORED_PATHS.has(p) || /^\/(dev|proc\/self)\/fd\/\d+$/.test(p);

export function isAssignment(a: Arg): boolean {
  return a.literal && /^[A-Za-z_][A-Za-z0-9_]*=/.test(a.value);
}

/**
 * The environment of a command string run by `c` (bash -c, su -c, eval, ...): the string's commands share c's
 * stdin, so input given to c (a here-document, a file, a pipe) is input a shell or interpreter inside may read as
 * code (`bash -c bash <<< 'cmd'`): treated as piped, which the analysis cannot see into.
 */
export function inputEnv(c: Call): Env {
  return c.stdin.kind === 'tty' ? c.env : { ...c.env, piped: true, pipeSrc: c.env.pipeSrc || c.src };
}
