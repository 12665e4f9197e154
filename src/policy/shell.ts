// Static analysis of a Bash command line for the policy evaluator: which simple commands can run, which files
// they read or write, which hosts they reach, and what cannot be known without running it.
//
// The command is parsed with mvdan/sh (the `mvdan-sh` GopherJS build), never with regular expressions, so quoting,
// escapes, chains, pipelines, groups, substitutions and compound commands mean what Bash means by them. The module
// is pure: no I/O, no console output, and analyzeShell never throws.
//
// Performance: the generated JS wrappers that mvdan-sh hands out are rebuilt on every property access and cost
// ~30 µs each, which made a 100 KB command take seconds and grow faster than linearly. We therefore read the Go
// structs behind the wrappers (`__internal_object__`) directly: slices are {$array,$offset,$length}, strings are
// UTF-8 byte strings, nil pointers are per-type sentinels. The token numbers of operators are learnt from a probe
// parse at load time instead of being hard-coded, and a failed probe disables the analyzer (fail closed).
import { createRequire } from 'node:module';
import type sh from 'mvdan-sh';
import { compileGlob, type Glob } from './patterns.ts';

export interface SimpleCommand {
  name: string;
  path: string;
  args: string[];
  dynamicArgs: number[];
  text: string;
  via: string;
}
export interface FileAccess { path: string; mode: 'read' | 'write'; command: string }
export interface NetworkTarget { target: string; command: string }
export interface Unresolvable { construct: string; detail: string }
export interface ShellAnalysis {
  commands: SimpleCommand[];
  files: FileAccess[];
  network: NetworkTarget[];
  unresolvable: Unresolvable[];
}

// ---------------------------------------------------------------------------------------------------------------
// Parser loading

type ShModule = typeof sh;
// A Go value inside the GopherJS runtime; its shape is checked by the probe in loadParser().
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Raw = any;

interface Ops {
  rdrIn: number; rdrOut: number; appOut: number; rdrInOut: number; clbOut: number; dplIn: number; dplOut: number;
  rdrAll: number; appAll: number; hdoc: number; dashHdoc: number; wordHdoc: number;
  and: number; or: number; pipe: number; pipeAll: number; procIn: number; procOut: number;
}
interface Loaded { parse(src: string): Raw; ops: Ops }

let loaded: Loaded | null = null;
let loadFailure: string | null = null;

function loadModule(): ShModule {
  // GopherJS sets Error.stackTraceLimit to Infinity when it loads, which would make every later stack overflow
  // (and every error anywhere in the server) capture unbounded stacks.
  const limit = Error.stackTraceLimit;
  try {
    try {
      // In the esbuild bundles this require() is rewritten into the bundled module's lazy initialiser, so the
      // ~70 ms load happens on the first analysis instead of at server start.
      return require('mvdan-sh') as ShModule;
    } catch (e) {
      // Unbundled ESM (the test build keeps packages external) has no require(): resolve from the working
      // directory or the entry script.
      for (const base of [`${process.cwd()}/`, process.argv[1]]) {
        try {
          if (base) return createRequire(base)('mvdan-sh') as ShModule;
        } catch { /* next */ }
      }
      throw e;
    }
  } finally {
    Error.stackTraceLimit = limit;
  }
}

function errorText(e: unknown): string {
  const err = e as { Error?: () => string; message?: string } | null;
  if (err && typeof err.Error === 'function') return String(err.Error());
  if (e instanceof RangeError) return 'too deeply nested';
  if (err && typeof err.message === 'string') return err.message;
  return String(e);
}

function loadParser(): Loaded | null {
  if (loaded || loadFailure) return loaded;
  try {
    const parser = loadModule().syntax.NewParser();
    const parse = (src: string): Raw => {
      const file = parser.Parse(src, '').__internal_object__ as Raw;
      if (!file || !file.Stmts || !Array.isArray(file.Stmts.$array)) throw new Error('unexpected mvdan-sh internals');
      return file;
    };
    loaded = { parse, ops: probeOps(parse) };
  } catch (e) {
    loadFailure = errorText(e);
  }
  return loaded;
}

function probeOps(parse: (src: string) => Raw): Ops {
  const stmts = list(parse(
    'a <a >b >>c <>d >|e <&f >&g &>h &>>i <<<j\nk <<X\nX\nl <<-X\nX\nm && n\no || p\nq | r\ns |& t\nu <(v) >(w)\n',
  ).Stmts);
  const r = list(stmts[0].Redirs).map((x) => x.Op as number);
  const procs = list(stmts[7].Cmd.Args).slice(1).map((w) => list(w.Parts)[0].Op as number);
  const ops: Ops = {
    rdrIn: r[0], rdrOut: r[1], appOut: r[2], rdrInOut: r[3], clbOut: r[4], dplIn: r[5], dplOut: r[6], rdrAll: r[7],
    appAll: r[8], wordHdoc: r[9], hdoc: list(stmts[1].Redirs)[0].Op, dashHdoc: list(stmts[2].Redirs)[0].Op,
    and: stmts[3].Cmd.Op, or: stmts[4].Cmd.Op, pipe: stmts[5].Cmd.Op, pipeAll: stmts[6].Cmd.Op,
    procIn: procs[0], procOut: procs[1],
  };
  const values = Object.values(ops);
  if (values.some((v) => typeof v !== 'number') || new Set(values).size !== values.length) {
    throw new Error('unexpected mvdan-sh operator tokens');
  }
  return ops;
}

// ---------------------------------------------------------------------------------------------------------------
// Byte strings: mvdan-sh stores Go strings as one JS char per UTF-8 byte and reports byte offsets, so the analysis
// works on the UTF-8 bytes of the command and decodes only what it returns.

const NON_ASCII = /[^\x00-\x7f]/;
const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8');

function toBytes(s: string): string {
  if (!NON_ASCII.test(s)) return s;
  const bytes = utf8Encoder.encode(s);
  let out = '';
  for (let i = 0; i < bytes.length; i += 8192) out += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return out;
}

function fromBytes(s: string): string {
  if (!NON_ASCII.test(s)) return s;
  const bytes = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i) & 0xff;
  return utf8Decoder.decode(bytes);
}

function utf8Bytes(cp: number): string {
  return toBytes(String.fromCodePoint(cp > 0x10ffff ? 0xfffd : cp));
}

// ---------------------------------------------------------------------------------------------------------------
// Raw node helpers

function kind(n: Raw): string {
  const t = n?.constructor?.string;
  if (typeof t !== 'string' || n === n.constructor.nil) return '';
  return t.startsWith('*syntax.') ? t.slice(8) : t;
}

function list(s: Raw): Raw[] {
  const out: Raw[] = [];
  if (!s || !s.$array) return out;
  for (let i = 0; i < s.$length; i++) out.push(s.$array[s.$offset + i]);
  return out;
}

