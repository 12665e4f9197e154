// The parser adapter: Bash source -> unbash's syntax tree, and whether any of it failed to parse.
//
// unbash (pure TypeScript, no dependencies) is a tolerant parser: it returns a best-effort tree with errors, and it
// parses word parts, `$( )` bodies and here-document bodies lazily, on first access, each nested script carrying
// its own errors. A command is only analysed when ALL of it parsed, so parseScript() visits every node once (which
// resolves every lazy part) and collects every error before the walk starts; a tree with an error is never walked.
// unbash bounds nesting itself (an error past its limit, not a stack overflow).
import { forEachChild, parse, type ParsedScript, type SyntaxNode } from 'unbash';

export type * from 'unbash';

export interface Parsed { script: ParsedScript; error: string | null }

/** Parses `source`; `error` is the first parse error anywhere in it (substitutions and here-documents included). */
export function parseScript(source: string): Parsed {
  const script = parse(source);
  return { script, error: firstError(script, source) };
}

function firstError(root: ParsedScript, source: string): string | null {
  // Iterative: a 100 KB command has tens of thousands of nodes, and nesting goes as deep as unbash allows.
  const stack: SyntaxNode[] = [root];
  let found: { message: string; pos: number; src: string } | null = null;
  while (stack.length) {
    const n = stack.pop() as SyntaxNode;
    if (n.type === 'Script') {
      const errors = (n as ParsedScript).errors;
      if (errors?.length && !found) found = { ...errors[0], src: (n as ParsedScript).source ?? source };
      if (found) break;
    } else if (n.type === 'HereDoc' && n.delimiter?.text.includes('\n')) {
      // unbash reads an unterminated quote in a here-document word to the end of the input; bash stops with
      // "unexpected EOF while looking for matching quote" and runs nothing of it.
      found = { message: 'unterminated quote in here-document delimiter', pos: n.delimiter.pos, src: source };
      break;
    }
    forEachChild(n, (child) => { stack.push(child); });
  }
  if (!found) return null;
  const before = found.src.slice(0, found.pos);
  const line = before.split('\n').length;
  const col = found.pos - before.lastIndexOf('\n');
  return `${line}:${col}: ${found.message}`;
}
