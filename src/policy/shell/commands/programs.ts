// Tools that run programs of their own language or schedule commands: make (--eval), cmake (-E env, -P), sqlite3
// (SQL functions and dot-commands that open files or run commands), ed (commands from stdin), emacs (Lisp), m4
// (macros), database clients (SQL), at/batch and crontab (commands that run later, outside this session). The text of
// each program goes to Sink.program, so the paths it names are checked whatever the language. One handler each.
import { literalArg, type Call, type Sink } from '../types.ts';
import { scan } from '../options.ts';
import { FILE_CMDS, fileArgs } from './files.ts';
import type { Handler } from './builtins.ts';

const make: Handler = (s, name, _key, args, c) => {
  const o = scan(args, { v: 'fCIjloWE', vl: ['--file', '--makefile', '--directory', '--include-dir', '--jobs',
    '--load-average', '--old-file', '--what-if', '--new-file', '--assume-new', '--assume-old', '--eval'], ops: 'none' });
  for (const x of o.opts) {
    if (['-f', '--file', '--makefile'].includes(x.name)) s.codeFile(x.value, name, c); // a makefile is code: make -f -
    if (x.name === '-E' || x.name === '--eval') {
      s.unres('interpreter inline code', c.src);
      s.programArg(x.value, name, c.src);
    }
  }
};

const cmake: Handler = (s, name, _key, args, c) => {
  const at = args.findIndex((a) => a.literal && a.value === '-P');
  if (at >= 0) s.file(args[at + 1], 'read', name);
  if (args[0]?.literal && args[0].value === '-E' && args[1]?.literal && args[1].value === 'env') {
    // cmake -E env [--unset=NAME] [NAME=VALUE]... COMMAND [ARG]...
    let j = 2;
    while (args[j]?.literal && (/^--unset=/.test(args[j].value) || args[j].value === '--modify' || /^[^=-][^=]*=/.test(args[j].value))) j++;
    if (args[j]?.literal && args[j].value === '--') j++;
    if (args[j]) s.run(args.slice(j), c, 'cmake -E env');
  }
};