function spanOf(n: Raw): [number, number] {
  try {
    return [n.Pos().offs, n.End().offs];
  } catch {
    return [0, 0];
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Analysis state

/** A word after expansion as far as it can be done statically (all strings are UTF-8 byte strings). */
interface Arg {
  value: string;      // after quote removal; the source text when not literal
  src: string;        // as written
  literal: boolean;   // no parameter, command, arithmetic or process substitution
  splitSafe: boolean; // every expansion sits inside double quotes (no word splitting or globbing of its result)
  tail: string;       // literal text after the last expansion
  procSubst: boolean; // the word is only a <( ) / >( )
  indirect: boolean;  // contains ${!name}
  glob: boolean;      // unquoted pattern characters: the shell replaces the word with matching file names
}

interface Env {
  via: string;
  piped: boolean;      // stdin comes from a pipe or a >( ) substitution
  inPipeline: boolean; // a stage of a multi-stage pipeline
  pipeSrc: string;     // the enclosing pipeline, for details
  xargs: boolean;      // the command line is completed from xargs' input
  depth: number;       // structural recursion depth
  vars?: ReadonlyMap<string, string>; // loop variables bound to one literal item
}

interface Script { b: string; level: number; assigns?: Map<string, boolean> }

interface StdinInfo { kind: 'tty' | 'pipe' | 'file' | 'heredoc'; body: string | null }

interface Call {
  env: Env;
  sc: Script;
  src: string;     // source of the statement, for details
  stdin: StdinInfo;
}

const MAX_LEVEL = 8;            // nested bash -c / eval / ... strings
const MAX_DEPTH = 400;          // structural recursion (groups in groups, substitutions in substitutions)
const MIN_PARSE_BUDGET = 1 << 20; // bytes parsed for one analysis, nested strings included (at least 4x the input)
const MAX_BRACE_WORDS = 256;
const MAX_LOOP_ITEMS = 16;
const MAX_LOOP_BYTES = 1 << 16;
const MIN_LOOP_BUDGET = 1 << 16; // bytes of loop bodies walked again per bound item
const MAX_DETAIL = 200;

const literalArg = (value: string): Arg =>
  ({ value, src: value, literal: true, splitSafe: true, tail: value, procSubst: false, indirect: false, glob: false });

const argText = (a: Arg): string => (a.literal ? a.value : a.src);

function basename(p: string): string {
  const trimmed = p.length > 1 ? p.replace(/\/+$/, '') : p;
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

/** Lookup key for command tables: case-insensitive (macOS file systems are) and without a Windows suffix. */
function keyOf(name: string): string {
  return name.toLowerCase().replace(/\.exe$/, '');
}

function snippet(bytes: string): string {
  const s = fromBytes(bytes.slice(0, MAX_DETAIL * 4)).replace(/\s+/g, ' ').trim();
  return s.length > MAX_DETAIL ? `${s.slice(0, MAX_DETAIL - 1)}…` : s;
}

/** Commands whose "writes" change metadata or remove files, not content that could later be executed. */
const METADATA_WRITERS = new Set(['chmod', 'chown', 'chgrp', 'touch', 'mkdir', 'rm', 'rmdir', 'unlink', 'shred',
  'truncate', 'mkfifo', 'mknod', 'find']);

function normPath(p: string): string {
  return p.replace(/\/{2,}/g, '/').replace(/^(\.\/)+/, '').replace(/(\/\.)+$/, '').replace(/\/$/, '') || p;
}

const IGNORED_PATHS = new Set(['-', '/dev/null', '/dev/stdout', '/dev/stderr', '/dev/stdin', '/dev/tty', '/dev/zero',
  '/dev/random', '/dev/urandom', '/dev/full']);
const STDIN_PATHS = new Set(['-', '/dev/stdin', '/dev/fd/0', '/proc/self/fd/0']);
const isIgnoredPath = (p: string): boolean => IGNORED_PATHS.has(p) || /^\/(dev|proc\/self)\/fd\/\d+$/.test(p);

// ---------------------------------------------------------------------------------------------------------------
// Command tables

const SHELL_RE = /^(bash|sh|zsh|dash|ksh|ksh93|mksh|pdksh|oksh|ash|fish|csh|tcsh|yash|posh|rbash|rzsh)([0-9.]*)$/;

type InterpFamily = 'python' | 'node' | 'bun' | 'deno' | 'ruby' | 'perl' | 'php' | 'lua' | 'r' | 'julia'
  | 'osascript' | 'pwsh' | 'tcl' | 'expect' | 'groovy' | 'awk' | 'vim';

function interpFamily(key: string): InterpFamily | null {
  if (/^(python|pypy)[0-9.]*[mwtd]?$/.test(key)) return 'python';
  if (/^(node|nodejs)[0-9.]*$/.test(key)) return 'node';
  if (key === 'bun') return 'bun';
  if (key === 'deno') return 'deno';
  if (/^(ruby|jruby|truffleruby)[0-9.]*$/.test(key)) return 'ruby';
  if (/^perl[0-9.]*$/.test(key)) return 'perl';
  if (/^php[0-9.]*(-cli)?$/.test(key)) return 'php';
  if (/^(lua|luajit)[0-9.]*$/.test(key)) return 'lua';
  if (key === 'rscript' || key === 'r') return 'r';
  if (/^julia[0-9.]*$/.test(key)) return 'julia';
  if (key === 'osascript') return 'osascript';
  if (key === 'pwsh' || key === 'powershell') return 'pwsh';
  if (/^(tclsh|wish)[0-9.]*$/.test(key)) return 'tcl';
  if (key === 'expect') return 'expect';
  if (key === 'groovy') return 'groovy';
  if (/^(awk|gawk|mawk|nawk|busybox-awk)$/.test(key)) return 'awk';
  if (/^(vim|vi|nvim|ex|view|gvim)$/.test(key)) return 'vim';
  return null;
}

interface InterpSpec {
  inline: string;          // short flags whose value is program text
  inlineLong?: string[];
  v?: string;              // short options taking a value (next word or the rest of the cluster)
  glued?: string;          // short options taking an optional value from the rest of the cluster
  digits?: string;         // short options taking optional glued digits (perl -l0 -ne)
  vl?: string[];           // long options taking the next word
  module?: string;         // short flags that run a module instead of a script (python -m)
}

const INTERP: Record<Exclude<InterpFamily, 'deno' | 'pwsh' | 'awk' | 'vim'>, InterpSpec> = {
  python: { inline: 'c', v: 'WXQ', module: 'm', vl: ['--check-hash-based-pycs'] },
  node: {
    inline: 'ep', inlineLong: ['--eval', '--print'], v: 'rC',
    vl: ['--require', '--import', '--loader', '--experimental-loader', '--input-type', '--conditions', '--title',
      '--env-file', '--inspect-port', '--disable-warning', '--watch-path', '--test-reporter', '--test-name-pattern'],
  },
  bun: { inline: 'ep', inlineLong: ['--eval', '--print'], v: 'rc', vl: ['--preload', '--config', '--cwd', '--env-file'] },
  ruby: { inline: 'e', v: 'CEFIr', glued: 'ixK', digits: '0TW' },
  perl: { inline: 'eE', v: 'IMm', glued: 'ixdDCFV', digits: 'l0' },
  php: { inline: 'rBRE', v: 'cdtz', vl: ['--php-ini', '--define'] },
  lua: { inline: 'e', v: 'l' },
  r: { inline: 'e', vl: ['--default-packages'] },
  julia: { inline: 'eE', inlineLong: ['--eval', '--print'], v: 'CJLOtp', vl: ['--project', '--threads', '--sysimage'] },
  osascript: { inline: 'e', v: 'ls' },
  tcl: { inline: '' },
  expect: { inline: 'c', v: 'f' },
  groovy: { inline: 'e', v: 'cD', vl: ['--classpath'] },
};

/** Option grammar of a command whose operands are files. */
interface FileSpec {
  v?: string;              // short options taking a value (next word or the rest of the cluster)
  g?: string;              // short options taking an optional value from the rest of the cluster (sed -i.bak)
  vl?: string[];           // long options taking the next word (also accepted as --opt=value)
  vl2?: string[];          // long options taking the next two words (jq --arg name value)
  r?: string[];            // options whose value is a file read
  w?: string[];            // options whose value is a file written
  x?: string[];            // options whose value is a shell command the tool runs
  first?: 'skip' | 'write' | 'read';
  noPattern?: string[];    // options that carry the pattern/program, so the first operand is a file after all
  ops: 'read' | 'write' | 'rw' | 'copy' | 'move' | 'link' | 'inout' | 'none';
  inplace?: string[];      // flags that make the operands writes too (sed -i)
  flagRe?: RegExp;         // only words matching this are options; other dash words are operands (chmod -x)
  stop?: string[];         // options after which the remaining words are not files (jq --args)
  target?: string[];       // options naming the destination directory (cp -t)
}

const READ: FileSpec = { ops: 'read' };
const WRITE: FileSpec = { ops: 'write' };
const GREP: FileSpec = {
  v: 'efmABCdD', first: 'skip', noPattern: ['-e', '--regexp', '-f', '--file'], ops: 'read',
  vl: ['--regexp', '--file', '--max-count', '--after-context', '--before-context', '--context', '--devices',
    '--directories', '--label', '--exclude', '--include', '--exclude-dir', '--exclude-from', '--binary-files',
    '--group-separator'],
  r: ['-f', '--file', '--exclude-from'],
};
const HEAD: FileSpec = { v: 'ncs', vl: ['--lines', '--bytes', '--sleep-interval', '--pid', '--max-unchanged-stats'], ops: 'read' };
const CP: FileSpec = {
  v: 'tS', vl: ['--target-directory', '--suffix'], target: ['-t', '--target-directory'], ops: 'copy',
};
const SED: FileSpec = {
  v: 'efl', g: 'i', vl: ['--expression', '--file', '--line-length'], r: ['-f', '--file'], first: 'skip',
  noPattern: ['-e', '--expression', '-f', '--file'], inplace: ['-i', '--in-place'], ops: 'read',
};
const SUMS: FileSpec = { v: 'a', ops: 'read' };
const EDITOR: FileSpec = { v: 'cSuiTwW', vl: ['--cmd'], ops: 'rw' };

const FILE_CMDS: Record<string, FileSpec> = {
  cat: READ, tac: { v: 's', ops: 'read' }, nl: { v: 'bdfhilnpsvwS', ops: 'read' }, rev: READ, bat: { v: 'lmHr', ops: 'read' },
  batcat: { v: 'lmHr', ops: 'read' }, less: { v: 'bhjkoOpPtTxyz#', w: ['-o', '-O'], ops: 'read' },
  more: READ, most: READ, pg: READ, view: READ,
  xxd: { v: 'cglnoOs', ops: 'inout' }, strings: { v: 'nteTo', ops: 'read' }, od: { v: 'AjNtSw', ops: 'read' },
  hexdump: { v: 'efns', r: ['-f'], ops: 'read' }, hd: { v: 'efns', r: ['-f'], ops: 'read' },
  file: { v: 'emfFP', r: ['-f', '-m'], ops: 'read' }, wc: { ops: 'read', r: ['--files0-from'] },
  stat: { v: 'c', vl: ['--format', '--printf'], ops: 'read' },
  base64: { v: 'w', ops: 'read' }, base32: { v: 'w', ops: 'read' }, basenc: { v: 'w', ops: 'read' },
  head: HEAD, tail: HEAD,
  sort: {
    v: 'kotSTy', vl: ['--key', '--output', '--field-separator', '--buffer-size', '--temporary-directory',
      '--batch-size', '--parallel', '--files0-from', '--random-source', '--compress-program'],
    r: ['--files0-from', '--random-source'], w: ['-o', '--output'], x: ['--compress-program'], ops: 'read',
  },
  uniq: { v: 'fsw', vl: ['--skip-fields', '--skip-chars', '--check-chars'], ops: 'inout' },
  cut: { v: 'bcdf', vl: ['--bytes', '--characters', '--delimiter', '--fields', '--output-delimiter'], ops: 'read' },
  paste: { v: 'd', vl: ['--delimiters'], ops: 'read' }, join: { v: '12jeotav', ops: 'read' },
  comm: { vl: ['--output-delimiter'], ops: 'read' }, fold: { v: 'w', ops: 'read' }, fmt: { v: 'wpgd', ops: 'read' },
  column: { v: 'cosNlRWdEH', ops: 'read' }, expand: { v: 't', ops: 'read' }, unexpand: { v: 't', ops: 'read' },
  iconv: { v: 'fto', w: ['-o', '--output'], vl: ['--from-code', '--to-code', '--output'], ops: 'read' },
  shuf: { v: 'nio', w: ['-o', '--output'], ops: 'read' }, tr: { ops: 'none' }, pr: { v: 'hlwoNSs', ops: 'read' },
  grep: GREP, egrep: GREP, fgrep: GREP, zgrep: GREP, zegrep: GREP, zfgrep: GREP,
  rg: {
    v: 'efgmABCtTjMrEd', first: 'skip', noPattern: ['-e', '--regexp', '-f', '--file', '--files', '--type-list'],
    vl: ['--regexp', '--file', '--glob', '--iglob', '--max-count', '--after-context', '--before-context', '--context',
      '--type', '--type-not', '--type-add', '--threads', '--max-columns', '--replace', '--encoding', '--max-depth',
      '--max-filesize', '--pre', '--pre-glob', '--ignore-file', '--sort', '--sortr', '--engine', '--colors',
      '--context-separator', '--path-separator', '--hostname-bin', '--dfa-size-limit', '--regex-size-limit'],
    r: ['-f', '--file', '--ignore-file'], x: ['--pre', '--hostname-bin'], ops: 'read',
  },
  ag: { v: 'ABCGgm', first: 'skip', ops: 'read' }, ack: { v: 'ABCgm', first: 'skip', ops: 'read' },
  sed: SED, gsed: SED,
  jq: {
    v: 'fL', vl: ['--from-file', '--indent'], vl2: ['--arg', '--argjson', '--slurpfile', '--rawfile'],
    r: ['-f', '--from-file'], first: 'skip', noPattern: ['-f', '--from-file'], stop: ['--args', '--jsonargs'], ops: 'read',
  },
  gojq: { v: 'fL', vl: ['--from-file', '--indent'], vl2: ['--arg', '--argjson', '--slurpfile', '--rawfile'],
    r: ['-f', '--from-file'], first: 'skip', noPattern: ['-f', '--from-file'], stop: ['--args', '--jsonargs'], ops: 'read' },
  yq: { v: 'IopP', first: 'skip', ops: 'read' },
  diff: {
    v: 'CUWIxXLSFD', r: ['-X', '--exclude-from', '--to-file', '--from-file'], ops: 'read',
    vl: ['--label', '--exclude', '--exclude-from', '--ignore-matching-lines', '--starting-file', '--to-file',
      '--from-file', '--width', '--tabsize', '--horizon-lines', '--ifdef', '--line-format', '--unified', '--context'],
  },
  diff3: { v: 'L', ops: 'read' }, sdiff: { v: 'ow', w: ['-o', '--output'], ops: 'read' }, cmp: { v: 'inI', ops: 'read' },
  md5sum: SUMS, sha1sum: SUMS, sha224sum: SUMS, sha256sum: SUMS, sha384sum: SUMS, sha512sum: SUMS, b2sum: SUMS,
  cksum: SUMS, sum: SUMS, shasum: SUMS, md5: { v: 's', ops: 'read' },
  zcat: READ, bzcat: READ, xzcat: READ, zstdcat: READ, lz4cat: READ, zless: READ, zmore: READ,
  gzip: READ, gunzip: READ, bzip2: READ, bunzip2: READ, xz: READ, unxz: READ, zstd: READ, lz4: READ,
  cp: CP, install: { v: 'tSgmo', vl: ['--target-directory', '--suffix', '--group', '--mode', '--owner'],
    target: ['-t', '--target-directory'], ops: 'copy' },
  mv: { ...CP, ops: 'move' }, ln: { ...CP, ops: 'link' },
  tee: { ops: 'write' }, touch: { v: 'drt', r: ['-r', '--reference'], vl: ['--date', '--reference'], ops: 'write' },
  rm: WRITE, rmdir: WRITE, unlink: WRITE, mkfifo: { v: 'm', ops: 'write' }, mknod: { v: 'm', ops: 'write' },
  mkdir: { v: 'm', vl: ['--mode'], ops: 'write' },
  shred: { v: 'ns', vl: ['--iterations', '--size', '--random-source'], ops: 'write' },
  truncate: { v: 'sr', r: ['-r', '--reference'], vl: ['--size', '--reference'], ops: 'write' },
  chmod: { flagRe: /^-[Rvcf]+$/, first: 'skip', noPattern: ['--reference'], r: ['--reference'], ops: 'write' },
  chown: { flagRe: /^-[RvcfhHLP]+$/, first: 'skip', noPattern: ['--reference'], r: ['--reference'], ops: 'write' },
  chgrp: { flagRe: /^-[RvcfhHLP]+$/, first: 'skip', noPattern: ['--reference'], r: ['--reference'], ops: 'write' },
  zip: { v: 'bntPOsZ', w: ['-O', '--output-file'], x: ['-TT', '--unzip-command'], vl: ['-TT', '--unzip-command'],
    first: 'write', ops: 'read' },
  unzip: { v: 'dP', w: ['-d'], first: 'read', ops: 'none' },
  gpg: {
    v: 'oru', w: ['-o', '--output'], r: ['--passphrase-file', '--keyring'], ops: 'read',
    vl: ['--output', '--recipient', '--local-user', '--homedir', '--passphrase', '--passphrase-file', '--keyring',
      '--default-key', '--cipher-algo', '--digest-algo', '--compress-algo', '--trust-model', '--keyserver',
      '--status-fd', '--logger-fd'],
  },
  vi: EDITOR, vim: EDITOR, nvim: EDITOR, ex: EDITOR, gvim: EDITOR, nano: { ops: 'rw' }, pico: { ops: 'rw' },
  emacs: { ops: 'rw' }, ed: { ops: 'rw' }, micro: { ops: 'rw' },
  patch: { v: 'pidoDFrBYzVg', r: ['-i', '--input'], w: ['-o', '--output'], first: 'write', ops: 'read' },
  split: { v: 'lbCnad', first: 'read', ops: 'none' },
};

/** Tools that run the command given after their options (and `sub`command, and `operands` words of their own). */
interface RunnerSpec { v?: string; vl?: string[]; sub?: string[]; operands?: number; shell?: string[] }
const RUNNERS: Record<string, RunnerSpec> = {
  strace: { v: 'eopsuEPIbaOSX' }, ltrace: { v: 'eopsunlLxFAaw' }, valgrind: {}, caffeinate: { v: 'tw' },
  pkexec: { vl: ['--user'] }, torsocks: { v: 'uPpa' }, proxychains: { v: 'f' }, proxychains4: { v: 'f' },
  firejail: {}, 'xvfb-run': { v: 'nsfepw' }, 'dbus-run-session': { vl: ['--config-file', '--dbus-daemon'] },
  'systemd-run': { v: 'pEuMH', vl: ['--unit', '--property', '--description', '--slice', '--uid', '--gid',
    '--working-directory', '--setenv', '--machine', '--host', '--on-active', '--on-calendar', '--timer-property'] },
  nsenter: { v: 'tSGwrmunipUCT', vl: ['--target', '--setuid', '--setgid', '--wd', '--root'] },
  unshare: { vl: ['--map-user', '--map-group', '--setuid', '--setgid', '--propagation', '--wd', '--root'] },
  chpst: { v: 'uUebmdofpcrlLt' }, doppler: { sub: ['run'], v: 'pc', vl: ['--project', '--config', '--command'],
    shell: ['--command'] },
  uv: { sub: ['run'], v: 'pw', vl: ['--with', '--python', '--env-file', '--project', '--directory', '--extra',
    '--group', '--package', '--index', '--with-requirements', '--from', '--with-editable'] },
  uvx: { v: 'p', vl: ['--from', '--with', '--python', '--index'] },
  poetry: { sub: ['run'] }, pipenv: { sub: ['run'] }, pdm: { sub: ['run'] }, hatch: { sub: ['run'] },
  rye: { sub: ['run'] }, bundle: { sub: ['exec'] }, pixi: { sub: ['run', 'exec'], v: 'e', vl: ['--environment'] },
  conda: { sub: ['run'], v: 'np', vl: ['--name', '--prefix', '--cwd'] },
  mamba: { sub: ['run'], v: 'np', vl: ['--name', '--prefix', '--cwd'] },
  micromamba: { sub: ['run'], v: 'np', vl: ['--name', '--prefix', '--cwd'] },
  direnv: { sub: ['exec'], operands: 1 }, mise: { sub: ['exec', 'x'] }, asdf: { sub: ['exec'] },
  npm: { sub: ['exec', 'x'], v: 'cw', vl: ['--call', '--package', '--workspace'], shell: ['-c', '--call'] },
  pnpm: { sub: ['exec', 'dlx'], v: 'C', vl: ['--filter', '--dir'] }, yarn: { sub: ['exec', 'dlx'] },
  'aws-vault': { sub: ['exec'], operands: 1 }, op: { sub: ['run'], vl: ['--env-file'] },
  dotenv: { v: 'ecv', vl: ['--env'] }, 'with-contenv': {}, tini: { v: 'sepgl' }, 'dumb-init': { v: 'r' },
};

// Environment variables whose value the shell or a tool runs as a command line.
const COMMAND_VARS = new Set(['GIT_SSH_COMMAND', 'GIT_SSH', 'GIT_EXTERNAL_DIFF', 'GIT_PAGER', 'GIT_EDITOR',
  'GIT_SEQUENCE_EDITOR', 'GIT_ASKPASS', 'SSH_ASKPASS', 'SUDO_ASKPASS', 'PAGER', 'EDITOR', 'VISUAL', 'PROMPT_COMMAND',
  'MANPAGER', 'BROWSER', 'LESSOPEN', 'LESSCLOSE']);
// Environment variables that load code into whatever runs next.
const INJECTION_VARS = new Set(['LD_PRELOAD', 'LD_AUDIT', 'DYLD_INSERT_LIBRARIES', 'BASH_ENV', 'ENV', 'PERL5OPT',
  'PYTHONSTARTUP', 'RUBYOPT', 'PERL5DB', 'SHELLOPTS', 'PS4']);

// git configuration keys whose value is a command git runs (or a transport that runs one).
const GIT_EXEC_KEY = new RegExp(`^(${[
  'core\\.(sshcommand|pager|editor|fsmonitor|hookspath|askpass|gitproxy)', 'sequence\\.editor', 'diff\\.external',
  'diff\\..+\\.(textconv|command)', 'merge\\..+\\.driver', 'filter\\..+\\.(clean|smudge|process)',
  'credential(\\..+)?\\.helper', 'alias\\..+', 'uploadpack\\.packobjectshook', 'pager\\..+', 'protocol\\.ext\\.allow',
  'gpg\\.(.+\\.)?program', '(difftool|mergetool)\\..+\\.cmd', 'web\\.browser', 'browser\\..+\\.cmd',
  'remote\\..+\\.(uploadpack|receivepack|proxy)', 'url\\..+\\.insteadof', 'http\\.proxy', 'include\\.path',
  'includeif\\..+\\.path',
].join('|')})$`);

// ---------------------------------------------------------------------------------------------------------------
// The analyzer

interface Scanned {
  operands: Arg[];
  opts: Array<{ name: string; value: Arg | undefined; value2?: Arg }>;
  flags: Set<string>;
}

class Analyzer {
  readonly commands: SimpleCommand[] = [];
  readonly files: FileAccess[] = [];
  readonly network: NetworkTarget[] = [];
  readonly unresolvable: Unresolvable[] = [];
  private readonly seen = new Set<string>();
  /** Files whose content this command line writes (normalised), to notice it running one of them later. */
  private readonly written = new Set<string>();
  private parseBudget: number;
  private loopBudget: number;
  /** Directory set by `cd` earlier in the line: '' = where the command starts, null = unknown. */
  private cwd: string | null = '';

  constructor(private readonly p: Loaded, inputBytes: number) {
    // Nested strings are substrings of their parents, and loop bodies are re-walked only within a budget, so the
    // work stays a bounded multiple of the input.
    this.parseBudget = Math.max(MIN_PARSE_BUDGET, 4 * inputBytes);
    this.loopBudget = Math.max(MIN_LOOP_BUDGET, 2 * inputBytes);
  }

  // ----- results

  unres(construct: string, detailBytes: string): void {
    const key = `u\0${construct}\0${detailBytes.slice(0, MAX_DETAIL * 4)}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.unresolvable.push({ construct, detail: snippet(detailBytes) });
  }

  file(arg: Arg | undefined, mode: 'read' | 'write', command: string): void {
    if (!arg || arg.procSubst) return;
    if (arg.literal && (arg.value === '' || isIgnoredPath(arg.value))) return;
    if (!arg.literal && mode === 'read') this.unres('dynamic file argument', `${command} ${arg.src}`);
    if (arg.literal && mode === 'write' && !METADATA_WRITERS.has(keyOf(command))) this.written.add(normPath(arg.value));
    this.addFile(fromBytes(argText(arg)), mode, fromBytes(command));
    // After `cd /etc`, `cat passwd` reads /etc/passwd: report that spelling too.
    if (arg.literal && this.cwd && !/^[/~]/.test(arg.value)) {
      const joined = normPath(`${this.cwd}/${arg.value}`);
      if (mode === 'write' && !METADATA_WRITERS.has(keyOf(command))) this.written.add(joined);
      this.addFile(fromBytes(joined), mode, fromBytes(command));
    }
  }

  private addFile(path: string, mode: 'read' | 'write', command: string): void {
    const key = `f\0${mode}\0${command}\0${path}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.files.push({ path, mode, command });
  }

  private chdir(args: Arg[]): void {
    const target = args.find((a) => !a.literal || !/^-[LPe@]+$/.test(a.value));
    if (!target) { this.cwd = '~'; return; }
    if (!target.literal || target.value === '-' || /^[+-]\d+$/.test(target.value)) { this.cwd = null; return; }
    const t = target.value;
    if (/^[/~]/.test(t)) this.cwd = normPath(t);
    else if (this.cwd !== null) this.cwd = this.cwd === '' ? normPath(t) : normPath(`${this.cwd}/${t}`);
  }

  /** A file about to be executed (a command path or a script operand): flag it when this line wrote it. */
  executes(path: string, src: string): void {
    if (!this.written.size) return;
    const p = normPath(path);
    // The file itself or any directory above it (a copy into bin/ then bin/tool).
    let hit = this.written.has(p) || (p.startsWith('/') && this.written.has('/'));
    for (let i = p.lastIndexOf('/'); !hit && i > 0; i = p.lastIndexOf('/', i - 1)) hit = this.written.has(p.slice(0, i));
    if (hit) this.unres('runs a file it wrote', src);
  }

  net(target: string, command: string): void {
    if (!target) return;
    const t = fromBytes(target);
    const c = fromBytes(command);
    const key = `n\0${c}\0${t}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.network.push({ target: t, command: c });
  }

  emit(name: string, path: string, args: Arg[], via: string): void {
    const n = fromBytes(name);
    const a = args.map((x) => fromBytes(argText(x)));
    const key = `c\0${via}\0${path}\0${a.join('\0')}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    const dynamicArgs: number[] = [];
    args.forEach((x, i) => { if (!x.literal) dynamicArgs.push(i); });
    this.commands.push({ name: n, path: fromBytes(path), args: a, dynamicArgs, text: [n, ...a].join(' '), via });
  }

  // ----- parsing of (nested) scripts

  script(bytes: string, env: Env, level: number, via: string): void {
    if (level > MAX_LEVEL) {
      this.unres('nesting too deep', `${via}: ${bytes}`);
      return;
    }
    this.parseBudget -= bytes.length;
    if (this.parseBudget < 0) {
      this.unres('command too complex', `${via}: ${bytes}`);
      return;
    }
    let file: Raw;
    try {
      file = this.p.parse(fromBytes(bytes));
    } catch (e) {
      this.unres('unparseable command', level === 0 ? errorText(e) : `${via}: ${errorText(e)}`);
      return;
    }
    // A nested shell (bash -c, eval counts too but cannot be told apart here) keeps its own directory changes.
    this.isolated(() => this.stmts(list(file.Stmts), { ...env, via }, { b: bytes, level }), level > 0 && via !== 'eval');
  }

  /** Runs `fn` as a subshell would: directory changes inside do not outlive it. */
  private isolated(fn: () => void, isolate = true): void {
    const saved = this.cwd;
    fn();
    if (isolate) this.cwd = saved;
  }

  // ----- statements

  private stmts(stmts: Raw[], env: Env, sc: Script): void {
    for (const s of stmts) this.stmt(s, env, sc);
  }

  private stmt(stmt: Raw, env: Env, sc: Script): void {
    if (kind(stmt) !== 'Stmt') return;
    if (env.depth > MAX_DEPTH) {
      this.unres('nesting too deep', this.src(stmt, sc));
      return;
    }
    const inner: Env = { ...env, depth: env.depth + 1 };
    const cmd = stmt.Cmd;
    const k = kind(cmd);
    if (k === 'CallExpr') {
      this.call(cmd, stmt, inner, sc);
      return;
    }
    const stdin = this.redirects(list(stmt.Redirs), stmt, inner, sc);
    const benv: Env = stdin.kind === 'tty' || stdin.kind === 'pipe' ? inner : { ...inner, piped: false };
    switch (k) {
      case 'BinaryCmd': {
        const op = cmd.Op;
        if (op === this.p.ops.pipe || op === this.p.ops.pipeAll) {
          const stages = this.flatten(stmt, [this.p.ops.pipe, this.p.ops.pipeAll]);
          const pipeSrc = this.src(stmt, sc);
          stages.forEach((s, i) => this.isolated(() => this.stmt(s, {
            ...benv, via: 'pipeline', piped: i > 0 || benv.piped, inPipeline: true, pipeSrc,
          }, sc)));
        } else {
          for (const s of this.flatten(stmt, [this.p.ops.and, this.p.ops.or])) this.stmt(s, benv, sc);
        }
        return;
      }
      case 'Block': this.stmts(list(cmd.Stmts), { ...benv, via: 'group' }, sc); return;
      case 'Subshell': this.isolated(() => this.stmts(list(cmd.Stmts), { ...benv, via: 'subshell' }, sc)); return;
      case 'IfClause': {
        let c = cmd;
        for (let guard = 0; kind(c) === 'IfClause' && guard < 10000; guard++) {
          this.stmts(list(c.Cond), { ...benv, via: 'if' }, sc);
          this.stmts(list(c.Then), { ...benv, via: 'if' }, sc);
          c = c.Else;
        }
        return;
      }
      case 'WhileClause': {
        const via = cmd.Until ? 'until' : 'while';
        this.stmts(list(cmd.Cond), { ...benv, via }, sc);
        this.stmts(list(cmd.Do), { ...benv, via }, sc);
        return;
      }
      case 'ForClause': {
        const via = cmd.Select ? 'select' : 'for';
        const loop = cmd.Loop;
        const body = list(cmd.Do);
        if (kind(loop) !== 'WordIter') {
          this.nested(loop, { ...benv, via }, sc);
          this.stmts(body, { ...benv, via }, sc);
          return;
        }
        const name = kind(loop.Name) === 'Lit' ? String(loop.Name.Value) : '';
        const items: Arg[] = [];
        for (const w of list(loop.Items)) items.push(...this.word(w, { ...benv, via }, sc, true));
        const vars = new Map(benv.vars);
        vars.delete(name);
        // `for f in a b; do cat $f; done` reads a and b: walk the body once per literal item, as long as nothing else
        // can assign the variable and the repetition stays small.
        const bodyBytes = body.reduce((n, b) => n + (spanOf(b)[1] - spanOf(b)[0]), 0);
        const bindable = name && !cmd.Select && items.length > 0 && items.length <= MAX_LOOP_ITEMS
          && items.every((a) => a.literal && !/\s/.test(a.value)) && bodyBytes * items.length <= MAX_LOOP_BYTES
          && bodyBytes * items.length <= this.loopBudget && !this.mayAssign(name, sc);
        if (!bindable) {
          this.stmts(body, { ...benv, via, vars }, sc);
          return;
        }
        this.loopBudget -= bodyBytes * items.length;
        for (const item of items) this.stmts(body, { ...benv, via, vars: new Map(vars).set(name, item.value) }, sc);
        return;
      }
      case 'CaseClause': {
        this.word(cmd.Word, { ...benv, via: 'case' }, sc, false);
        for (const item of list(cmd.Items)) {
          for (const w of list(item.Patterns)) this.word(w, { ...benv, via: 'case' }, sc, false);
          this.stmts(list(item.Stmts), { ...benv, via: 'case' }, sc);
        }
        return;
      }
      case 'FuncDecl': {
        // The body runs wherever the function is called; its commands are derived here, once.
        const body = cmd.Body;
        if (kind(body) === 'Stmt' && ['Block', 'Subshell'].includes(kind(body.Cmd)) && list(body.Redirs).length === 0) {
          this.stmts(list(body.Cmd.Stmts), { ...benv, via: 'function' }, sc);
        } else this.stmt(body, { ...benv, via: 'function' }, sc);
        return;
      }
      case 'TimeClause': this.stmt(cmd.Stmt, { ...benv, via: 'time' }, sc); return;
      case 'CoprocClause': this.stmt(cmd.Stmt, { ...benv, via: 'coproc' }, sc); return;
      case 'DeclClause': this.decl(cmd, benv, sc); return;
      case 'LetClause': {
        this.nested(cmd, benv, sc);
        const args = list(cmd.Exprs).map((e) => literalArg(this.src(e, sc)));
        this.emit('let', 'let', args, benv.via);
        return;
      }
      case '': return; // redirections only (`> file`)
      default: this.nested(cmd, benv, sc); // [[ ]], (( )) and anything newer: only substitutions inside can run
    }
  }

  /** Operands of a chain of one operator family, left to right, without recursion (chains can be 100 KB long). */
  private flatten(stmt: Raw, ops: number[]): Raw[] {
    const out: Raw[] = [];
    const stack: Raw[] = [stmt];
    while (stack.length) {
      const s = stack.pop();
      const c = s.Cmd;
      if (s !== stmt && kind(c) === 'BinaryCmd' && ops.includes(c.Op) && list(s.Redirs).length === 0 && !s.Negated
        && !s.Background) stack.push(c.Y, c.X);
      else if (s === stmt) stack.push(c.Y, c.X);
      else out.push(s);
    }
    return out;
  }

  /** Whether the script might assign `name` other than by its for loop (so binding loop items could be wrong). */
  private mayAssign(name: string, sc: Script): boolean {
    sc.assigns ??= new Map();
    let r = sc.assigns.get(name);
    if (r === undefined) {
      r = mayAssign(name, sc.b);
      sc.assigns.set(name, r);
    }
    return r;
  }

  private src(n: Raw, sc: Script): string {
    const [a, b] = spanOf(n);
    return sc.b.slice(a, b);
  }

  /** Walks any node for command or process substitutions (arithmetic, [[ ]], ${x:-...}, array indexes...). */
  private nested(root: Raw, env: Env, sc: Script): void {
    const stack: Raw[] = [root];
    while (stack.length) {
      const n = stack.pop();
      const k = kind(n);
      if (!k || k === 'Pos' || k === 'Lit' || k === 'Comment') continue;
      if (k === 'CmdSubst' || k === 'ProcSubst') { this.subst(n, env, sc); continue; }
      if (k === 'Stmt') { this.stmt(n, env, sc); continue; }
      // Children are pushed in reverse so that commands come out in source order.
      const children: Raw[] = [];
      for (const key of Object.keys(n)) {
        if (key === '$val') continue;
        const v = n[key];
        if (!v || typeof v !== 'object') continue;
        if (v.$array) children.push(...list(v)); else children.push(v);
      }
      for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
    }
  }

  private subst(n: Raw, env: Env, sc: Script): void {
    if (kind(n) === 'CmdSubst') {
      const via = n.Backquotes ? 'backticks' : '$( )';
      this.isolated(() => this.stmts(list(n.Stmts), { ...env, via, piped: false, inPipeline: false, xargs: false }, sc));
      return;
    }
    const out = n.Op === this.p.ops.procOut;
    this.unres('process substitution', this.src(n, sc));
    // The command inside >( ) reads what the outer command writes.
    const penv: Env = { ...env, via: out ? '>( )' : '<( )', piped: out, inPipeline: false, xargs: false };
    this.isolated(() => this.stmts(list(n.Stmts), penv, sc));
  }

  // ----- words

  /** Expands a word as far as static analysis can; brace expansion may turn it into several words. */
  private word(word: Raw, env: Env, sc: Script, braces: boolean): Arg[] {
    if (kind(word) !== 'Word') return [];
    const parts = list(word.Parts);
    let value = '';
    let literal = true;
    let splitSafe = true;
    let tail = '';
    let procOnly = parts.length > 0;
    let indirect = false;
    let glob = false;
    // Characters that are unquoted and unescaped (may start brace expansion); kept only when braces are wanted.
    let active: boolean[] | null = braces ? [] : null;
    let braceCandidate = false;
    const push = (s: string, act: boolean) => {
      value += s;
      tail += s;
      if (active) for (let i = 0; i < s.length; i++) active.push(act);
    };
    for (const part of parts) {
      const k = kind(part);
      if (k !== 'ProcSubst') procOnly = false;
      switch (k) {
        case 'Lit': {
          const raw: string = part.Value;
          let i = 0;
          while (i < raw.length) {
            const j = raw.indexOf('\\', i);
            const end = j < 0 ? raw.length : j;
            if (end > i) {
              const chunk = raw.slice(i, end);
              if (active && chunk.includes('{')) braceCandidate = true;
              if (/[*?]|\[.*\]/.test(chunk)) glob = true;
              push(chunk, true);
            }
            if (j < 0) break;
            if (j + 1 < raw.length) push(raw[j + 1], false);
            i = j + 2;
          }
          break;
        }
        case 'SglQuoted':
          push(part.Dollar ? ansiC(part.Value) : part.Value, false);
          break;
        case 'DblQuoted':
          for (const inner of list(part.Parts)) {
            const bound = kind(inner) === 'ParamExp' ? boundValue(inner, env) : null;
            if (kind(inner) === 'Lit') push(dqUnescape(inner.Value), false);
            else if (bound !== null) push(bound, false);
            else {
              literal = false;
              tail = '';
              if (kind(inner) === 'ParamExp' && inner.Excl) indirect = true;
              this.nested(inner, env, sc);
            }
          }
          break;
        case 'ExtGlob': {
          const s = this.src(part, sc);
          push(s, false);
          glob = true;
          break;
        }
        case 'ParamExp': {
          const bound = boundValue(part, env);
          if (bound !== null) {
            push(bound, false);
            if (/[*?]|\[.*\]/.test(bound)) glob = true;
            break;
          }
          if (part.Excl) indirect = true;
          literal = false; splitSafe = false; tail = '';
          this.nested(part, env, sc);
          break;
        }
        case 'ArithmExp':
          literal = false; tail = '';
          this.nested(part, env, sc);
          break;
        case 'CmdSubst':
        case 'ProcSubst':
          literal = false; splitSafe = false; tail = '';
          this.subst(part, env, sc);
          break;
        default:
          literal = false; splitSafe = false; tail = '';
          this.nested(part, env, sc);
      }
    }
    const src = this.src(word, sc);
    const arg: Arg = {
      value: literal ? value : src, src, literal, splitSafe, tail, procSubst: procOnly && !literal, indirect, glob,
    };
    if (!active || !literal || !braceCandidate) return [arg];
    const expanded = braceExpand(value, active);
    if (expanded === null) {
      this.unres('brace expansion too large', src);
      return [arg];
    }
    if (expanded.length === 1) return [arg];
    return expanded.map((v) => ({ ...arg, value: v, tail: v }));
  }

  // ----- redirections

  private redirects(redirs: Raw[], stmt: Raw, env: Env, sc: Script): StdinInfo {
    const ops = this.p.ops;
    let stdin: StdinInfo = { kind: env.piped ? 'pipe' : 'tty', body: null };
    for (const r of redirs) {
      const op = r.Op;
      const fd = kind(r.N) === 'Lit' ? String(r.N.Value) : '';
      const toStdin = fd === '' || fd === '0';
      if (op === ops.hdoc || op === ops.dashHdoc) {
        // Data, unless the command runs its stdin as code (codeFromStdin).
        if (kind(r.Hdoc)) this.nested(r.Hdoc, env, sc); // an unquoted body expands $( ) when it is read
        if (toStdin) stdin = { kind: 'heredoc', body: heredocBody(r) };
        continue;
      }
      if (op === ops.wordHdoc) {
        this.unres('here-string', this.src(stmt, sc));
        const w = this.word(r.Word, env, sc, false)[0];
        if (toStdin) stdin = { kind: 'heredoc', body: w && w.literal ? w.value : null };
        continue;
      }
      const w = this.word(r.Word, env, sc, false)[0];
      if (!w) continue;
      if (op === ops.dplIn || op === ops.dplOut) {
        // `2>&1`, `>&-`: descriptor duplication; bash treats `>&word` with a non-number as `&>word`.
        if (!w.literal || /^(\d+|-|\d+-)$/.test(w.value)) continue;
        if (op === ops.dplIn) continue;
      }
      if (w.procSubst) continue;
      if (w.literal && /^\/dev\/(tcp|udp)\//.test(w.value)) {
        const host = w.value.split('/')[3] ?? '';
        this.net(host, 'redirect');
        continue;
      }
      if (op === ops.rdrIn || op === ops.rdrInOut) {
        this.file(w, 'read', 'redirect');
        if (toStdin) stdin = { kind: 'file', body: null };
      }
      if (op !== ops.rdrIn) this.file(w, 'write', 'redirect');
    }
    return stdin;
  }

  // ----- simple commands

  private call(call: Raw, stmt: Raw, env: Env, sc: Script): void {
    for (const a of list(call.Assigns)) this.assign(a, env, sc);
    const words = list(call.Args);
    const argv: Arg[] = [];
    let braceName = false;
    words.forEach((w, i) => {
      const ex = this.word(w, env, sc, true);
      if (i === 0 && ex.length > 1) braceName = true;
      argv.push(...ex);
    });
    const stdin = this.redirects(list(stmt.Redirs), stmt, env, sc);
    if (!argv.length) return;
    const c: Call = { env, sc, src: this.src(stmt, sc), stdin };
    if (braceName) this.unres('brace expansion in command name', c.src);
    this.run(argv, c, env.via);
  }

  private assign(a: Raw, env: Env, sc: Script): Arg | null {
    if (kind(a) !== 'Assign') return null;
    if (kind(a.Index)) this.nested(a.Index, env, sc);
    if (kind(a.Array)) this.nested(a.Array, env, sc);
    const name = kind(a.Name) === 'Lit' ? String(a.Name.Value) : '';
    if (!kind(a.Value)) return null;
    const v = this.word(a.Value, env, sc, false)[0];
    if (v && name) this.envVar(name, v, env, sc.level, `${name}=${v.src}`);
    return v ?? null;
  }

  private envVar(name: string, v: Arg, env: Env, level: number, detail: string): void {
    if (COMMAND_VARS.has(name)) {
      if (v.literal) { if (v.value.trim()) this.script(v.value, { ...env, piped: false }, level + 1, `${name}=`); }
      else this.unres('non-literal command variable', detail);
    } else if (INJECTION_VARS.has(name) && (v.literal ? v.value !== '' : true)) {
      this.unres('code-injection variable', detail);
    } else if (name === 'NODE_OPTIONS' && /(^|\s)(-r|--require|--import|--loader|--experimental-loader)\b/.test(argText(v))) {
      this.unres('code-injection variable', detail);
    }
  }

  private decl(cmd: Raw, env: Env, sc: Script): void {
    const variant = kind(cmd.Variant) === 'Lit' ? String(cmd.Variant.Value) : 'declare';
    const args: Arg[] = [];
    for (const a of list(cmd.Args)) {
      if (kind(a) !== 'Assign') continue;
      const name = kind(a.Name) === 'Lit' ? String(a.Name.Value) : '';
      if (a.Naked) {
        if (name) args.push(literalArg(name));
        else if (kind(a.Value)) args.push(...this.word(a.Value, env, sc, false));
        continue;
      }
      const v = this.assign(a, env, sc);
      const op = a.Append ? '+=' : '=';
      if (v) args.push({ ...v, value: v.literal ? `${name}${op}${v.value}` : `${name}${op}${v.src}`, src: `${name}${op}${v.src}` });
      else args.push({ ...literalArg(`${name}${op}`), literal: !kind(a.Array), src: this.src(a, sc) });
    }
    this.emit(variant, variant, args, env.via);
  }

  /**
   * Resolves the command word through wrappers and prefixes, emitting the commands that run and analysing the
   * effective one.
   */
  private run(argv: Arg[], c: Call, via: string): void {
    let i = 0;
    for (let guard = 0; guard < 64; guard++) {
      const w = argv[i];
      if (!w) return;
      if (!w.literal) {
        this.dynamicName(w, argv.slice(i + 1), c, via);
        return;
      }
      const path = w.value;
      const name = basename(path);
      const key = keyOf(name);
      const args = argv.slice(i + 1);
      // `/???/c?rl` runs whatever file the pattern matches.
      if (w.glob) this.unres('non-literal command name', c.src);
      if (path.includes('/') || this.written.has(path)) this.executes(path, c.src);
      const next = this.wrapper(key, name, path, args, c, via);
      if (next === null) {
        this.emit(name, path, args, via);
        this.analyze(name, key, args, c, via);
        return;
      }
      if (next.index < 0) return;
      i = i + 1 + next.index;
      via = next.via;
      if (next.env) c = { ...c, env: next.env };
      if (next.stdin) c = { ...c, stdin: next.stdin };
    }
    this.unres('nesting too deep', c.src);
  }

  private dynamicName(w: Arg, args: Arg[], c: Call, via: string): void {
    // A quoted expansion in the directory part leaves the program name known: "$HOME/bin/tool".
    const slash = w.tail.lastIndexOf('/');
    const name = w.splitSafe && slash >= 0 ? w.tail.slice(slash + 1) : '';
    this.emit(name, w.src, args, via);
    if (w.indirect) this.unres('variable indirection', c.src);
    else if (!name) this.unres('non-literal command name', c.src);
    if (name) this.analyze(name, keyOf(name), args, c, via);
  }

  /**
   * When `key` is a wrapper (sudo, env, timeout, xargs, ...), returns the index in `args` of the command it runs
   * (-1: it runs none we can name) and the label for it; null when it is not a wrapper.
   */
  private wrapper(key: string, name: string, path: string, args: Arg[], c: Call, via: string):
    { index: number; via: string; env?: Env; stdin?: StdinInfo } | null {
    const self = () => this.emit(name, path, args, via);
    switch (key) {
      case 'sudo':
      case 'doas': {
        self();
        const o = scan(args, key === 'doas'
          ? { v: 'uC', ops: 'none' }
          : { v: 'CDgpRrtTUuh', vl: ['--chdir', '--close-from', '--group', '--host', '--prompt', '--chroot', '--role',
            '--type', '--command-timeout', '--other-user', '--user'], ops: 'none' }, true);
        if (o.flags.has('-e') || o.flags.has('--edit')) {
          for (const f of o.operands) { this.file(f, 'read', name); this.file(f, 'write', name); }
          return { index: -1, via };
        }
        if (['-l', '--list', '-v', '--validate', '-K', '--remove-timestamp', '-V', '--version', '--help']
          .some((f) => o.flags.has(f))) return { index: -1, via };
        let j = args.length - o.operands.length;
        while (args[j] && isAssignment(args[j])) { this.envAssignWord(args[j], c); j++; }
        if (!args[j]) { this.shellStdin(c); return { index: -1, via }; }
        return { index: j, via: key };
      }
      case 'env': {
        const o = scan(args, {
          v: 'uCSa', vl: ['--unset', '--chdir', '--split-string', '--argv0'], ops: 'none',
        }, true);
        let j = args.length - o.operands.length;
        while (args[j] && args[j].literal && args[j].value === '-') j++;
        while (args[j] && isAssignment(args[j])) { this.envAssignWord(args[j], c); j++; }
        const split = o.opts.find((x) => x.name === '-S' || x.name === '--split-string');
        if (split) {
          // `env -S 'cmd args'` splits its string into words itself.
          const rest = args.slice(j);
          if (split.value?.literal && rest.every((a) => a.literal)) {
            this.script([split.value.value, ...rest.map((a) => shQuote(a.value))].join(' '), c.env, c.sc.level + 1, 'env -S');
          } else this.unres('non-literal shell -c', c.src);
          return { index: -1, via };
        }
        if (!args[j]) { self(); return { index: -1, via }; }
        return { index: j, via: 'env' };
      }
      case 'command': {
        const o = scan(args, { ops: 'none' }, true);
        if (o.flags.has('-v') || o.flags.has('-V')) { self(); return { index: -1, via }; }
        const j = args.length - o.operands.length;
        return args[j] ? { index: j, via: 'command' } : { index: -1, via };
      }
      case 'builtin':
        return args[0] ? { index: 0, via: 'builtin' } : { index: -1, via };
      case 'exec': {
        const o = scan(args, { v: 'a', ops: 'none' }, true);
        const j = args.length - o.operands.length;
        return args[j] ? { index: j, via: 'exec' } : { index: -1, via };
      }
      case 'nohup':
      case 'setsid':
      case 'unbuffer':
      case 'catchsegv': {
        const o = scan(args, { ops: 'none' }, true);
        const j = args.length - o.operands.length;
        if (!args[j]) { self(); return { index: -1, via }; }
        return { index: j, via: key };
      }
      case 'time': {
        const o = scan(args, { v: 'fo', vl: ['--format', '--output'], ops: 'none' }, true);
        for (const x of o.opts) if (x.name === '-o' || x.name === '--output') this.file(x.value, 'write', name);
        const j = args.length - o.operands.length;
        return args[j] ? { index: j, via: 'time' } : { index: -1, via };
      }
      case 'timeout': {
        const o = scan(args, { v: 'sk', vl: ['--signal', '--kill-after'], ops: 'none' }, true);
        const j = args.length - o.operands.length + 1; // after DURATION
        if (!args[j]) { self(); return { index: -1, via }; }
        return { index: j, via: 'timeout' };
      }
      case 'nice': {
        const o = scan(args, { v: 'n', vl: ['--adjustment'], ops: 'none' }, true);
        const j = args.length - o.operands.length;
        if (!args[j]) { self(); return { index: -1, via }; }
        return { index: j, via: 'nice' };
      }
      case 'stdbuf': {
        const o = scan(args, { v: 'ioe', vl: ['--input', '--output', '--error'], ops: 'none' }, true);
        const j = args.length - o.operands.length;
        return args[j] ? { index: j, via: 'stdbuf' } : { index: -1, via };
      }
      case 'ionice':
      case 'chrt':
      case 'taskset': {
        const spec: FileSpec = key === 'ionice'
          ? { v: 'cnpPu', vl: ['--class', '--classdata', '--pid', '--pgid', '--uid'], ops: 'none' }
          : key === 'chrt' ? { v: 'TPD', vl: ['--sched-runtime', '--sched-period', '--sched-deadline'], ops: 'none' }
            : { ops: 'none' };
        const o = scan(args, spec, true);
        const byPid = ['-p', '-P', '-u', '--pid', '--pgid', '--uid', '--all-tasks'].some((f) => o.flags.has(f)
          || o.opts.some((x) => x.name === f));
        let j = args.length - o.operands.length;
        if (key !== 'ionice') j += 1; // priority / CPU mask
        if (byPid || !args[j]) { self(); return { index: -1, via }; }
        return { index: j, via: key };
      }
      case 'flock': {
        self();
        const o = scan(args, { v: 'wEc', vl: ['--timeout', '--conflict-exit-code', '--command'], ops: 'none' }, true);
        let cmd = o.opts.find((x) => x.name === '-c' || x.name === '--command')?.value;
        const j = args.length - o.operands.length; // the lock file or descriptor
        if (!cmd && args[j + 1]?.literal && ['-c', '--command'].includes(args[j + 1].value)) cmd = args[j + 2];
        if (cmd) { this.shellString(cmd, c, 'flock -c'); return { index: -1, via }; }
        return args[j + 1] ? { index: j + 1, via: 'flock' } : { index: -1, via };
      }
      case 'chroot': {
        self();
        const o = scan(args, { vl: ['--userspec', '--groups'], ops: 'none' }, true);
        const j = args.length - o.operands.length + 1;
        return args[j] ? { index: j, via: 'chroot' } : { index: -1, via };
      }
      case 'watch': {
        self();
        const o = scan(args, { v: 'nq', vl: ['--interval', '--equexit'], ops: 'none' }, true);
        const j = args.length - o.operands.length;
        if (!args[j]) return { index: -1, via };
        if (o.flags.has('-x') || o.flags.has('--exec')) return { index: j, via: 'watch' };
        // watch joins its arguments and runs them with sh -c.
        this.joinedScript(args.slice(j), c, 'watch');
        return { index: -1, via };
      }
      case 'su':
      case 'runuser': {
        self();
        const spec: FileSpec = {
          v: 'csgGwu', vl: ['--command', '--session-command', '--shell', '--group', '--supp-group',
            '--whitelist-environment', '--user'], ops: 'none',
        };
        // `su - -c cmd user`: a lone `-` means --login, and options may follow the user name.
        const o = scan(args.map((a) => (a.literal && a.value === '-' ? literalArg('--login') : a)), spec, key === 'runuser');
        const cmd = o.opts.find((x) => ['-c', '--command', '--session-command'].includes(x.name));
        if (cmd) { this.shellString(cmd.value, c, `${key} -c`); return { index: -1, via }; }
        if (key === 'runuser' && o.opts.some((x) => x.name === '-u' || x.name === '--user')) {
          const j = args.length - scan(args, spec, true).operands.length;
          return args[j] ? { index: j, via: 'runuser' } : { index: -1, via };
        }
        this.shellStdin(c);
        return { index: -1, via };
      }
      case 'script': {
        const o = scan(args, { v: 'cEIOBTt', vl: ['--command', '--log-in', '--log-out', '--log-io', '--log-timing',
          '--echo'], ops: 'none' }, true);
        const cmd = o.opts.find((x) => x.name === '-c' || x.name === '--command');
        self();
        if (cmd) this.shellString(cmd.value, c, 'script -c');
        for (const f of o.operands) this.file(f, 'write', name);
        return { index: -1, via };
      }
      case 'busybox':
      case 'toybox':
        if (!args[0]) { self(); return { index: -1, via }; }
        return { index: 0, via: key };
      case 'xargs': {
        self();
        const o = scan(args, {
          v: 'adEILnPs', vl: ['--arg-file', '--delimiter', '--max-args', '--max-procs', '--max-chars',
            '--process-slot-var'], r: ['-a', '--arg-file'], ops: 'none',
        }, true);
        for (const x of o.opts) if (x.name === '-a' || x.name === '--arg-file') this.file(x.value, 'read', name);
        const j = args.length - o.operands.length;
        if (!args[j]) return { index: -1, via };
        // The command's stdin is not xargs' input (GNU xargs gives it /dev/null).
        return { index: j, via: 'xargs', env: { ...c.env, xargs: true, piped: false }, stdin: { kind: 'tty', body: null } };
      }
      case 'parallel': {
        self();
        const end = args.findIndex((a) => a.literal && /^:::+\+?$/.test(a.value));
        const o = scan(end < 0 ? args : args.slice(0, end), {
          v: 'jSaIdEX', vl: ['--jobs', '--sshlogin', '--arg-file', '--colsep', '--delimiter', '--eof', '--joblog',
            '--results', '--tmpdir', '--workdir', '--timeout', '--delay', '--retries', '--halt'], ops: 'none',
        }, true);
        const cmdWords = o.operands;
        if (!cmdWords.length) { this.shellStdin(c); return { index: -1, via }; }
        this.joinedScript(cmdWords, { ...c, env: { ...c.env, xargs: true } }, 'parallel');
        return { index: -1, via };
      }
      case 'find':
        self();
        this.find(name, args, c);
        return { index: -1, via };
      case 'sg': {
        // sg GROUP [-c] COMMAND runs the command with /bin/sh -c.
        self();
        const rest = args.slice(1);
        if (rest[0]?.literal && rest[0].value === '-c') this.shellString(rest[1], c, 'sg -c');
        else if (rest.length) this.joinedScript(rest, c, 'sg');
        return { index: -1, via };
      }
      case 'gdb':
      case 'cgdb': {
        self();
        const o = scan(args, { v: 'xpcdsDi', vl: ['-ex', '--eval-command', '-iex', '--init-eval-command', '--command',
          '--init-command', '--pid', '--core', '--directory', '--symbols', '--exec', '--se', '--cd', '--tty'],
        ops: 'none', stop: ['--args'] });
        for (const x of o.opts) {
          if (['-ex', '--eval-command', '-iex', '--init-eval-command'].includes(x.name)
            && (!x.value?.literal || /^\s*(!|shell\b|python|py\b|pi\b|pipe\b|\||guile|gu\b|source\b|run\b|r\b|start\b)/.test(x.value.value))) {
            this.unres('interpreter inline code', c.src);
          }
          if (['-x', '--command', '--init-command'].includes(x.name)) this.file(x.value, 'read', name);
        }
        const at = args.findIndex((a) => a.literal && a.value === '--args');
        return at >= 0 && args[at + 1] ? { index: at + 1, via: 'gdb --args' } : { index: -1, via };
      }
      case 'docker':
      case 'podman':
      case 'nerdctl': {
        self();
        const g = scan(args, { v: 'Hlc', vl: ['--host', '--context', '--config', '--log-level', '--tlscacert',
          '--tlscert', '--tlskey'], ops: 'none' }, true);
        let k = args.length - g.operands.length;
        if (args[k]?.literal && args[k].value === 'container') k++;
        const sub = args[k]?.literal ? args[k].value : '';
        if (!['run', 'exec', 'create'].includes(sub)) return { index: -1, via };
        const rest = args.slice(k + 1);
        const o = scan(rest, {
          v: 'acehlmpuvw', ops: 'none',
          vl: ['--env', '--env-file', '--volume', '--publish', '--workdir', '--name', '--user', '--network', '--net',
            '--label', '--entrypoint', '--mount', '--platform', '--cpus', '--memory', '--add-host', '--cap-add',
            '--cap-drop', '--device', '--dns', '--hostname', '--ipc', '--log-driver', '--log-opt', '--pid', '--restart',
            '--runtime', '--security-opt', '--shm-size', '--tmpfs', '--ulimit', '--gpus', '--pull', '--stop-signal',
            '--health-cmd', '--cidfile', '--detach-keys', '--volumes-from', '--link', '--expose', '--group-add',
            '--memory-swap', '--sysctl', '--userns', '--uts', '--label-file', '--cpu-shares', '--attach', '--network-alias'],
        }, true);
        for (const x of o.opts) {
          // A bind mount exposes a host path to the container.
          if ((x.name === '-v' || x.name === '--volume') && x.value) {
            const host = argText(x.value).split(':')[0];
            if (host.startsWith('/') || host.startsWith('.') || host.startsWith('~') || host.startsWith('$')) {
              this.file({ ...x.value, value: host, src: host }, 'read', name);
            }
          }
        }
        const j = rest.length - o.operands.length; // the image or container
        const inner = rest.slice(j + 1);
        const entry = o.opts.find((x) => x.name === '--entrypoint')?.value;
        const label = `${key} ${sub}`;
        if (entry) { this.run([entry, ...inner], c, label); return { index: -1, via }; }
        return inner.length ? { index: k + 1 + j + 1, via: label } : { index: -1, via };
      }
      case 'kubectl':
      case 'oc': {
        self();
        const sub = args.find((a) => !a.literal || !a.value.startsWith('-'));
        const dd = args.findIndex((a) => a.literal && a.value === '--');
        if (sub?.literal && ['exec', 'run', 'debug'].includes(sub.value) && dd >= 0 && args[dd + 1]) {
          return { index: dd + 1, via: `${key} ${sub.value}` };
        }
        return { index: -1, via };
      }
      case 'nix-shell':
      case 'nix': {
        self();
        for (let k = 0; k < args.length; k++) {
          const v = args[k].literal ? args[k].value : '';
          if (key === 'nix-shell' && (v === '--run' || v === '--command')) this.shellString(args[k + 1], c, `${key} ${v}`);
          if (key === 'nix' && (v === '-c' || v === '--command') && args[k + 1]) return { index: k + 1, via: 'nix' };
        }
        return { index: -1, via };
      }
      default: {
        const spec = RUNNERS[key];
        if (!spec) return null;
        self();
        let rest = args;
        let label = key;
        if (spec.sub) {
          const s = args.findIndex((a) => !a.literal || !a.value.startsWith('-'));
          if (s < 0 || !args[s].literal || !spec.sub.includes(args[s].value)) return { index: -1, via };
          label = `${key} ${args[s].value}`;
          rest = args.slice(s + 1);
        }
        const o = scan(rest, { v: spec.v, vl: spec.vl, ops: 'none' }, true);
        if (spec.shell) {
          const str = o.opts.find((x) => spec.shell?.includes(x.name));
          if (str) { this.shellString(str.value, c, `${label} ${str.name}`); return { index: -1, via }; }
        }
        const j = rest.length - o.operands.length + (spec.operands ?? 0);
        return rest[j] ? { index: args.length - rest.length + j, via: label } : { index: -1, via };
      }
    }
  }

  private envAssignWord(a: Arg, c: Call): void {
    const eq = a.value.indexOf('=');
    this.envVar(a.value.slice(0, eq), literalArg(a.value.slice(eq + 1)), c.env, c.sc.level, a.value);
  }

  private find(name: string, args: Arg[], c: Call): void {
    let k = 0;
    // Leading -H -L -P -D debugopts -Olevel.
    while (k < args.length && args[k].literal && /^-([HLP]|O\d*|D)$/.test(args[k].value)) k += args[k].value === '-D' ? 2 : 1;
    const rootStart = k;
    while (k < args.length && !(args[k].literal && /^[-(!)]/.test(args[k].value) && args[k].value !== '-')) k++;
    const roots = args.slice(rootStart, k);
    for (const r of roots) this.file(r, 'read', name);
    // With an action that opens or deletes what it finds, the -name/-path tests say which files are touched.
    const acts = args.filter((a) => a.literal && /^-(exec|execdir|ok|okdir|delete)$/.test(a.value)).map((a) => a.value);
    if (acts.length) {
      for (let t = k; t < args.length - 1; t++) {
        if (!(args[t].literal && /^-(i?name|i?path|i?wholename)$/.test(args[t].value))) continue;
        if (acts.some((x) => x !== '-delete')) this.file(args[t + 1], 'read', name);
        if (acts.includes('-delete')) this.file(args[t + 1], 'write', name);
      }
    }
    for (; k < args.length; k++) {
      const a = args[k];
      if (!a.literal) continue;
      const v = a.value;
      if (['-exec', '-execdir', '-ok', '-okdir'].includes(v)) {
        let e = k + 1;
        while (e < args.length && !(args[e].literal && (args[e].value === ';' || args[e].value === '+'))) e++;
        const inner = args.slice(k + 1, e);
        if (inner.length) this.run(inner, { ...c, env: { ...c.env, xargs: false } }, 'find -exec');
        k = e;
      } else if (v === '-delete') {
        for (const r of roots.length ? roots : [literalArg('.')]) this.file(r, 'write', name);
      } else if (['-fprint', '-fprint0', '-fprintf', '-fls'].includes(v)) {
        this.file(args[k + 1], 'write', name);
        k++;
      } else if (v === '-files0-from') {
        this.file(args[k + 1], 'read', name);
        k++;
      }
    }
  }

  // ----- the effective command

  private analyze(name: string, key: string, args: Arg[], c: Call, via: string): void {
    this.obfuscation(key, args, c);
    if (c.env.xargs && (SHELL_RE.test(key) || key === 'eval' || key === 'source' || key === '.')) {
      this.unres('pipe to shell', c.env.pipeSrc || c.src);
    }
    if (SHELL_RE.test(key)) { this.shell(name, args, c); return; }
    const fam = interpFamily(key);
    if (fam) { this.interpreter(fam, name, args, c); return; }
    switch (key) {
      case 'eval': {
        if (!args.length) { this.codeFromStdin(c, 'shell'); return; }
        if (args.every((a) => a.literal)) this.script(args.map((a) => a.value).join(' '), c.env, c.sc.level + 1, 'eval');
        else this.unres('non-literal eval', c.src);
        return;
      }
      case 'trap': {
        const action = args[0];
        if (args.length >= 2 && action && !(action.literal && (action.value === '-' || action.value.startsWith('-')))) {
          if (action.literal) { if (action.value.trim()) this.script(action.value, c.env, c.sc.level + 1, 'trap'); }
          else this.unres('non-literal eval', c.src);
        }
        return;
      }
      case 'alias':
        if (args.some((a) => !a.literal || a.value.includes('='))) this.unres('alias definition', c.src);
        return;
      case 'cd':
      case 'pushd':
        this.chdir(args);
        return;
      case 'popd':
        this.cwd = null;
        return;
      case 'source':
      case '.': {
        const f = args[0];
        if (f?.literal && STDIN_PATHS.has(f.value)) {
          this.codeFromStdin(c, 'shell');
        } else {
          this.file(f, 'read', name);
          if (f?.literal) this.executes(f.value, c.src);
        }
        return;
      }
      case 'dd':
        for (const a of args) {
          const m = /^(if|of)=(.*)$/s.exec(a.value);
          if (!m) continue;
          const arg = a.literal ? literalArg(m[2]) : { ...a, src: a.src.replace(/^(if|of)=/, '') };
          this.file(arg, m[1] === 'if' ? 'read' : 'write', name);
        }
        return;
      case 'tar': this.tar(name, args, c); return;
      case 'curl': this.curl(name, args, c); return;
      case 'wget': this.wget(name, args); return;
      case 'git': this.git(name, args, c); return;
      case 'ssh': this.ssh(name, args, c); return;
      case 'scp':
      case 'rsync': this.copyRemote(key, name, args, c); return;
      case 'openssl': this.openssl(name, args); return;
      default:
    }
    if (this.network1(key, name, args, c)) return;
    const spec = FILE_CMDS[key];
    if (spec) this.fileArgs(name, spec, args, c);
  }

  private obfuscation(key: string, args: Arg[], c: Call): void {
    const lower = args.map((a) => (a.literal ? a.value.toLowerCase() : ''));
    const text = `${key} ${args.map(argText).join(' ')}`;
    if (['base64', 'base32', 'basenc', 'gbase64', 'b64'].includes(key)
      && lower.some((a) => a === '--decode' || /^-[a-z]*d/.test(a))) this.unres('base64 decode', text);
    if (key === 'uudecode' || (key === 'xxd' && args.some((a) => a.literal && a.value.startsWith('-r')))) {
      this.unres('hex decode', text);
    }
    if (key === 'openssl' && lower.some((a) => a === '-d' || a === '-decrypt' || a === '-base64d')) {
      this.unres('openssl decode', text);
    }
    if (!c.env.inPipeline) return;
    if (key === 'rev') this.unres('rev in pipeline', c.env.pipeSrc);
    const escaped = /\\(x[0-9a-fA-F]|[0-7]|u[0-9a-fA-F]|U[0-9a-fA-F])/;
    const echoE = key === 'echo' && args.some((a) => a.literal && /^-[neE]*e[neE]*$/.test(a.value));
    if ((key === 'printf' || echoE) && args.some((a) => escaped.test(argText(a)))) {
      this.unres('escape sequences in pipeline', c.env.pipeSrc);
    }
  }

  // ----- shells and interpreters

  private shell(name: string, args: Arg[], c: Call): void {
    let j = 0;
    let hasC = false;
    let stdinFlag = false;
    for (; j < args.length; j++) {
      const a = args[j];
      if (!a.literal) break;
      const v = a.value;
      if (v === '--' || v === '-') { j++; break; }
      if (v.startsWith('--')) {
        if (v === '--rcfile' || v === '--init-file') { this.file(args[j + 1], 'read', name); j++; }
        continue;
      }
      if ((v[0] === '-' || v[0] === '+') && v.length > 1) {
        for (const ch of v.slice(1)) {
          if (ch === 'c') hasC = true;
          else if (ch === 's') stdinFlag = true;
          else if (ch === 'o' || ch === 'O') j++;
        }
        continue;
      }
      break;
    }
    const operand = args[j];
    if (hasC) {
      if (!operand) return; // the script comes from xargs input (flagged there) or is missing
      this.shellString(operand, c, `${name} -c`);
      return;
    }
    if (operand && !stdinFlag && !(operand.literal && STDIN_PATHS.has(operand.value))) {
      this.file(operand, 'read', name);
      if (operand.literal) this.executes(operand.value, c.src);
      return;
    }
    this.shellStdin(c);
  }

  /** A shell reading its script from stdin. */
  private shellStdin(c: Call): void {
    this.codeFromStdin(c, 'shell');
    // Still derive what a literal here-document would run, so deny rules name the command they caught.
    if (c.stdin.kind === 'heredoc' && c.stdin.body !== null) {
      this.script(c.stdin.body, { ...c.env, piped: false }, c.sc.level + 1, 'here-document');
    }
  }

  /**
   * A command that runs its standard input as code. Piped input is unknowable; a here-document or here-string is
   * code in the command line, but a second language layer the deny rules were not written for, so it is refused too.
   * (A here-document that only feeds data, `cat <<'EOF'` in a commit message, stays allowed.)
   */
  private codeFromStdin(c: Call, what: 'shell' | 'interpreter'): void {
    if (c.stdin.kind === 'pipe') this.unres(`pipe to ${what}`, c.env.pipeSrc || c.src);
    else if (c.stdin.kind === 'heredoc') this.unres(what === 'shell' ? 'here-document into a shell' : 'here-document into an interpreter', c.src);
  }

  private shellString(a: Arg | undefined, c: Call, via: string): void {
    if (!a) return;
    if (a.literal) this.script(a.value, c.env, c.sc.level + 1, via);
    else this.unres('non-literal shell -c', c.src);
  }

  private joinedScript(words: Arg[], c: Call, via: string): void {
    if (words.every((a) => a.literal)) this.script(words.map((a) => a.value).join(' '), c.env, c.sc.level + 1, via);
    else this.unres('non-literal shell -c', c.src);
  }

  private interpreter(fam: InterpFamily, name: string, args: Arg[], c: Call): void {
    if (fam === 'awk') { this.awk(name, args, c); return; }
    if (fam === 'vim') {
      const cmds = args.filter((a, i) => a.literal && (a.value.startsWith('+')
        || ['-c', '--cmd'].includes(args[i - 1]?.value ?? '')));
      if (cmds.some((a) => /!|system|call|py|lua|perl|ruby|term/.test(a.value))) this.unres('interpreter inline code', c.src);
      this.fileArgs(name, EDITOR, args, c);
      return;
    }
    if (fam === 'pwsh') {
      if (args.some((a) => a.literal && /^-(c|command|e|ec|enc|encodedcommand)$/i.test(a.value))) {
        this.unres('interpreter inline code', c.src);
      } else if (!args.some((a) => a.literal && /^-(f|file)$/i.test(a.value))) {
        this.codeFromStdin(c, 'interpreter');
      }
      return;
    }
    if (fam === 'deno') {
      const sub = args.findIndex((a) => !a.literal || !a.value.startsWith('-'));
      const s = args[sub];
      if (s?.literal && s.value === 'eval') this.unres('interpreter inline code', c.src);
      else if (s?.literal && s.value === 'run') {
        const script = args.slice(sub + 1).find((a) => !a.literal || !a.value.startsWith('-'));
        if (!script || (script.literal && STDIN_PATHS.has(script.value))) {
          this.codeFromStdin(c, 'interpreter');
        } else if (script.literal && /^https?:\/\//i.test(script.value)) this.net(script.value, name);
        else this.file(script, 'read', name);
      } else if (s?.literal && s.value === 'repl') {
        this.codeFromStdin(c, 'interpreter');
      }
      return;
    }
    const spec = INTERP[fam];
    let inline = false;
    let module = false;
    let j = 0;
    outer: for (; j < args.length; j++) {
      const a = args[j];
      if (!a.literal) break;
      const v = a.value;
      if (v === '--') { j++; break; }
      if (v === '-' || !v.startsWith('-') || v.length < 2) break;
      if (v.startsWith('--')) {
        const nm = v.split('=')[0];
        if (spec.inlineLong?.includes(nm)) { inline = true; break; }
        if (!v.includes('=') && spec.vl?.includes(nm)) j++;
        continue;
      }
      for (let k = 1; k < v.length; k++) {
        const ch = v[k];
        if (spec.inline.includes(ch)) { inline = true; break outer; }
        if (spec.module?.includes(ch)) { module = true; break outer; }
        if (spec.v?.includes(ch)) { if (k === v.length - 1) j++; break; }
        if (spec.glued?.includes(ch)) break;
        if (spec.digits?.includes(ch)) while (k + 1 < v.length && /[0-9]/.test(v[k + 1])) k++;
      }
    }
    if (inline) { this.unres('interpreter inline code', c.src); return; }
    if (module) return;
    let script = args[j];
    if (fam === 'bun' && script?.literal && script.value === 'run') script = args[j + 1];
    else if (fam === 'bun' && script?.literal && /^[a-z]+$/.test(script.value) && !script.value.includes('.')) return;
    if (fam === 'php') {
      const f = args.findIndex((a) => a.literal && a.value === '-f');
      if (f >= 0) script = args[f + 1];
    }
    const fromStdin = !script || (script.literal && STDIN_PATHS.has(script.value));
    if (fromStdin) {
      this.codeFromStdin(c, 'interpreter');
      if (c.env.xargs) this.unres('pipe to interpreter', c.env.pipeSrc || c.src);
      return;
    }
    this.file(script, 'read', name);
    if (script.literal) this.executes(script.value, c.src);
  }

  private awk(name: string, args: Arg[], c: Call): void {
    const o = scan(args, {
      v: 'Ffvei', vl: ['--field-separator', '--assign', '--file', '--source', '--include', '--load', '--exec'],
      ops: 'none',
    });
    const programs: Arg[] = [];
    let fileProgram = false;
    for (const x of o.opts) {
      if (['-e', '--source'].includes(x.name) && x.value) programs.push(x.value);
      if (['-f', '--file', '-E', '--exec', '-i', '--include'].includes(x.name)) { this.file(x.value, 'read', name); fileProgram = true; }
    }
    let operands = o.operands;
    if (!programs.length && !fileProgram && operands.length) { programs.push(operands[0]); operands = operands.slice(1); }
    for (const p of programs) {
      if (!p.literal) { this.unres('awk runs commands', c.src); continue; }
      // system(), pipes into or out of commands, and getline from a command all run programs.
      if (/\bsystem\s*\(|\bpopen\b|\bgetline\b|\|&|(^|[^|])\|(?!\|)/.test(stripAwkLiterals(p.value))) {
        this.unres('awk runs commands', c.src);
      }
    }
    for (const f of operands) if (!(f.literal && /^[A-Za-z_][A-Za-z0-9_]*=/.test(f.value))) this.file(f, 'read', name);
  }

  // ----- files

  private fileArgs(name: string, spec: FileSpec, args: Arg[], c: Call): void {
    const o = scan(args, spec);
    for (const x of o.opts) {
      if (spec.r?.includes(x.name)) this.file(x.value, 'read', name);
      if (spec.w?.includes(x.name)) this.file(x.value, 'write', name);
      if (spec.x?.includes(x.name)) this.shellString(x.value, c, `${name} ${x.name}`);
      if (x.name === '--slurpfile' || x.name === '--rawfile') this.file(x.value2, 'read', name);
    }
    let ops = o.operands;
    const patternGiven = spec.noPattern?.some((f) => o.flags.has(f) || o.opts.some((x) => x.name === f));
    if (spec.first === 'skip' && !patternGiven) {
      if (SED === spec && ops[0]?.literal) this.sedProgram(ops[0].value, c);
      ops = ops.slice(1);
    }
    if (SED === spec) for (const x of o.opts) if ((x.name === '-e' || x.name === '--expression') && x.value?.literal) this.sedProgram(x.value.value, c);
    if (keyOf(name) === 'yq' && ops[0]?.literal && ['e', 'eval', 'ea', 'eval-all'].includes(ops[0].value)) ops = ops.slice(2);
    if (spec.first === 'write' && ops.length) { this.file(ops[0], 'write', name); ops = ops.slice(1); }
    if (spec.first === 'read' && ops.length) { this.file(ops[0], 'read', name); ops = ops.slice(1); }
    const target = spec.target && o.opts.find((x) => spec.target?.includes(x.name));
    const inplace = spec.inplace?.some((f) => o.flags.has(f) || o.opts.some((x) => x.name === f));
    switch (spec.ops) {
      case 'read':
        for (const f of ops) { this.file(f, 'read', name); if (inplace) this.file(f, 'write', name); }
        break;
      case 'write':
        for (const f of ops) this.file(f, 'write', name);
        break;
      case 'rw':
        for (const f of ops) { this.file(f, 'read', name); this.file(f, 'write', name); }
        break;
      case 'inout':
        this.file(ops[0], 'read', name);
        this.file(ops[1], 'write', name);
        break;
      case 'copy':
      case 'move':
      case 'link': {
        const sources = target ? ops : ops.length > 1 ? ops.slice(0, -1) : ops;
        const dest = target ? target.value : ops.length > 1 ? ops[ops.length - 1] : undefined;
        for (const f of sources) { this.file(f, 'read', name); if (spec.ops === 'move') this.file(f, 'write', name); }
        this.file(dest, 'write', name);
        break;
      }
      case 'none':
    }
  }

  private sedProgram(program: string, c: Call): void {
    // GNU sed runs shell commands with the `e` command and the `e` flag of `s`.
    const sFlagE = /(^|[;\n{}]\s*)s(.)(?:\\.|(?!\2).)*\2(?:\\.|(?!\2).)*\2[gpiImM0-9w]*e/;
    const eCmd = /(^|[;\n{}])\s*(\d+|\$|\/(?:\\.|[^/])*\/)?(,\s*(\d+|\$|\/(?:\\.|[^/])*\/))?\s*!?\s*e(\s|;|$)/;
    if (sFlagE.test(program) || eCmd.test(program)) this.unres('sed runs commands', c.src);
  }

  private tar(name: string, args: Arg[], c: Call): void {
    // Old-style `tar czf out.tgz dir`: the first word is a cluster of options without a dash.
    const list0 = args[0]?.literal && /^[A-Za-z]+$/.test(args[0].value) ? [literalArg(`-${args[0].value}`), ...args.slice(1)] : args;
    const o = scan(list0, {
      v: 'fCTXbHKLNgVIF', ops: 'none',
      vl: ['--file', '--directory', '--files-from', '--exclude-from', '--blocking-factor', '--format', '--starting-file',
        '--tape-length', '--newer', '--listed-incremental', '--label', '--use-compress-program', '--info-script',
        '--new-volume-script', '--to-command', '--rsh-command', '--exclude', '--transform', '--owner', '--group', '--mode'],
    });
    const create = ['-c', '--create', '-r', '--append', '-u', '--update', '-A', '--catenate'].some((f) => o.flags.has(f));
    for (const x of o.opts) {
      if (x.name === '-f' || x.name === '--file') this.file(x.value, create ? 'write' : 'read', name);
      if (['-T', '--files-from', '-X', '--exclude-from'].includes(x.name)) this.file(x.value, 'read', name);
      if (['-I', '--use-compress-program', '-F', '--info-script', '--new-volume-script', '--to-command', '--rsh-command']
        .includes(x.name)) this.shellString(x.value, c, `${name} ${x.name}`);
      if (x.name === '--checkpoint-action' && x.value?.literal && /^(exec|sleep)=/.test(x.value.value)) {
        if (x.value.value.startsWith('exec=')) this.shellString(literalArg(x.value.value.slice(5)), c, 'tar --checkpoint-action');
      }
    }
    if (create) for (const f of o.operands) this.file(f, 'read', name);
  }

  // ----- network

  private curl(name: string, args: Arg[], c: Call): void {
    const o = scan(args, {
      v: 'AbcCdDeEFHKmoPQrtTuUwxXyYz', ops: 'none',
      vl: ['--data', '--data-ascii', '--data-binary', '--data-raw', '--data-urlencode', '--json', '--form',
        '--form-string', '--header', '--proxy-header', '--output', '--output-dir', '--user', '--proxy-user',
        '--user-agent', '--referer', '--cookie', '--cookie-jar', '--request', '--upload-file', '--config', '--max-time',
        '--connect-timeout', '--retry', '--retry-delay', '--retry-max-time', '--range', '--continue-at', '--write-out',
        '--proxy', '--socks4', '--socks4a', '--socks5', '--socks5-hostname', '--preproxy', '--url', '--cacert',
        '--capath', '--cert', '--cert-type', '--key', '--key-type', '--pass', '--ciphers', '--interface',
        '--local-port', '--dns-servers', '--resolve', '--connect-to', '--limit-rate', '--max-filesize', '--max-redirs',
        '--proto', '--proto-redir', '--trace', '--trace-ascii', '--stderr', '--dump-header', '--netrc-file',
        '--oauth2-bearer', '--aws-sigv4', '--variable', '--expect100-timeout', '--keepalive-time', '--speed-limit',
        '--speed-time', '--time-cond', '--tls-max', '--unix-socket', '--abstract-unix-socket', '--noproxy', '--quote',
        '--mail-from', '--mail-rcpt', '--mail-auth', '--doh-url', '--hsts', '--alt-svc', '--etag-save',
        '--etag-compare', '--happy-eyeballs-timeout-ms', '--parallel-max', '--create-file-mode', '--rate', '--url-query'],
    });
    for (const t of o.operands) this.net(argText(t), name);
    for (const x of o.opts) {
      const v = x.value;
      if (!v) continue;
      const val = argText(v);
      switch (x.name) {
        case '--url': case '-x': case '--proxy': case '--preproxy': case '--socks4': case '--socks4a': case '--socks5':
        case '--socks5-hostname': case '--doh-url':
          this.net(val, name); break;
        case '-o': case '--output': case '-c': case '--cookie-jar': case '-D': case '--dump-header': case '--trace':
        case '--trace-ascii': case '--stderr': case '--etag-save':
          this.file(v, 'write', name); break;
        case '-T': case '--upload-file': case '-K': case '--config': case '--cacert': case '--cert': case '-E': case '--key':
        case '--netrc-file': case '--etag-compare':
          this.file(v, 'read', name); break;
        case '-b': case '--cookie':
          if (!val.includes('=')) this.file(v, 'read', name); break;
        case '-d': case '--data': case '--data-binary': case '--data-ascii': case '--json': case '--data-urlencode': {
          const at = val.indexOf('@');
          if (at >= 0 && (at === 0 || (x.name === '--data-urlencode' && !val.slice(0, at).includes('=')))) {
            this.file({ ...v, value: val.slice(at + 1), src: val.slice(at + 1) }, 'read', name);
          }
          break;
        }
        case '-F': case '--form': {
          const m = /^[^=]*=[@<]([^;]*)/.exec(val);
          if (m) this.file({ ...v, value: m[1], src: m[1] }, 'read', name);
          break;
        }
        default:
      }
    }
  }

  private wget(name: string, args: Arg[]): void {
    const o = scan(args, {
      v: 'oaiBeOtTwQPUlARDIX', ops: 'none',
      vl: ['--output-file', '--append-output', '--input-file', '--base', '--execute', '--output-document', '--tries',
        '--timeout', '--wait', '--quota', '--directory-prefix', '--user-agent', '--level', '--accept', '--reject',
        '--domains', '--include-directories', '--exclude-directories', '--header', '--post-data', '--post-file',
        '--body-data', '--body-file', '--method', '--user', '--password', '--http-user', '--http-password',
        '--proxy-user', '--proxy-password', '--load-cookies', '--save-cookies', '--referer', '--ca-certificate',
        '--certificate', '--private-key', '--limit-rate', '--bind-address', '--dns-timeout', '--connect-timeout',
        '--read-timeout', '--waitretry', '--max-redirect', '--cut-dirs', '--progress', '--config', '--rejected-log',
        '--warc-file', '--accept-regex', '--reject-regex', '--default-page', '--local-encoding', '--remote-encoding'],
    });
    for (const t of o.operands) this.net(argText(t), name);
    for (const x of o.opts) {
      if (['-O', '--output-document', '-o', '--output-file', '-a', '--append-output', '--save-cookies'].includes(x.name)) {
        this.file(x.value, 'write', name);
      }
      if (['-i', '--input-file', '--post-file', '--body-file', '--load-cookies', '--config', '--certificate',
        '--private-key'].includes(x.name)) this.file(x.value, 'read', name);
      if ((x.name === '-B' || x.name === '--base') && x.value) this.net(argText(x.value), name);
    }
  }

  private git(name: string, args: Arg[], c: Call): void {
    const o = scan(args, {
      v: 'Cc', vl: ['--git-dir', '--work-tree', '--namespace', '--config-env', '--super-prefix'], ops: 'none',
    }, true);
    for (const x of o.opts) {
      if ((x.name === '-c' || x.name === '--config-env') && x.value) this.gitConfig(argText(x.value), c);
    }
    const rest = o.operands;
    const sub = rest[0]?.literal ? rest[0].value : '';
    const subArgs = rest.slice(1);
    if (subArgs.some((a) => /^ext::|^fd::/.test(argText(a)) || /^--(upload-pack|receive-pack|exec)\b/.test(argText(a)))
      || (['clone', 'fetch', 'pull', 'ls-remote', 'archive'].includes(sub) && subArgs.some((a) => a.literal && /^-u/.test(a.value)))) {
      this.unres('git command-execution option', c.src);
    }
    if (sub === 'config') {
      const ops = subArgs.filter((a) => !a.literal || !a.value.startsWith('-'));
      if (ops[0] && ops.length >= 2) this.gitConfig(`${argText(ops[0])}=${argText(ops[1])}`, c);
      return;
    }
    const sc = scan(subArgs, {
      v: 'boujcC', ops: 'none',
      vl: ['--branch', '--origin', '--upload-pack', '--receive-pack', '--template', '--reference', '--reference-if-able',
        '--separate-git-dir', '--depth', '--deepen', '--shallow-since', '--shallow-exclude', '--config', '--jobs',
        '--filter', '--server-option', '--push-option', '--refmap', '--negotiation-tip', '--exec', '--bundle-uri'],
    });
    for (const x of sc.opts) if ((x.name === '-c' || x.name === '--config') && x.value) this.gitConfig(argText(x.value), c);
    const ops = sc.operands;
    const urlLike = (a: Arg | undefined): string | null => {
      if (!a) return null;
      const v = argText(a);
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) return v;
      const scp = /^(?:[^@/\s]+@)?([^/:\s]+):(.*)$/.exec(v);
      if (scp && (v.includes('@') || scp[1].includes('.'))) return `ssh://${v.replace(':', '/')}`;
      return null;
    };
    const report = (a: Arg | undefined) => { const u = urlLike(a); if (u) this.net(u, `${name} ${sub}`); };
    switch (sub) {
      case 'clone': case 'fetch': case 'pull': case 'push': case 'ls-remote': report(ops[0]); break;
      case 'remote':
        if (ops[0]?.literal && ['add', 'set-url'].includes(ops[0].value)) report(ops[ops.length - 1]);
        break;
      case 'submodule':
        if (ops[0]?.literal && ops[0].value === 'add') report(ops[1]);
        break;
      case 'archive':
        for (const x of sc.opts) if (x.name === '--remote') report(x.value);
        for (const a of subArgs) if (a.literal && a.value.startsWith('--remote=')) report(literalArg(a.value.slice(9)));
        break;
      // Commands that read the files they name: `git add .env && git show :.env` must not launder a denied file.
      case 'add': case 'stage': case 'blame': case 'annotate': case 'hash-object': case 'diff':
        for (const a of ops) if (!(a.literal && a.value === '--')) this.file(a, 'read', `${name} ${sub}`);
        break;
      case 'show': case 'cat-file':
        // `<rev>:<path>` (or `:<path>`, the index) names a file's content in git's own syntax.
        for (const a of ops) {
          const m = a.literal ? /^[^:/]*:(?!\/\/)(.+)$/.exec(a.value) : null;
          if (m) this.file(literalArg(m[1]), 'read', `${name} ${sub}`);
        }
        break;
      default:
    }
  }

  private gitConfig(kv: string, c: Call): void {
    const eq = kv.indexOf('=');
    const key = (eq < 0 ? kv : kv.slice(0, eq)).toLowerCase();
    if (GIT_EXEC_KEY.test(key)) {
      // Aliases are harmless unless they start a shell command ("!cmd").
      if (key.startsWith('alias.') && !kv.slice(eq + 1).trim().startsWith('!')) return;
      this.unres('git command-execution option', c.src);
    }
  }

  private sshOptions(o: Scanned, name: string, c: Call): void {
    for (const x of o.opts) {
      const v = x.value ? argText(x.value) : '';
      if (x.name === '-o' && /^\s*(proxycommand|localcommand|permitlocalcommand|knownhostscommand|match)\b/i.test(v)) {
        this.unres('ssh command option', c.src);
      }
      if (x.name === '-F' || x.name === '-i') this.file(x.value, 'read', name);
      if (x.name === '-E') this.file(x.value, 'write', name);
      if (x.name === '-J' && v) for (const h of v.split(',')) this.net(hostOf(h), name);
      if (x.name === '-S' && name !== 'ssh' && x.value) this.shellString(x.value, c, `${name} -S`);
    }
  }

  private ssh(name: string, args: Arg[], c: Call): void {
    const o = scan(args, { v: 'BbcDEeFIiJLlmOopQRSWw', ops: 'none' }, true);
    this.sshOptions(o, name, c);
    const dest = o.operands[0];
    if (!dest) return;
    this.net(hostOf(argText(dest)), name);
    const remote = o.operands.slice(1);
    // The remote command runs elsewhere, but it is still something the agent does: analyse it when it is known.
    if (remote.length && remote.every((a) => a.literal)) {
      this.script(remote.map((a) => a.value).join(' '), { ...c.env, piped: false }, c.sc.level + 1, 'ssh');
    }
  }

  private copyRemote(key: string, name: string, args: Arg[], c: Call): void {
    const spec: FileSpec = key === 'rsync'
      ? {
        v: 'eBfTM', ops: 'none', x: ['-e', '--rsh'],
        vl: ['--rsh', '--exclude', '--include', '--filter', '--exclude-from', '--include-from', '--files-from',
          '--password-file', '--rsync-path', '--log-file', '--backup-dir', '--suffix', '--chmod', '--chown', '--usermap',
          '--groupmap', '--timeout', '--contimeout', '--port', '--bwlimit', '--max-size', '--min-size', '--partial-dir',
          '--temp-dir', '--compare-dest', '--copy-dest', '--link-dest', '--compress-level', '--skip-compress',
          '--info', '--debug', '--out-format', '--log-file-format', '--modify-window', '--iconv', '--sockopts',
          '--max-delete', '--block-size', '--checksum-choice', '--compress-choice', '--write-batch',
          '--only-write-batch', '--read-batch', '--protocol', '--address', '--remote-option'],
      }
      : { v: 'cFiJlOoPSbs', ops: 'none' };
    const o = scan(args, spec);
    if (key === 'rsync') {
      for (const x of o.opts) {
        if (['--exclude-from', '--include-from', '--files-from', '--password-file'].includes(x.name)) this.file(x.value, 'read', name);
        if (x.name === '--log-file') this.file(x.value, 'write', name);
        if (x.name === '-e' || x.name === '--rsh') this.shellString(x.value, c, `${name} -e`);
      }
    } else {
      this.sshOptions(o, name, c);
      for (const x of o.opts) if (x.name === '-b') this.file(x.value, 'read', name);
    }
    const remote = (a: Arg): string | null => {
      const v = argText(a);
      const url = /^(?:rsync|scp|sftp|ssh):\/\/(?:[^@/]*@)?(\[[^\]]*\]|[^/:]*)/i.exec(v);
      if (url) return url[1].replace(/^\[|\]$/g, '');
      const m = /^(?:[^@/:]*@)?(\[[^\]]*\]|[^/:]+):/.exec(v);
      return m ? m[1].replace(/^\[|\]$/g, '') : null;
    };
    const ops = o.operands;
    ops.forEach((a, i) => {
      const host = remote(a);
      if (host !== null) { this.net(host, name); return; }
      const last = i === ops.length - 1 && ops.length > 1;
      this.file(a, last ? 'write' : 'read', name);
    });
  }

  private openssl(name: string, args: Arg[]): void {
    for (let i = 0; i < args.length; i++) {
      const v = args[i].literal ? args[i].value : '';
      if (['-in', '-inkey', '-key', '-CAfile', '-cert', '-certfile', '-signkey', '-kfile', '-config', '-infiles',
        '-sigfile', '-prvkey', '-pubin', '-CAkey', '-untrusted'].includes(v)) { this.file(args[i + 1], 'read', name); i++; }
      else if (['-out', '-keyout', '-signature'].includes(v)) { this.file(args[i + 1], 'write', name); i++; }
      else if (v === '-connect' && args[i + 1]) { this.net(hostOf(argText(args[i + 1])), name); i++; }
      else if ((v === '-pass' || v === '-passin' || v === '-passout') && args[i + 1]?.literal) {
        const p = args[i + 1].value;
        if (p.startsWith('file:')) this.file(literalArg(p.slice(5)), 'read', name);
        i++;
      }
    }
  }

  /** Host-based network commands; true when `key` was one. */
  private network1(key: string, name: string, args: Arg[], c: Call): boolean {
    switch (key) {
      case 'nc': case 'ncat': case 'netcat': {
        const o = scan(args, {
          v: 'IiMmOPpsTVWwXxqedco', ops: 'none',
          vl: ['--proxy', '--proxy-type', '--proxy-auth', '--source', '--source-port', '--wait', '--idle-timeout',
            '--exec', '--sh-exec', '--lua-exec', '--output', '--hex-dump', '--max-conns', '--delay', '--append-output'],
        });
        for (const x of o.opts) {
          if ((x.name === '-x' || x.name === '--proxy') && x.value) this.net(hostOf(argText(x.value)), name);
          if (['-c', '--sh-exec'].includes(x.name)) this.shellString(x.value, c, `${name} -c`);
          if (['-e', '--exec'].includes(x.name) && x.value) {
            if (x.value.literal) this.script(x.value.value, { ...c.env, piped: false }, c.sc.level + 1, `${name} -e`);
            else this.unres('non-literal shell -c', c.src);
          }
          if (x.name === '--lua-exec') this.unres('interpreter inline code', c.src);
          if (['-o', '--output', '--append-output', '--hex-dump'].includes(x.name)) this.file(x.value, 'write', name);
        }
        const listen = o.flags.has('-l') || o.flags.has('--listen');
        if (!listen && o.operands[0]) this.net(hostOf(argText(o.operands[0])), name);
        return true;
      }
      case 'telnet': case 'ftp': case 'sftp': case 'whois': case 'ping': case 'ping6': case 'traceroute': case 'mtr':
      case 'tracepath': {
        const values: Record<string, string> = {
          telnet: 'lbnekX', ftp: 'Po', whois: 'hpT', ping: 'cilmpsFIMQSTtWw', ping6: 'cilmpsFIMQSTtWw',
          traceroute: 'fFmNpqtwzsiAgx', mtr: 'cisfmMPQBGa', tracepath: 'lmp',
        };
        const host = scan(args, { v: values[key] ?? '', ops: 'none' }).operands[0];
        if (host) this.net(hostOf(argText(host)), name);
        return true;
      }
      case 'dig': case 'nslookup': case 'host': case 'drill': {
        const o = scan(args, { v: 'bcfkpqtxyW', ops: 'none' });
        const types = /^(a|aaaa|any|mx|ns|txt|soa|cname|ptr|srv|caa|ds|dnskey|axfr|ixfr|in|ch|hs)$/i;
        for (const a of o.operands) {
          const v = argText(a);
          if (v.startsWith('+')) continue;
          if (v.startsWith('@')) { this.net(v.slice(1), name); continue; }
          if (key === 'dig' && types.test(v)) continue;
          this.net(v, name);
        }
        for (const x of o.opts) if (x.name === '-f') this.file(x.value, 'read', name);
        return true;
      }
      case 'socat': {
        for (const a of args) {
          const v = argText(a);
          const m = /^(tcp[46]?|udp[46]?|ssl|openssl|tcp-connect|udp-connect|sctp|dccp|proxy|socks4a?|socks5):([^:,]+)/i.exec(v);
          if (m && !/listen/i.test(m[1])) this.net(m[2], name);
          const x = /^(exec|system):(.*)$/is.exec(v);
          if (x) {
            const cmd = x[2].split(',')[0];
            if (a.literal) this.script(cmd, { ...c.env, piped: false }, c.sc.level + 1, 'socat');
            else this.unres('non-literal shell -c', c.src);
          }
        }
        return true;
      }
      case 'aria2c': case 'axel': case 'lynx': case 'links': case 'w3m': case 'elinks': {
        for (const a of scan(args, { v: 'dojixsanNkU', ops: 'none' }).operands) this.net(argText(a), name);
        return true;
      }
      case 'http': case 'https': case 'xh': case 'xhs': case 'httpie': case 'curlie': {
        // [METHOD] URL [request items]
        const ops = scan(args, { v: 'aopsvPAFjx', vl: ['--auth', '--output', '--session', '--session-read-only',
          '--verify', '--cert', '--cert-key', '--proxy', '--timeout', '--pretty', '--style', '--print', '--auth-type'],
        ops: 'none' }).operands;
        const url = ops[0] && /^[A-Z]+$/.test(argText(ops[0])) ? ops[1] : ops[0];
        if (url) this.net(argText(url), name);
        return true;
      }
      case 'npx': case 'pnpx': case 'bunx': {
        const o = scan(args, { v: 'cp', vl: ['--call', '--package'], ops: 'none' }, true);
        const call = o.opts.find((x) => x.name === '-c' || x.name === '--call');
        if (call) this.shellString(call.value, c, `${name} -c`);
        return false;
      }
      default:
        return false;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Helpers

/** The value of `$name` / `${name}` when it is a loop variable bound to one literal item, else null. */
function boundValue(p: Raw, env: Env): string | null {
  if (!env.vars?.size || kind(p.Param) !== 'Lit') return null;
  const v = env.vars.get(String(p.Param.Value));
  if (v === undefined) return null;
  const plain = !p.Excl && !p.Length && !p.Width && !kind(p.Index) && !kind(p.Slice) && !kind(p.Repl) && !kind(p.Exp);
  return plain ? v : null;
}

function mayAssign(name: string, script: string): boolean {
  const n = name.replace(/[^A-Za-z0-9_]/g, '');
  return new RegExp(`(^|[^\\w$])${n}(\\[[^\\]]*\\])?\\+?=|\\$\\{${n}:?[=?]|\\b(read|mapfile|readarray|printf|declare|typeset|local|export|let|eval|source|unset|getopts|alias|trap)\\b|(^|\\s)\\.\\s|\\(\\(`)
    .test(script);
}

function isAssignment(a: Arg): boolean {
  return a.literal && /^[A-Za-z_][A-Za-z0-9_]*=/.test(a.value);
}

/** Quotes a (byte) string for re-parsing as one shell word. */
function shQuote(s: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** `user@host:port`, `[v6]:port`, `host:path`, `ssh://user@host:port/x` → host. */
function hostOf(s: string): string {
  let v = s.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  v = v.slice(v.lastIndexOf('@', v.indexOf('/') < 0 ? v.length : v.indexOf('/')) + 1);
  const v6 = /^\[([^\]]*)\]/.exec(v);
  if (v6) return v6[1];
  return v.split(/[/:]/)[0];
}

/**
 * Splits arguments into options and operands with GNU getopt conventions (options may follow operands; `--` ends
 * them). With `stopAtOperand`, parsing stops at the first operand (wrappers: what follows is another command).
 */
function scan(args: Arg[], spec: FileSpec, stopAtOperand = false): Scanned {
  const operands: Arg[] = [];
  const opts: Scanned['opts'] = [];
  const flags = new Set<string>();
  let endOpts = false;
  for (let k = 0; k < args.length; k++) {
    const a = args[k];
    const v = a.literal ? a.value : '';
    const optionLike = a.literal && !endOpts && v.length > 1 && v[0] === '-'
      && !(spec.flagRe && !v.startsWith('--') && !spec.flagRe.test(v));
    if (!optionLike) {
      if (stopAtOperand) { operands.push(...args.slice(k)); break; }
      operands.push(a);
      continue;
    }
    if (v === '--') {
      endOpts = true;
      if (stopAtOperand) { operands.push(...args.slice(k + 1)); break; }
      continue;
    }
    if (v.startsWith('--') || (spec.vl?.includes(v))) {
      const eq = v.indexOf('=');
      const nm = eq < 0 ? v : v.slice(0, eq);
      if (eq >= 0) opts.push({ name: nm, value: { ...a, value: v.slice(eq + 1), src: v.slice(eq + 1), tail: v.slice(eq + 1) } });
      else if (spec.vl2?.includes(nm)) { opts.push({ name: nm, value: args[k + 1], value2: args[k + 2] }); k += 2; }
      else if (spec.vl?.includes(nm)) { opts.push({ name: nm, value: args[k + 1] }); k++; }
      else flags.add(nm);
      if (spec.stop?.includes(nm)) break;
      continue;
    }
    for (let i = 1; i < v.length; i++) {
      const ch = v[i];
      const nm = `-${ch}`;
      if (spec.v?.includes(ch)) {
        const rest = v.slice(i + 1);
        if (rest) opts.push({ name: nm, value: { ...a, value: rest, src: rest, tail: rest } });
        else { opts.push({ name: nm, value: args[k + 1] }); k++; }
        break;
      }
      flags.add(nm);
      if (spec.g?.includes(ch)) break;
    }
  }
  return { operands, opts, flags };
}

/** Decodes the body of `$'...'`. */
function ansiC(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch !== '\\' || i + 1 >= s.length) { out += ch; continue; }
    const n = s[++i];
    const simple: Record<string, string> = { a: '\x07', b: '\b', e: '\x1b', E: '\x1b', f: '\f', n: '\n', r: '\r',
      t: '\t', v: '\v', '\\': '\\', "'": "'", '"': '"', '?': '?' };
    if (n in simple) { out += simple[n]; continue; }
    const take = (re: RegExp, max: number): string => {
      let d = '';
      while (d.length < max && i + 1 < s.length && re.test(s[i + 1])) d += s[++i];
      return d;
    };
    if (n >= '0' && n <= '7') {
      const d = n + take(/[0-7]/, 2);
      out += String.fromCharCode(parseInt(d, 8) & 0xff);
    } else if (n === 'x') {
      const d = take(/[0-9a-fA-F]/, 2);
      out += d ? String.fromCharCode(parseInt(d, 16)) : '\\x';
    } else if (n === 'u' || n === 'U') {
      const d = take(/[0-9a-fA-F]/, n === 'u' ? 4 : 8);
      out += d ? utf8Bytes(parseInt(d, 16)) : `\\${n}`;
    } else if (n === 'c' && i + 1 < s.length) {
      out += String.fromCharCode(s.charCodeAt(++i) & 0x1f);
    } else out += `\\${n}`;
  }
  return out;
}

/** Backslash removal inside double quotes: only \$ \` \" \\ and a newline are escapes. */
function dqUnescape(s: string): string {
  if (!s.includes('\\')) return s;
  return s.replace(/\\([$`"\\\n])/g, (_m, c: string) => (c === '\n' ? '' : c));
}

/** Blanks out string and regex literals of an awk program, so that `/a|b/` or `"a|b"` is not read as a pipe. */
function stripAwkLiterals(p: string): string {
  return p.replace(/"(?:\\.|[^"\\])*"/g, '""')
    .replace(/(^|[({,;!~&|]\s*|\n\s*)\/(?:\\.|\[(?:\\.|[^\]\\])*\]|[^/\\\n])*\//g, '$1//');
}

/** The text of a here-document when it is literal: raw with a quoted delimiter, else with \$ \` \\ escapes. */
function heredocBody(r: Raw): string | null {
  const parts = list(r.Hdoc?.Parts);
  if (!kind(r.Hdoc) || !parts.every((p) => kind(p) === 'Lit')) return kind(r.Hdoc) ? null : '';
  const raw = parts.map((p) => String(p.Value)).join('');
  const delim = list(r.Word?.Parts);
  const quoted = delim.length !== 1 || kind(delim[0]) !== 'Lit' || String(delim[0].Value).includes('\\');
  return quoted ? raw : raw.replace(/\\([$`\\\n])/g, (_m, c: string) => (c === '\n' ? '' : c));
}

/**
 * Bash brace expansion over the unquoted characters of a word (`active`): `a{b,c}d`, `{1..3}`, `{a..c}`, nested.
 * Returns null when the result would be too large.
 */
function braceExpand(text: string, active: boolean[]): string[] | null {
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

// ---------------------------------------------------------------------------------------------------------------
// Public API

const TOP: Env = { via: 'top', piped: false, inPipeline: false, pipeSrc: '', xargs: false, depth: 0 };

/** Analyses a Bash command line. A parse error yields an "unparseable command" unresolvable; it never throws. */
export function analyzeShell(command: string): ShellAnalysis {
  const empty = (construct: string, detail: string): ShellAnalysis =>
    ({ commands: [], files: [], network: [], unresolvable: [{ construct, detail }] });
  if (typeof command !== 'string') return empty('unparseable command', 'not a string');
  const p = loadParser();
  if (!p) return empty('shell parser unavailable', loadFailure ?? 'unknown error');
  const bytes = toBytes(command);
  const a = new Analyzer(p, bytes.length);
  try {
    a.script(bytes, TOP, 0, 'top');
  } catch (e) {
    a.unres('analysis failed', errorText(e));
  }
  return { commands: a.commands, files: a.files, network: a.network, unresolvable: a.unresolvable };
}

// ----- matching Bash: patterns against derived commands

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
      return deny && info.head === name && info.canon.matches(render(name, f.canon, info.flags));
    };
    for (const name of names) {
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
interface ArgForms { joined: string; canon: Canon; rendered: string }

function argForms(name: string, rest: string[]): ArgForms {
  const canon = canonicalize(name, rest, false);
  return { joined: [name, ...rest].join(' '), canon, rendered: render(name, canon) };
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
    if (deny && keyOf(name) === 'git') forms.push(argForms(name, withoutGitGlobals(cmd.args)));
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
