// Matching `Bash:` rules against the simple commands the analysis derived, robust to how a command is spelled:
// flags split, merged, reordered or given long (`rm --recursive --force /` meets `rm -rf /*`), git's global options.
import { compileGlob, type Glob } from '../patterns.ts';
import { keyOf, type SimpleCommand } from './types.ts';

interface PatternInfo {
  head: string | null;    // the command name when the pattern starts with a glob-free word
  canon: Glob | null;     // the pattern with its flags split and sorted
  flags: Set<string>;     // the pattern's flags, canonical
  fills: string[];        // literal stand-ins for a dynamic argument
}

const patternCache = new Map<string, PatternInfo>();
const GLOB_CHARS = /[*?[\]{}\\]/;

// Spellings of the same flag, so that `rm --recursive --force /` meets a rule written `rm -rf /*`.
const FLAG_ALIASES: Record<string, Record<string, string>> = {
  rm: { R: 'r', '--recursive': 'r', '--force': 'f', '--dir': 'd', '--verbose': 'v', '--interactive': 'i' },
  cp: { R: 'r', '--recursive': 'r', '--force': 'f' },
  chmod: { '--recursive': 'R' }, chown: { '--recursive': 'R' }, chgrp: { '--recursive': 'R' },
  git: { '--force': 'f' },
};

interface Canon { shorts: Set<string>; longs: Set<string>; operands: string[] }

function canonicalize(name: string, rest: string[], patternMode: boolean): Canon {
  const aliases = FLAG_ALIASES[name] ?? {};
  const shorts = new Set<string>();
  const longs = new Set<string>();
  const operands: string[] = [];
  let endOpts = false;
  for (let t of rest) {
    if (endOpts) { operands.push(t); continue; }
    if (t === '--') { endOpts = true; continue; }
    let star = false;
    if (patternMode && t.length > 2 && t.endsWith('*') && !GLOB_CHARS.test(t.slice(0, -1))) { t = t.slice(0, -1); star = true; }
    if (/^-[A-Za-z]+$/.test(t)) {
      for (const ch of t.slice(1)) shorts.add(aliases[ch] ?? ch);
    } else if (/^--[A-Za-z][A-Za-z0-9-]*$/.test(t)) {
      const a = aliases[t];
      if (a) shorts.add(a); else longs.add(t);
    } else {
      operands.push(star ? `${t}*` : t);
      continue;
    }
    if (star) operands.push('*');
  }
  return { shorts, longs, operands };
}

function render(name: string, c: Canon, keep?: Set<string>): string {
  const words = [name];
  for (const s of [...c.shorts].sort()) if (!keep || keep.has(s)) words.push(`-${s}`);
  for (const l of [...c.longs].sort()) if (!keep || keep.has(l)) words.push(l);
  if (c.operands.some((o) => o.startsWith('-') && !GLOB_CHARS.test(o))) words.push('--');
  let out = words.join(' ');
  c.operands.forEach((o, i) => {
    // A trailing lone `*` of a pattern also matches nothing after the flags (`git push --force*` vs `git push -f`).
    out += o === '*' && i === c.operands.length - 1 ? '*' : ` ${o}`;
  });
  return out;
}

/** The subject glob of `source`, which may be given whole (`Bash:rm -rf /*`) or as the subject alone. */
function subjectSource(source: string): string {
  const colon = source.indexOf(':');
  if (colon <= 0) return source;
  const tool = source.slice(0, colon);
  if (/\s/.test(tool)) return source;
  try {
    return compileGlob(tool.toLowerCase(), 'text').matches('bash') ? source.slice(colon + 1) : source;
  } catch {
    return source;
  }
}

function patternInfo(fullSource: string): PatternInfo {
  const cached = patternCache.get(fullSource);
  if (cached) return cached;
  const source = subjectSource(fullSource);
  const tokens = source.trim().split(/[ \t]+/).filter(Boolean);
  const head = tokens[0] && !GLOB_CHARS.test(tokens[0]) ? tokens[0] : null;
  let canon: Glob | null = null;
  let flags = new Set<string>();
  // Canonical forms only for patterns whose glob syntax cannot span words.
  if (head && tokens.length > 1 && !/[{}[\]\\]/.test(source)) {
    const c = canonicalize(head, tokens.slice(1), true);
    flags = new Set([...c.shorts, ...c.longs]);
    try { canon = compileGlob(render(head, c), 'text'); } catch { canon = null; }
  }
  const strip = (t: string) => t.replace(/[*?]/g, '').replace(/\[[^\]]*\]/g, 'x');
  const words = tokens.slice(1).map(strip).filter(Boolean);
  const fills = [...new Set([...words, words.join(' ')])].filter(Boolean).slice(0, 16);
  const info: PatternInfo = { head, canon, flags, fills };
  if (patternCache.size > 1024) patternCache.clear();
  patternCache.set(fullSource, info);
  return info;
}

