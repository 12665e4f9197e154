// Globs for policy patterns, compiled once at load and matched in O(text x pattern) time whatever the input
// (a backtracking regular expression can take minutes on a 100 KB command against `*a*a*a*b`).
//
// Two dialects share one syntax: `*`, `**`, `?`, `[abc]`, `[a-z]`, `[!a-z]`, `{a,b}`, `\` escapes, the rest literal.
//   text: `*` and `?` match any character (tool subjects: commands, URLs, prompts).
//   path: `*` and `?` never match `/`; `**` matches anything, `/` included, but a literal `/` next to it must
//         still be there (`src/**/test/*.go` does not match `src/test/a.go`). A leading `**/` may also match nothing,
//         so `**/.env` matches `.env`.
// A pattern that cannot compile is an error at load, never a rule that silently matches nothing.

export type Dialect = 'text' | 'path';

export class GlobError extends Error {
  constructor(readonly pattern: string, readonly detail: string) {
    super(`invalid pattern ${JSON.stringify(pattern)}: ${detail}`);
    this.name = 'GlobError';
  }
}

type Token =
  | { k: 'lit'; c: number }
  | { k: 'one' }
  | { k: 'star' }
  | { k: 'dstar' }
  | { k: 'class'; neg: boolean; ranges: number[] };

export interface Glob {
  readonly source: string;
  matches(text: string): boolean;
  /**
   * Literals a matching text must contain, one per alternative of the pattern (`{a,b}`, the two readings of a leading
   * `**\/`): a text that contains none of them cannot match. Null when an alternative has no literal run of two
   * characters or more to offer. Lets a caller screen a text against a whole list of patterns at once (paths.ts).
   */
  readonly screen: readonly string[] | null;
}

const MAX_EXPANSIONS = 64;

/** Compiles a glob; throws GlobError when it is malformed. */
export function compileGlob(pattern: string, dialect: Dialect): Glob {
  const alternatives = expandBraces(pattern, pattern);
  const variants: string[] = [];
  for (const alt of alternatives) {
    variants.push(alt);
    if (dialect === 'path' && alt.startsWith('**/')) variants.push(alt.slice(3));
  }
  const unique = [...new Set(variants)];
  const matchers = unique.map((v) => compileOne(v, pattern, dialect));
  const longest = unique.map((v) => literalRuns(tokenize(v, pattern)).reduce((a, b) => (b.length > a.length ? b : a), ''));
  const screen = longest.every((r) => r.length >= 2) ? [...new Set(longest)] : null;
  if (matchers.length === 1) return { source: pattern, matches: matchers[0], screen };
  return { source: pattern, matches: (text: string) => matchers.some((m) => m(text)), screen };
}

/** Splits the top-level `{a,b}` alternatives of a pattern (nested braces allowed). */
function expandBraces(pattern: string, original: string): string[] {
  let depth = 0;
  let open = -1;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '\\') { i++; continue; }
    if (ch === '[') {
      const end = classEnd(pattern, i);
      if (end < 0) throw new GlobError(original, 'unterminated character class "["');
      i = end;
      continue;
    }
    if (ch === '{') { if (depth++ === 0) open = i; }
    else if (ch === '}') {
      if (depth === 0) throw new GlobError(original, 'unmatched "}"');
      if (--depth === 0) {
        const parts = splitTopLevel(pattern.slice(open + 1, i));
        const prefix = pattern.slice(0, open);
        const rest = expandBraces(pattern.slice(i + 1), original);
        const out: string[] = [];
        for (const part of parts) for (const inner of expandBraces(part, original)) for (const r of rest) {
          out.push(prefix + inner + r);
          if (out.length > MAX_EXPANSIONS) throw new GlobError(original, `more than ${MAX_EXPANSIONS} {a,b} alternatives`);
        }
        return out;
      }
    }
  }
  if (depth !== 0) throw new GlobError(original, 'unterminated "{"');
  return [pattern];
}

