// Static analysis of a Bash command line for the policy evaluator: which simple commands can run, which files
// they read or write, which hosts they reach, and what cannot be known without running it.
//
// The command is parsed with unbash (parser.ts), never with regular expressions, so quoting, escapes, chains,
// pipelines, groups, substitutions and compound commands mean what Bash means by them. The folder:
//   parser.ts     the parser adapter (unbash; a command is analysed only when all of it parsed)
//   walk.ts       the walk over the tree: statements, words, redirections, wrappers -> the effective command
//   results.ts    what the walk found (de-duplicated) and the state later commands depend on (files written, cwd)
//   commands/     what each command reads, writes, runs and connects to (commands/index.ts lists the tables)
//   options.ts    option grammars (getopt-style scanning)     text.ts  string helpers ($'..', braces, hosts)
//   match.ts      `Bash:` rule patterns against derived commands
// The module is pure: no I/O, no console output, and analyzeShell never throws.
import { Analyzer } from './walk.ts';
import type { Env, ShellAnalysis } from './types.ts';

export type { CodeText, FileAccess, NetworkTarget, ShellAnalysis, SimpleCommand, Unresolvable } from './types.ts';
export { commandMatches } from './match.ts';
export { HIDDEN_CODE, hiddenCode } from './hidden.ts';
import { NAMES_ONLY } from './commands/builtins.ts';
import { keyOf } from './types.ts';

/** Whether a command never opens its operands (echo, test, ls, ...): see commands/builtins.ts NAMES_ONLY. */
export function namesOnly(commandName: string): boolean {
  return NAMES_ONLY.has(keyOf(commandName));
}

const TOP: Env = { via: 'top', piped: false, inPipeline: false, pipeSrc: '', xargs: false, depth: 0 };

/** Analyses a Bash command line. A parse error yields an "unparseable command" unresolvable; it never throws. */
export function analyzeShell(command: string): ShellAnalysis {
  if (typeof command !== 'string') {
    return { commands: [], files: [], network: [], unresolvable: [{ construct: 'unparseable command', detail: 'not a string' }] };
  }
  // bash drops NUL bytes from a script it reads (and a bash -c argument cannot hold one): so does the analysis.
  const source = command.includes('\0') ? command.replace(/\0/g, '') : command;
  const a = new Analyzer(source.length);
  try {
    a.script(source, TOP, 0, 'top');
  } catch (e) {
    a.unres('analysis failed', e instanceof RangeError ? 'too deeply nested' : String((e as Error)?.message ?? e));
  }
  return { commands: a.commands, files: a.files, network: a.network, unresolvable: a.unresolvable, ...(a.code.length > 0 ? { code: a.code } : {}), ...(a.dirs.size > 0 ? { dirs: [...a.dirs] } : {}) };
}