/**
 * Whether a `Bash:` subject glob (a predicate on a command text) matches a derived command, robust to flag
 * splitting/ordering: `rm -r -f /`, `rm -fr /`, `rm  -rf /`, `'rm' '-rf' '/'` must all match a pattern written
 * `rm -rf /*`. `patternSource` is the subject glob (`rm -rf /*`) or the whole tool pattern (`Bash:rm -rf /*`).
 *
 * `purpose` (default 'deny', also right for requireApproval) adds over-approximations that only make sense when a
 * match is the cautious answer: extra flags are ignored (`rm -rfv /`) and, when the pattern names this command, a
 * non-literal argument may stand for any word of the pattern (`rm -rf $X`). Pass 'allow' for allow rules, where a
 * match must mean the command really is the one the rule describes.
 */
export function commandMatches(matches: (text: string) => boolean, patternSource: string, cmd: SimpleCommand,
  purpose: 'deny' | 'allow' = 'deny'): boolean {
  try {
    if (matches(cmd.text)) return true;
    if (cmd.path && cmd.path !== cmd.name && matches([cmd.path, ...cmd.args].join(' '))) return true;
    if (!cmd.name) return false;
    const info = patternInfo(patternSource);
    const deny = purpose !== 'allow';
    const names = [cmd.name];
    // Case-insensitive file systems (macOS) run `CURL` as curl.
    if (deny && cmd.name.toLowerCase() !== cmd.name) names.push(cmd.name.toLowerCase());
    const tryForms = (name: string, f: ArgForms): boolean => {
      if (matches(f.joined)) return true;
      if (!info.canon) return false;
      if (info.canon.matches(f.rendered)) return true;
      return deny && info.head === name && info.canon.matches(renderKeeping(name, f, info.flags));
    };
    for (const name of names) {
      // Every form tried below starts with `name`, and a pattern whose first word is the literal `head` only matches
      // a text that starts with it: the forms (most of this function's cost) are not worth computing otherwise.
      if (info.head !== null && !name.startsWith(info.head)) continue;
      for (const f of commandForms(cmd, name, deny)) if (tryForms(name, f)) return true;
      if (deny && info.head === name && cmd.dynamicArgs.length) {
        for (const idx of cmd.dynamicArgs.slice(0, 8)) {
          for (const fill of info.fills) {
            if (tryForms(name, argForms(name, [...cmd.args.slice(0, idx), ...fill.split(' '), ...cmd.args.slice(idx + 1)]))) return true;
          }
        }
      }
    }
    return false;
  } catch {
    return purpose !== 'allow';
  }
}

/** The pattern-independent texts commandMatches tries for one command name and argument list. */
interface ArgForms { joined: string; canon: Canon; rendered: string; keeping?: Map<Set<string>, string> }

function argForms(name: string, rest: string[]): ArgForms {
  const canon = canonicalize(name, rest, false);
  return { joined: [name, ...rest].join(' '), canon, rendered: render(name, canon) };
}

/** The canonical form with only a pattern's own flags, remembered per pattern (several rules share a command). */
function renderKeeping(name: string, f: ArgForms, flags: Set<string>): string {
  f.keeping ??= new Map();
  let text = f.keeping.get(flags);
  if (text === undefined) f.keeping.set(flags, (text = render(name, f.canon, flags)));
  return text;
}

/**
 * The forms of a command's own arguments (and, for git, without its global options: `git -C dir push` is still
 * `git push`), computed once per command instead of once per rule: a policy's deny rules are all tried against every
 * command, and these forms were most of a decision's time (bench/, BENCHMARKS.md).
 */
const formsByCommand = new WeakMap<SimpleCommand, Map<string, ArgForms[]>>();

function commandForms(cmd: SimpleCommand, name: string, deny: boolean): ArgForms[] {
  let byName = formsByCommand.get(cmd);
  if (!byName) formsByCommand.set(cmd, (byName = new Map()));
  const key = deny ? `d:${name}` : `a:${name}`;
  let forms = byName.get(key);
  if (!forms) {
    forms = [argForms(name, cmd.args)];
    if (deny && keyOf(name) === 'git') {
      const inner = withoutGitGlobals(cmd.args);
      if (inner.length !== cmd.args.length) forms.push(argForms(name, inner));
    }
    byName.set(key, forms);
  }
  return forms;
}

function withoutGitGlobals(args: string[]): string[] {
  let i = 0;
  while (i < args.length && args[i].startsWith('-')) {
    i += ['-C', '-c', '--git-dir', '--work-tree', '--namespace', '--config-env', '--super-prefix'].includes(args[i]) ? 2 : 1;
  }
  return args.slice(i);
}
