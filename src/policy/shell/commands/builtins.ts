// Shell builtins that run strings or change what later commands see (eval, trap, alias, cd, source), the
// environment variables that run commands or load code, and the signs of an obfuscated command.
import { argText, GLOB_OPTIONS, inputEnv, STDIN_PATHS, type Arg, type Call, type Env, type Sink } from '../types.ts';

/** Environment variables whose value the shell or a tool runs as a command line. */
export const COMMAND_VARS = new Set(['GIT_SSH_COMMAND', 'GIT_SSH', 'GIT_EXTERNAL_DIFF', 'GIT_PAGER', 'GIT_EDITOR',
  'GIT_SEQUENCE_EDITOR', 'GIT_ASKPASS', 'SSH_ASKPASS', 'SUDO_ASKPASS', 'PAGER', 'EDITOR', 'VISUAL', 'PROMPT_COMMAND',
  'MANPAGER', 'BROWSER', 'LESSOPEN', 'LESSCLOSE']);

export const INJECTION_VARS = new Set(['LD_PRELOAD', 'LD_AUDIT', 'DYLD_INSERT_LIBRARIES', 'BASH_ENV', 'ENV', 'PERL5OPT',
  'PYTHONSTARTUP', 'RUBYOPT', 'PERL5DB', 'SHELLOPTS', 'PS4']);


/** What assigning `name=v` (as a prefix, with export or env, ...) does beyond setting a variable. */
export function envVar(s: Sink, name: string, v: Arg, env: Env, level: number, detail: string): void {
  if (COMMAND_VARS.has(name)) {
    if (v.literal) { if (v.value.trim()) s.script(v.value, { ...env, piped: false }, level + 1, `${name}=`); }
    else s.unres('non-literal command variable', detail);
  } else if (INJECTION_VARS.has(name) && (v.literal ? v.value !== '' : true)) {
    s.unres('code-injection variable', detail);
  } else if (/^GIT_CONFIG_(PARAMETERS|COUNT|KEY_\d+|VALUE_\d+)$/.test(name) || name.startsWith('BASH_FUNC_') || name.includes('%%')) {
    // git configuration from the environment (any key, core.pager and aliases included), or an exported bash function
    s.unres('code-injection variable', detail);
  } else if (name === 'GIT_WORK_TREE' || name === 'GIT_DIR') {
    // git then takes its paths relative to another working tree than the one the line is in.
    s.unres('unknown working directory', detail);
  } else if (name === 'NODE_OPTIONS' && /(^|\s)(-r|--require|--import|--loader|--experimental-loader)\b/.test(argText(v))) {
    s.unres('code-injection variable', detail);
  }
}

/**
 * Commands that never open their operands: they print, compare or test the words, or look at names and metadata
 * only. The evaluator's "an argument naming an existing denied file is an access to it" principle skips them, so
 * that `echo .env`, `[ -f .env ]` and `ls secrets` stay ordinary work.
 */
export const NAMES_ONLY = new Set(['echo', 'printf', 'test', '[', 'true', 'false', ':', 'ls', 'basename', 'dirname',
  'realpath', 'readlink', 'which', 'type', 'cd', 'pushd', 'popd', 'mkdir', 'rmdir', 'touch', 'rm', 'unlink', 'chmod',
  'chown', 'chgrp', 'export', 'declare', 'local', 'readonly', 'typeset', 'let', 'unset']);

export type Handler = (s: Sink, name: string, key: string, args: Arg[], c: Call) => void;

