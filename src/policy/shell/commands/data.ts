// When what a command produces is data rather than a disguise: process substitution `<( )` read by a command that
// only reads its operands, and decoded output that goes to a file.
//
// Principle (issue 13, class 6): the commands inside `<( )` are analysed like any other command (deny rules name
// them, their files and hosts are checked); what they produce is data when the command reading it only reads its
// operands as data (a comparer, a sorter, a counter). It stays refused as `process substitution` when
//   - the reader is unknown, or may run what it reads (`bash <(curl ...)`, `source <(...)`, `awk -f <(...)`);
//   - the substitution only passes a file through unchanged (`<(cat f)`, `<(< f)`): that is the file under another
//     name, which no ordinary command line needs;
//   - it is `>( )`: its command is fed whatever the outer command writes, and bash does not wait for it, so it can
//     still be running after the line has returned.
import type { Statement } from '../parser.ts';

/** Commands that only read their operands as data, so a `<( )` operand of theirs is data. */
export const PROCSUB_READERS = new Set([
  'diff', 'diff3', 'colordiff', 'cmp', 'comm', 'join', 'paste', 'sort', 'uniq', 'wc', 'grep', 'egrep',
  'fgrep', 'head', 'tail', 'cut', 'nl', 'tac', 'column', 'md5sum', 'sha1sum', 'sha256sum', 'sha512sum', 'b2sum', 'cksum',
  'jq',
]);

/** Whether a `<( )` body only copies a file to its output: `cat f`, `< f`. */
export function passesFileThrough(stmts: readonly Statement[]): boolean {
  if (stmts.length !== 1) return false;
  const cmd = stmts[0].command;
  if (cmd.type !== 'Command') return false;
  const name = cmd.name;
  if (!name) return cmd.redirects.some((r) => r.type === 'Redirect' && r.operator === '<');
  return name.text === 'cat' || /(^|\/)cat$/.test(name.text);
}