/** Dot-commands and SQL functions of sqlite3 that reach files or run commands. */
function sqliteProgram(s: Sink, name: string, text: string, c: Call): void {
  s.program(text, name);
  if (/^\s*\.(shell|system|load)\b|^\s*\.(once|output|excel)\s+(-[a-z]+\s+)*\|/im.test(text) || /\b(load_extension|edit)\s*\(/i.test(text)) {
    s.unres('interpreter inline code', c.src);
  }
  for (const m of text.matchAll(/\breadfile\s*\(\s*'((?:''|[^'])*)'/gi)) s.file(literalArg(m[1].replace(/''/g, "'")), 'read', name);
  for (const m of text.matchAll(/\bwritefile\s*\(\s*'((?:''|[^'])*)'/gi)) s.file(literalArg(m[1].replace(/''/g, "'")), 'write', name);
  for (const m of text.matchAll(/^\s*\.(read|import)\s+(?:-[a-z]+\s+)*("[^"]*"|'[^']*'|\S+)/gim)) s.file(literalArg(m[2].replace(/^["']|["']$/g, '')), 'read', name);
  for (const m of text.matchAll(/^\s*\.(output|once|save|backup|dump)\s+(?:-[a-z]+\s+)*("[^"]*"|'[^']*'|[^\s|]\S*)/gim)) {
    s.file(literalArg(m[2].replace(/^["']|["']$/g, '')), 'write', name);
  }
  if (/\breadfile\s*\(\s*[^'\s]|\bwritefile\s*\(\s*[^'\s]/i.test(text)) s.unres('dynamic file argument', c.src);
}

const sqlite3: Handler = (s, name, _key, rawArgs, c) => {
  // sqlite3 takes its options with one dash or two (`--cmd` is `-cmd`).
  const args = rawArgs.map((a) => (a.literal && /^--[a-z]/.test(a.value) ? { ...a, value: a.value.slice(1) } : a));
  const o = scan(args, { vl: ['-cmd', '-init', '-separator', '-nullvalue', '-newline', '-vfs', '-maxsize', '-mmap',
    '-pagecache', '-lookaside', '-heap', '-escape'], ops: 'none' });
  for (const x of o.opts) {
    if (x.name === '-init') s.codeFile(x.value, name, c);
    if (x.name === '-cmd' && x.value) {
      if (x.value.literal) sqliteProgram(s, name, x.value.value, c); else s.programArg(x.value, name, c.src);
    }
  }
  const [db, ...sql] = o.operands;
  if (db) { s.file(db, 'read', name); s.file(db, 'write', name); }
  for (const a of sql) {
    if (a.literal) sqliteProgram(s, name, a.value, c); else s.programArg(a, name, c.src);
  }
  if (!sql.length) {
    if (c.stdin.kind === 'heredoc' && c.stdin.body !== null) sqliteProgram(s, name, c.stdin.body, c);
    else s.codeFromStdin(c, 'interpreter', name);
  }
};

/** ed and ex read editing commands from stdin, and `!cmd` in them runs a command. */
const ed: Handler = (s, name, _key, args, c) => {
  fileArgs(s, name, FILE_CMDS.ed, args, c);
  if (c.stdin.kind === 'heredoc' && c.stdin.body !== null) {
    if (/^\s*([0-9,.$]*\s*[rwe]\s*)?!/m.test(c.stdin.body)) s.unres('interpreter inline code', c.src);
    s.program(c.stdin.body, name); // `r .env`, `w secrets/x`
  } else s.codeFromStdin(c, 'interpreter', name);
};

/**
 * at, batch and crontab: commands that run later, outside this session and its checks. What a here-document or a
 * literal script would run is still derived (so rules name it), and the call is marked.
 */
const at: Handler = (s, name, _key, args, c) => {
  const o = scan(args, { v: 'fqtM', ops: 'none' });
  if (o.flags.has('-l') || o.flags.has('-c') || o.flags.has('-d') || o.flags.has('-r')) return; // list, show, remove
  const file = o.opts.find((x) => x.name === '-f')?.value;
  if (file) s.file(file, 'read', name);
  else s.shellStdin(c);
  s.unres('scheduled command', c.src);
};

const crontab: Handler = (s, name, _key, args, c) => {
  const o = scan(args, { v: 'uC', ops: 'none' });
  if (o.flags.has('-l') || o.flags.has('-r') || o.flags.has('-T')) return;
  for (const f of o.operands) s.file(f, 'read', name);
  if (!o.operands.length || o.operands.some((a) => a.literal && a.value === '-')) s.shellStdin(c);
  s.unres('scheduled command', c.src);
};

/**
 * emacs runs Lisp: `--eval` (and every operand of `emacsclient -e`) is inline code, `-l`/`--load`/`--script` files
 * are scripts it reads and runs; the other operands are files it edits.
 */
const EMACS_EVAL = ['--eval', '-eval', '--execute', '-execute'];
const EMACS_LOAD = ['-l', '--load', '-load', '--script', '-script', '-scriptload'];
const EMACS_VALUE = ['-f', '--funcall', '-funcall', '-L', '--directory', '-directory', '--insert', '-insert', '-t',
  '--terminal', '-d', '--display', '-u', '--user', '--chdir', '-chdir', '-s', '--socket-name', '-a', '--alternate-editor'];

const emacs: Handler = (s, name, key, args, c) => {
  const files: typeof args = [];
  let evalAll = false; // emacsclient -e: every operand is an expression
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.literal) { if (evalAll) s.programArg(a, name, c.src); else files.push(a); continue; }
    const eq = a.value.startsWith('--') ? a.value.indexOf('=') : -1;
    const opt = eq > 0 ? a.value.slice(0, eq) : a.value;
    const value = () => (eq > 0 ? literalArg(a.value.slice(eq + 1)) : args[++i]);
    if (key === 'emacsclient' && (opt === '-e' || opt === '--eval')) { evalAll = true; s.unres('interpreter inline code', c.src); continue; }
    if (EMACS_EVAL.includes(opt)) {
      s.unres('interpreter inline code', c.src);
      s.programArg(value(), name, c.src);
      continue;
    }
    if (EMACS_LOAD.includes(opt)) {
      s.codeFile(value(), name, c);
      continue;
    }
    if (EMACS_VALUE.includes(opt)) { value(); continue; }
    if (opt.startsWith('-') && opt.length > 1) continue;
    if (evalAll) s.programArg(a, name, c.src);
    else files.push(a);
  }
  if (!evalAll) for (const f of files) if (!(f.literal && /^\+\d+(:\d+)?$/.test(f.value))) { s.file(f, 'read', name); s.file(f, 'write', name); }
};

/**
 * Database clients run the SQL they are given, and their SQL names files: `source .env` (mysql), `\i`/`\copy` (psql),
 * `read_csv('.env')` (duckdb). Inline SQL is inline code; a file of SQL is a script.
 */
const SQL_CLIENTS: Record<string, { inline: string[]; script: string[]; sqlOperands?: boolean }> = {
  mysql: { inline: ['-e', '--execute'], script: [] }, mariadb: { inline: ['-e', '--execute'], script: [] },
  psql: { inline: ['-c', '--command'], script: ['-f', '--file'] },
  duckdb: { inline: ['-c', '-s', '-cmd'], script: ['-init', '-f'], sqlOperands: true }, // duckdb [DB] [SQL]
  'clickhouse-client': { inline: ['-q', '--query'], script: ['--queries-file'] },
};

const sqlClient: Handler = (s, name, key, args, c) => {
  const spec = SQL_CLIENTS[key];
  let inline = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.literal) continue;
    const eq = a.value.startsWith('--') ? a.value.indexOf('=') : -1;
    const opt = eq > 0 ? a.value.slice(0, eq) : a.value;
    const glued = spec.inline.find((o) => o.length === 2 && opt.startsWith(o) && opt.length > 2);
    if (spec.inline.includes(opt) || glued) {
      inline = true;
      s.unres('interpreter inline code', c.src);
      s.programArg(glued ? literalArg(opt.slice(2)) : eq > 0 ? literalArg(a.value.slice(eq + 1)) : args[++i], name, c.src);
    } else if (spec.script.includes(opt)) {
      inline = true;
      s.file(eq > 0 ? literalArg(a.value.slice(eq + 1)) : args[++i], 'read', name);
    }
  }
  if (spec.sqlOperands) {
    const operands = args.filter((a, i) => !(a.literal && a.value.startsWith('-')) && !(i > 0 && args[i - 1].literal && [...spec.inline, ...spec.script].includes(args[i - 1].value)));
    for (const sql of operands.slice(1)) { inline = true; s.unres('interpreter inline code', c.src); s.programArg(sql, name, c.src); }
  }
  if (!inline) s.codeFromStdin(c, 'interpreter', name); // SQL piped in or in a here-document (its paths are checked)
};

/** m4 is a macro language: `include`/`sinclude` read files, `syscmd`/`esyscmd` run commands; its input is its program. */
const m4: Handler = (s, name, _key, args, c) => {
  const o = scan(args, { v: 'DUIdlotFRL', vl: ['--define', '--undefine', '--include', '--debugfile', '--freeze-state',
    '--reload-state', '--arglength', '--trace', '--nesting-limit', '--hashsize'], ops: 'none' });
  for (const x of o.opts) if (x.name === '-R' || x.name === '--reload-state') s.file(x.value, 'read', name);
  for (const x of o.opts) if (x.name === '-F' || x.name === '--freeze-state' || x.name === '--debugfile') s.file(x.value, 'write', name);
  const files = o.operands.filter((a) => !(a.literal && a.value === '-'));
  for (const f of files) s.file(f, 'read', name);
  if (files.length === 0 || files.length < o.operands.length) s.codeFromStdin(c, 'interpreter', name);
};

export const PROGRAMS: Record<string, Handler> = {
  make, gmake: make, cmake, sqlite3, ed, at, batch: at, crontab, emacs, emacsclient: emacs, m4, gm4: m4,
  ...Object.fromEntries(Object.keys(SQL_CLIENTS).map((k) => [k, sqlClient])),
};