/** Builtins that run a string as shell code, or change the directory later relative paths are resolved against. */
export const BUILTINS: Record<string, Handler> = {
  eval(s, _name, _key, args, c) {
    if (!args.length) { s.codeFromStdin(c, 'shell'); return; }
    if (args.every((a) => a.literal)) s.script(args.map((a) => a.value).join(' '), inputEnv(c), c.sc.level + 1, 'eval');
    else s.unres('non-literal eval', c.src);
  },
  trap(s, _name, _key, args, c) {
    const action = args[0];
    if (args.length >= 2 && action && !(action.literal && (action.value === '-' || action.value.startsWith('-')))) {
      if (action.literal) { if (action.value.trim()) s.script(action.value, c.env, c.sc.level + 1, 'trap'); }
      else s.unres('non-literal eval', c.src);
    }
  },
  hash(s, _name, _key, args, c) {
    // `hash -p FILE NAME` makes NAME run FILE: later command names no longer say what runs.
    if (args.some((a) => !a.literal || /^-[a-z]*p/.test(a.value))) s.unres('command path override', c.src);
  },
  test: varNames, '[': varNames, printf: varNames, unset: varNames, read: varNames, mapfile: varNames,
  readarray: varNames, getopts: varNames, export: varNames,
  alias(s, _name, _key, args, c) {
    if (args.some((a) => !a.literal || a.value.includes('='))) s.unres('alias definition', c.src);
  },
  // Options that change what a glob matches (case-folded, `**` recursive, extended patterns): the globs of the line
  // can no longer be expanded the way the evaluator does.
  shopt(s, _name, _key, args, c) {
    if (args.some((a) => a.literal && a.value === '-u') && !args.some((a) => a.literal && a.value === '-s')) return;
    if (args.some((a) => !a.literal || ['nocaseglob', 'globstar', 'extglob', 'globasciiranges'].includes(a.value))) s.unres(GLOB_OPTIONS, c.src);
  },
  cd(s, _name, _key, args) { s.chdir(args); },
  pushd(s, _name, _key, args) { s.chdir(args); },
  popd(s) { s.forgetCwd(); },
  source: sourceFile,
  '.': sourceFile,
};

/**
 * Principle: bash evaluates the subscript of a variable NAME it is given as a string (`test -v 'a[$(id)]'`,
 * `printf -v 'a[$(id)]'`, `unset`, `read`, `declare`, and a value later used in arithmetic), so a literal word holding a
 * subscript with a command substitution runs that command at run time. The walk checks assignments; these builtins
 * check their arguments.
 */
export const EVALUATED_SUBSCRIPT = /\[[^\]]*(\$\(|`)/;

function varNames(s: Sink, _name: string, _key: string, args: Arg[], c: Call): void {
  if (args.some((a) => a.literal && EVALUATED_SUBSCRIPT.test(a.value))) s.unres('runtime-evaluated string', c.src);
}

function sourceFile(s: Sink, name: string, _key: string, args: Arg[], c: Call): void {
  const f = args[0];
  if (f?.literal && STDIN_PATHS.has(f.value)) {
    s.codeFromStdin(c, 'shell');
  } else {
    s.file(f, 'read', name);
    if (f?.literal) s.executes(f.value, c.src);
  }
}

export function obfuscation(s: Sink, key: string, args: Arg[], c: Call): void {
  const lower = args.map((a) => (a.literal ? a.value.toLowerCase() : ''));
  const text = `${key} ${args.map(argText).join(' ')}`;
  // Principle (issue 13, class 6): decoded output written to a file is data (`base64 -d fixture.b64 > fixture.bin`);
  // running that file later in the line is caught as `runs a file it wrote`. Decoded output anywhere else (a pipe,
  // the terminal an agent reads, a descriptor) is an obfuscated payload. uudecode names its output file inside the
  // encoded data, so it stays refused.
  if (['base64', 'base32', 'basenc', 'gbase64', 'b64'].includes(key)
    && lower.some((a) => a === '--decode' || /^-[a-z]*d/.test(a)) && !c.stdoutToFile) s.unres('base64 decode', text);
  if (key === 'uudecode' || (key === 'xxd' && args.some((a) => a.literal && a.value.startsWith('-r')) && !c.stdoutToFile)) {
    s.unres('hex decode', text);
  }
  if (key === 'openssl' && lower.some((a) => a === '-d' || a === '-decrypt' || a === '-base64d')) {
    s.unres('openssl decode', text);
  }
  if (!c.env.inPipeline) return;
  if (key === 'rev') s.unres('rev in pipeline', c.env.pipeSrc);
  // `\0` alone is the NUL separator of `printf '%s\0' ... | xargs -0`, not a spelled-out character.
  const escaped = /\\(x[0-9a-fA-F]|[1-7]|0[0-7]|u[0-9a-fA-F]|U[0-9a-fA-F])/;
  const echoE = key === 'echo' && args.some((a) => a.literal && /^-[neE]*e[neE]*$/.test(a.value));
  if ((key === 'printf' || echoE) && args.some((a) => escaped.test(argText(a)))) {
    s.unres('escape sequences in pipeline', c.env.pipeSrc);
  }
}