function splitTopLevel(body: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (ch === '\\') { i++; continue; }
    if (ch === '[') { i = Math.max(i, classEnd(body, i)); continue; }
    if (ch === '{') depth++;
    else if (ch === '}') depth--;
    else if (ch === ',' && depth === 0) { parts.push(body.slice(start, i)); start = i + 1; }
  }
  parts.push(body.slice(start));
  return parts;
}

/** Index of the `]` closing the class that opens at `i`, or -1. */
function classEnd(p: string, i: number): number {
  let j = i + 1;
  if (p[j] === '!' || p[j] === '^') j++;
  if (p[j] === ']') j++; // a leading ] is literal
  for (; j < p.length; j++) {
    if (p[j] === '\\') { j++; continue; }
    if (p[j] === ']') return j;
  }
  return -1;
}

function tokenize(p: string, original: string): Token[] {
  const tokens: Token[] = [];
  for (let i = 0; i < p.length; i++) {
    const ch = p[i];
    if (ch === '\\') {
      if (i + 1 >= p.length) throw new GlobError(original, 'trailing "\\"');
      tokens.push({ k: 'lit', c: p.charCodeAt(++i) });
    } else if (ch === '*') {
      if (p[i + 1] === '*') {
        while (p[i + 1] === '*') i++;
        tokens.push({ k: 'dstar' });
      } else tokens.push({ k: 'star' });
    } else if (ch === '?') tokens.push({ k: 'one' });
    else if (ch === '[') {
      const end = classEnd(p, i);
      if (end < 0) throw new GlobError(original, 'unterminated character class "["');
      let j = i + 1;
      let neg = false;
      if (p[j] === '!' || p[j] === '^') { neg = true; j++; }
      const ranges: number[] = [];
      const chars: number[] = [];
      for (; j < end; j++) chars.push(p[j] === '\\' ? p.charCodeAt(++j) : p.charCodeAt(j));
      if (chars.length === 0) throw new GlobError(original, 'empty character class');
      for (let k = 0; k < chars.length; k++) {
        if (chars[k + 1] === 45 /* - */ && k + 2 < chars.length) {
          if (chars[k] > chars[k + 2]) throw new GlobError(original, `reversed range in character class`);
          ranges.push(chars[k], chars[k + 2]);
          k += 2;
        } else ranges.push(chars[k], chars[k]);
      }
      tokens.push({ k: 'class', neg, ranges });
      i = end;
    } else if (ch === ']') {
      throw new GlobError(original, 'unmatched "]"');
    } else tokens.push({ k: 'lit', c: p.charCodeAt(i) });
  }
  return tokens;
}

const SLASH = 47;

function compileOne(p: string, original: string, dialect: Dialect): (text: string) => boolean {
  const tokens = tokenize(p, original);
  const pathMode = dialect === 'path';
  // Fast paths for the shapes most policies use.
  const literalText = (ts: Token[]) => String.fromCharCode(...ts.map((t) => (t as { c: number }).c));
  if (tokens.every((t) => t.k === 'lit')) {
    const literal = literalText(tokens);
    return (text) => text === literal;
  }
  const last = tokens[tokens.length - 1];
  const head = tokens.slice(0, -1);
  if (head.every((t) => t.k === 'lit') && (last.k === 'dstar' || (last.k === 'star' && !pathMode))) {
    const prefix = literalText(head);
    return (text) => text.startsWith(prefix);
  }
  // Every run of consecutive literal tokens matches consecutive characters, so a text that lacks one of them cannot
  // match: a substring search rules out most texts before the NFA runs (the NFA was the server's hottest function,
  // matching every path and argument against every `**/`-led deny pattern; BENCHMARKS.md).
  const required = literalRuns(tokens).filter((r) => r.length >= 2);
  if (required.length === 0) return (text) => runNfa(tokens, text, pathMode);
  return (text) => {
    for (const r of required) if (!text.includes(r)) return false;
    return runNfa(tokens, text, pathMode);
  };
}

