// What the analysis reports when a command runs code whose text it cannot see: the named constructs that file,
// domain and data-flow rules cannot be checked against (issue 13, class 4).
//
// Under `Bash:` deny rules and allow lists, every unresolvable construct is refused (strict analysis). Under
// `files`, `domains` and `dataFlow` rules only these are: a command whose name, script or program is decided at run
// time could read the denied file, reach the host or carry the labelled data, and nothing in the line says so. The
// other constructs are about the FORM of a visible command (decoders, here-strings, `<( )`, scheduled commands, inline
// code of another language, a dynamic file argument); what the visible command touches is still checked by those
// rules, and the kernel sandbox holds what text cannot for the commands this server runs.
import type { ShellAnalysis, Unresolvable } from './types.ts';

export const HIDDEN_CODE: ReadonlySet<string> = new Set([
  // a command whose name is decided at run time
  'non-literal command name', 'variable indirection', 'non-literal command variable', 'brace expansion in command name',
  'command path override', 'alias definition', 'runs a file it wrote',
  // a string bash (or a tool) evaluates as commands at run time
  'runtime-evaluated string', 'non-literal shell -c', 'non-literal eval', 'code-injection variable', 'pipe to shell',
  'pipe to interpreter', 'here-document into a shell', 'awk runs commands', 'sed runs commands',
  'git command-execution option', 'ssh command option', 'non-literal program', 'terminal input', 'exec of stdin',
  // a line the analysis could not finish
  'unparseable command', 'nesting too deep', 'command too complex', 'analysis failed', 'brace expansion too large',
]);

/** The first construct of the analysis that hides the code it runs, if any. */
export function hiddenCode(a: ShellAnalysis): Unresolvable | undefined {
  return a.unresolvable.find((u) => HIDDEN_CODE.has(u.construct));
}
