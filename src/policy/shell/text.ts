// Pure string helpers of the shell analysis: the parts of Bash's word expansion it performs itself ($'...',
// backslashes in double quotes, brace expansion), quoting for re-parsing, and host names out of addresses.
import { MAX_BRACE_WORDS } from './types.ts';

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8');

/**
 * Decodes the body of `$'...'`. Escapes stand for bytes (`\xc3\xa9` is é), so the result is assembled as UTF-8 and
 * decoded once, as Bash would pass the bytes to a program that reads UTF-8.
 */
export function ansiC(s: string): string {
  if (!s.includes('\\')) return s;
  const bytes: number[] = [];
  const pushText = (t: string) => { for (const b of utf8Encoder.encode(t)) bytes.push(b); };
  const simple: Record<string, string> = { a: '\x07', b: '\b', e: '\x1b', E: '\x1b', f: '\f', n: '\n', r: '\r',
    t: '\t', v: '\v', '\\': '\\', "'": "'", '"': '"', '?': '?' };
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch !== '\\' || i + 1 >= s.length) { pushText(ch); continue; }
    const n = s[++i];
    if (n in simple) { pushText(simple[n]); continue; }
    const take = (re: RegExp, max: number): string => {
      let d = '';
      while (d.length < max && i + 1 < s.length && re.test(s[i + 1])) d += s[++i];
      return d;
    };
    if (n >= '0' && n <= '7') {
      bytes.push(parseInt(n + take(/[0-7]/, 2), 8) & 0xff);
    } else if (n === 'x') {
      const d = take(/[0-9a-fA-F]/, 2);
      if (d) bytes.push(parseInt(d, 16)); else pushText('\\x');
    } else if (n === 'u' || n === 'U') {
      const d = take(/[0-9a-fA-F]/, n === 'u' ? 4 : 8);
      if (d) { const cp = parseInt(d, 16); pushText(String.fromCodePoint(cp > 0x10ffff ? 0xfffd : cp)); } else pushText(`\\${n}`);
    } else if (n === 'c' && i + 1 < s.length) {
      bytes.push(s.charCodeAt(++i) & 0x1f);
    } else pushText(`\\${n}`);
  }
  return utf8Decoder.decode(new Uint8Array(bytes));
}

/** Backslash removal inside double quotes: only \$ \` \" \\ and a newline are escapes. */
export function dqUnescape(s: string): string {
  if (!s.includes('\\')) return s;
  return s.replace(/\\([$`"\\\n])/g, (_m, c: string) => (c === '\n' ? '' : c));
}

/** Backslash removal in an unquoted here-document body: \$ \` \\ and a newline. */
export function heredocUnescape(s: string): string {
  return s.replace(/\\([$`\\\n])/g, (_m, c: string) => (c === '\n' ? '' : c));
}

/** Blanks out string and regex literals of an awk program, so that `/a|b/` or `"a|b"` is not read as a pipe. */
export function stripAwkLiterals(p: string): string {
  return p.replace(/"(?:\\.|[^"\\])*"/g, '""')
    .replace(/(^|[({,;!~&|]\s*|\n\s*)\/(?:\\.|\[(?:\\.|[^\]\\])*\]|[^/\\\n])*\//g, '$1//');
}

/** Quotes a string for re-parsing as one shell word. */
export function shQuote(s: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** `user@host:port`, `[v6]:port`, `host:path`, `ssh://user@host:port/x` → host. */
export function hostOf(s: string): string {
  let v = s.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  v = v.slice(v.lastIndexOf('@', v.indexOf('/') < 0 ? v.length : v.indexOf('/')) + 1);
  const v6 = /^\[([^\]]*)\]/.exec(v);
  if (v6) return v6[1];
  return v.split(/[/:]/)[0];
}

/** Whether `script` might assign `name` other than by a for loop (so binding loop items could be wrong). */
export function mayAssign(name: string, script: string): boolean {
  const n = name.replace(/[^A-Za-z0-9_]/g, '');
  return new RegExp(`(^|[^\\w$])${n}(\\[[^\\]]*\\])?\\+?=|\\$\\{${n}:?[=?]|\\b(read|mapfile|readarray|printf|declare|typeset|local|export|let|eval|source|unset|getopts|alias|trap)\\b|(^|\\s)\\.\\s|\\(\\(`)
    .test(script);
}

/**
 * Bash brace expansion over the unquoted characters of a word (`active`): `a{b,c}d`, `{1..3}`, `{a..c}`, nested.
 * Returns null when the result would be too large.
 */
export function braceExpand(text: string, active: boolean[]): string[] | null {
  const out: string[] = [];
  let budget = 1 << 20; // characters produced
  let steps = 4 * text.length + (1 << 20); // characters scanned: `{{{{...}}}}` would otherwise be quadratic
  const rec = (t: string, act: boolean[]): boolean => {
    for (let i = 0; i < t.length; i++) {
      if (!act[i] || t[i] !== '{') continue;
      let depth = 0;
      const commas: number[] = [];
      let close = -1;
      for (let j = i + 1; j < t.length; j++) {
        if (--steps < 0) return false;
        if (!act[j]) continue;
        if (t[j] === '{') depth++;
        else if (t[j] === '}') { if (depth === 0) { close = j; break; } depth--; }
        else if (t[j] === ',' && depth === 0) commas.push(j);
      }
      if (close < 0) return finish(t);
      let alts: Array<[string, boolean[]]> = [];
      if (commas.length) {
        let start = i + 1;
        for (const c of [...commas, close]) { alts.push([t.slice(start, c), act.slice(start, c)]); start = c + 1; }
      } else {
        const seq = sequence(t.slice(i + 1, close));
        if (!seq) continue;
        alts = seq.map((s) => [s, new Array<boolean>(s.length).fill(false)]);
      }
      if (alts.length > MAX_BRACE_WORDS) return false;
      const pre = t.slice(0, i);
      const preA = act.slice(0, i);
      const post = t.slice(close + 1);
      const postA = act.slice(close + 1);
      for (const [s, a] of alts) if (!rec(pre + s + post, [...preA, ...a, ...postA])) return false;
      return true;
    }
    return finish(t);
  };
  const finish = (t: string): boolean => {
    budget -= t.length;
    out.push(t);
    return out.length <= MAX_BRACE_WORDS && budget >= 0;
  };
  return rec(text, active) ? out : null;
}

function sequence(body: string): string[] | null {
  const num = /^(-?\d+)\.\.(-?\d+)(?:\.\.(-?\d+))?$/.exec(body);
  const chr = /^([A-Za-z])\.\.([A-Za-z])(?:\.\.(-?\d+))?$/.exec(body);
  if (!num && !chr) return null;
  const m = (num ?? chr) as RegExpExecArray;
  const from = num ? Number(m[1]) : m[1].charCodeAt(0);
  const to = num ? Number(m[2]) : m[2].charCodeAt(0);
  const step = Math.abs(Number(m[3] ?? 1)) || 1;
  if (Math.abs(to - from) / step >= MAX_BRACE_WORDS) return Array.from({ length: MAX_BRACE_WORDS + 1 }, () => '');
  const out: string[] = [];
  for (let v = from; from <= to ? v <= to : v >= to; v += from <= to ? step : -step) {
    out.push(num ? String(v) : String.fromCharCode(v));
  }
  return out;
}