/** The maximal runs of consecutive literal tokens, as strings. */
function literalRuns(tokens: Token[]): string[] {
  const runs: string[] = [];
  let run: number[] = [];
  for (const t of tokens) {
    if (t.k === 'lit') run.push(t.c);
    else if (run.length > 0) {
      runs.push(String.fromCharCode(...run));
      run = [];
    }
  }
  if (run.length > 0) runs.push(String.fromCharCode(...run));
  return runs;
}

function classMatches(t: { neg: boolean; ranges: number[] }, c: number): boolean {
  let hit = false;
  for (let r = 0; r < t.ranges.length; r += 2) if (c >= t.ranges[r] && c <= t.ranges[r + 1]) { hit = true; break; }
  return hit !== t.neg;
}

/** Thompson-style simulation: the set of pattern positions reachable after each character. */
function runNfa(tokens: Token[], text: string, pathMode: boolean): boolean {
  const m = tokens.length;
  let current = new Uint8Array(m + 1);
  let next = new Uint8Array(m + 1);
  const addClosure = (set: Uint8Array, i: number) => {
    while (i <= m && !set[i]) {
      set[i] = 1;
      const t = tokens[i];
      if (!t || (t.k !== 'star' && t.k !== 'dstar')) return;
      i++;
    }
  };
  addClosure(current, 0);
  for (let pos = 0; pos < text.length; pos++) {
    const c = text.charCodeAt(pos);
    next.fill(0);
    let alive = false;
    for (let i = 0; i < m; i++) {
      if (!current[i]) continue;
      const t = tokens[i];
      switch (t.k) {
        case 'lit':
          if (t.c === c) { addClosure(next, i + 1); alive = true; }
          break;
        case 'one':
          if (!(pathMode && c === SLASH)) { addClosure(next, i + 1); alive = true; }
          break;
        case 'class':
          if (!(pathMode && c === SLASH) && classMatches(t, c)) { addClosure(next, i + 1); alive = true; }
          break;
        case 'star':
          if (!(pathMode && c === SLASH)) { addClosure(next, i); alive = true; }
          break;
        case 'dstar':
          addClosure(next, i);
          alive = true;
          break;
      }
    }
    if (!alive) return false;
    [current, next] = [next, current];
  }
  return current[m] === 1;
}

/** A tool pattern: `Tool` or `Tool:glob`, split at the first colon. */
export interface ToolPattern {
  readonly source: string;
  readonly tool: Glob;
  readonly toolLower: Glob;
  readonly subject: Glob | null;
}

export function compileToolPattern(source: string): ToolPattern {
  const colon = source.indexOf(':');
  const toolPart = colon < 0 ? source : source.slice(0, colon);
  if (toolPart === '') throw new GlobError(source, 'the tool name before ":" is empty');
  try {
    return {
      source,
      tool: compileGlob(toolPart, 'text'),
      toolLower: compileGlob(toolPart.toLowerCase(), 'text'),
      subject: colon < 0 ? null : compileGlob(source.slice(colon + 1), 'text'),
    };
  } catch (e) {
    // Name the whole entry as written in the policy, not just the half that failed.
    if (e instanceof GlobError) throw new GlobError(source, e.detail);
    throw e;
  }
}

/**
 * Whether a tool pattern covers a tool name (any subject). Deny-side checks pass `foldCase` so that a rule
 * for `Bash` also stops a client that says `bash`: a deny must never be dodged by spelling.
 */
export function toolNameMatches(p: ToolPattern, toolName: string, foldCase = false): boolean {
  return foldCase ? p.toolLower.matches(toolName.toLowerCase()) : p.tool.matches(toolName);
}

export function toolPatternMatches(p: ToolPattern, toolName: string, subject: string, foldCase = false): boolean {
  if (!toolNameMatches(p, toolName, foldCase)) return false;
  return p.subject === null || p.subject.matches(subject);
}
