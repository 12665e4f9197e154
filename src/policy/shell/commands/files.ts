// Commands whose operands and options name files: what each reads, writes or runs. One entry per command (families
// share a grammar: GREP, SED, ...). Also the commands with a grammar of their own: dd, tar, find.
import { argText, keyOf, literalArg, STDIN_PATHS, UNKNOWN_TREE_WRITE, type Arg, type Call, type NameTest, type Sink } from '../types.ts';
import { scan, type FileSpec } from '../options.ts';

export const READ: FileSpec = { ops: 'read' };
export const WRITE: FileSpec = { ops: 'write' };
export const GREP: FileSpec = {
  v: 'efmABCdD', first: 'skip', noPattern: ['-e', '--regexp', '-f', '--file'], ops: 'read',
  vl: ['--regexp', '--file', '--max-count', '--after-context', '--before-context', '--context', '--devices',
    '--directories', '--label', '--exclude', '--include', '--exclude-dir', '--exclude-from', '--binary-files',
    '--group-separator'],
  r: ['-f', '--file', '--exclude-from'],
};
export const HEAD: FileSpec = { v: 'ncs', vl: ['--lines', '--bytes', '--sleep-interval', '--pid', '--max-unchanged-stats'], ops: 'read' };
export const CP: FileSpec = {
  v: 'tS', vl: ['--target-directory', '--suffix'], target: ['-t', '--target-directory'], ops: 'copy',
};
export const SED: FileSpec = {
  v: 'efl', g: 'i', vl: ['--expression', '--file', '--line-length'], r: ['-f', '--file'], first: 'skip',
  noPattern: ['-e', '--expression', '-f', '--file'], inplace: ['-i', '--in-place'], ops: 'read',
};
export const SUMS: FileSpec = { v: 'a', ops: 'read' };
export const EDITOR: FileSpec = { v: 'cSuiTwW', vl: ['--cmd'], ops: 'rw' };

export const FILE_CMDS: Record<string, FileSpec> = {
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

  cp: CP, install: { v: 'tSgmo', vl: ['--target-directory', '--suffix', '--group', '--mode', '--owner'],
    target: ['-t', '--target-directory'], ops: 'copy' },
  mv: { ...CP, ops: 'move' }, ln: { ...CP, ops: 'link' }, link: { ops: 'link' },
  tee: { ops: 'write' }, sponge: { v: 'a', ops: 'write' },
  dos2unix: { v: 'n', ops: 'rw' }, unix2dos: { v: 'n', ops: 'rw' }, mac2unix: { ops: 'rw' }, unix2mac: { ops: 'rw' },
  fallocate: { v: 'lox', vl: ['--length', '--offset'], ops: 'write' },
  // rename 's/a/b/' files...: what it renames is written (to where is in the expression).
  rename: { first: 'skip', ops: 'write' }, prename: { first: 'skip', ops: 'write' }, 'file-rename': { first: 'skip', ops: 'write' },
  rimraf: { ops: 'write', tree: true }, touch: { v: 'drt', r: ['-r', '--reference'], vl: ['--date', '--reference'], ops: 'write' },
  rm: { ops: 'write', tree: ['-r', '-R', '--recursive'] }, rmdir: WRITE,
  setfacl: { v: 'mMxX', vl: ['--modify', '--modify-file', '--remove', '--remove-file', '--set', '--set-file'],
    r: ['-M', '-X', '--modify-file', '--remove-file', '--set-file'], ops: 'write', tree: ['-R', '--recursive'] },
  chattr: { flagRe: /^-[RVf]+$/, first: 'skip', ops: 'write', tree: ['-R'] },
  // Trash tools move what they are given away: a directory with all under it.
  'trash-put': { ops: 'write', tree: true }, trash: { ops: 'write', tree: true }, unlink: WRITE, mkfifo: { v: 'm', ops: 'write' }, mknod: { v: 'm', ops: 'write' },
  mkdir: { v: 'm', vl: ['--mode'], ops: 'write' },
  shred: { v: 'ns', vl: ['--iterations', '--size', '--random-source'], ops: 'write' },
  truncate: { v: 'sr', r: ['-r', '--reference'], vl: ['--size', '--reference'], ops: 'write' },
  chmod: { flagRe: /^-[Rvcf]+$/, first: 'skip', noPattern: ['--reference'], r: ['--reference'], ops: 'write', tree: ['-R', '--recursive'] },
  chown: { flagRe: /^-[RvcfhHLP]+$/, first: 'skip', noPattern: ['--reference'], r: ['--reference'], ops: 'write', tree: ['-R', '--recursive'] },
  chgrp: { flagRe: /^-[RvcfhHLP]+$/, first: 'skip', noPattern: ['--reference'], r: ['--reference'], ops: 'write', tree: ['-R', '--recursive'] },
  // zip -m (--move) deletes what it archived: its operands are written too, whole trees with -r.
  zip: { v: 'bntPOsZ', w: ['-O', '--output-file'], x: ['-TT', '--unzip-command'], vl: ['-TT', '--unzip-command'],
    first: 'write', ops: 'read', inplace: ['-m', '--move'] },
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
  // man runs its pager (-P, --pager) with sh -c; its operands are page names (a path operand is still checked by
  // the rule that any argument naming a denied file is an access to it).
  man: {
    v: 'PMLmSsCEeRp', r: ['-C', '--config-file'], x: ['-P', '--pager'], ops: 'none',
    vl: ['--pager', '--manpath', '--locale', '--systems', '--sections', '--extension', '--config-file', '--encoding',
      '--recode', '--preprocessor'],
  },
};

/**
 * Options whose program is fed the tool's data on its standard input (a compressor, tar's --to-command): a shell or
 * interpreter named there runs that data as code (`sort --compress-program=sh`, `tar -I sh -xf payload.tar`).
 */
const DATA_ON_STDIN = new Set(['--compress-program', '-I', '--use-compress-program', '--to-command']);
const fedData = (c: Call): Call => ({ ...c, env: { ...c.env, piped: true, pipeSrc: c.src } });

export function fileArgs(s: Sink, name: string, spec: FileSpec, args: Arg[], c: Call): void {
  const o = scan(args, spec);
  for (const x of o.opts) {
    if (spec.r?.includes(x.name)) s.file(x.value, 'read', name);
    if (spec.w?.includes(x.name)) s.file(x.value, 'write', name);
    if (spec.x?.includes(x.name)) s.shellString(x.value, DATA_ON_STDIN.has(x.name) ? fedData(c) : c, `${name} ${x.name}`);
    if (x.name === '--slurpfile' || x.name === '--rawfile') s.file(x.value2, 'read', name);
  }
  let ops = o.operands;
  const patternGiven = spec.noPattern?.some((f) => o.flags.has(f) || o.opts.some((x) => x.name === f));
  if (spec.first === 'skip' && !patternGiven) {
    if (SED === spec && ops[0]?.literal) sedProgram(s, ops[0].value, c);
    ops = ops.slice(1);
  }
  if (SED === spec) for (const x of o.opts) if ((x.name === '-e' || x.name === '--expression') && x.value?.literal) sedProgram(s, x.value.value, c);
  // sed -f: a script (which may run commands with `e`) from a file, from stdin (`-f -`) or from a descriptor.
  if (SED === spec) for (const x of o.opts) if (x.name === '-f' || x.name === '--file') s.codeFile(x.value, name, c);
  if (keyOf(name) === 'yq' && ops[0]?.literal && ['e', 'eval', 'ea', 'eval-all'].includes(ops[0].value)) ops = ops.slice(2);
  if (spec.first === 'write' && ops.length) { s.file(ops[0], 'write', name); ops = ops.slice(1); }
  if (spec.first === 'read' && ops.length) { s.file(ops[0], 'read', name); ops = ops.slice(1); }
  const target = spec.target && o.opts.find((x) => spec.target?.includes(x.name));
  const inplace = given(o, spec.inplace);
  const tree = spec.tree === true || given(o, spec.tree);
  // Under xargs, more operands come from its input: a tree write of directories the text does not name.
  if (tree && c.env.xargs && spec.ops === 'write') s.unres(UNKNOWN_TREE_WRITE, c.src);
  switch (spec.ops) {
    case 'read': {
      const recursive = keyOf(name) === 'zip' && given(o, ['-r', '--recurse-paths']);
      for (const f of ops) { s.file(f, 'read', name); if (inplace) s.file(f, 'write', name, recursive); }
      break;
    }
    case 'write': {
      // chown/chgrp/setfacl -L follow the links they meet: what a link points to is changed too.
      const follow = tree && ['chown', 'chgrp', 'setfacl'].includes(keyOf(name)) && given(o, ['-L', '--logical']);
      for (const f of ops) s.file(f, 'write', name, follow ? 'follow' : tree);
      break;
    }
    case 'rw':
      for (const f of ops) { s.file(f, 'read', name); s.file(f, 'write', name); }
      break;
    case 'inout':
      s.file(ops[0], 'read', name);
      s.file(ops[1], 'write', name);
      break;
    case 'copy':
    case 'move':
    case 'link': {
      const sources = target ? ops : ops.length > 1 ? ops.slice(0, -1) : ops;
      const dest = target ? target.value : ops.length > 1 ? ops[ops.length - 1] : undefined;
      // A hard link shares the file: writing it later writes the source (`ln lock.json x; echo > x`). So does a copy
      // made of links (`cp -l`, `cp -al`).
      const hard = spec.ops === 'link' ? !given(o, ['-s', '--symbolic']) : given(o, ['-l', '--link']);
      for (const f of sources) {
        s.file(f, 'read', name);
        // Moving a directory moves everything under it: a tree write of the source.
        if (spec.ops === 'move') s.file(f, 'write', name, true);
        if (hard) s.file(f, 'write', name, spec.ops !== 'link');
      }
      s.file(dest, 'write', name);
      // Into a directory, the file written is dest/<name of the source> (`cp /tmp/lock.json .`). Whether dest is a
      // directory is not in the text, so both are checked (not with -T, which says it is not).
      if (dest?.literal && !given(o, ['-T', '--no-target-directory'])) {
        // A directory for sure: -t, several sources, a trailing `/`, `.` or `..`; otherwise only if it is one now.
        const surely = !!target || sources.length > 1 || /(^|\/)\.{0,2}$/.test(dest.value) || dest.value === '~';
        for (const f of sources) {
          const base = f.literal ? f.value.replace(/\/+$/, '').split('/').pop() ?? '' : '';
          if (base && base !== '.' && base !== '..') {
            s.file(literalArg(`${dest.value.replace(/\/+$/, '')}/${base}`), 'write', name, false, undefined, surely ? undefined : dest.value);
          }
        }
      }
      break;
    }
    case 'none':
  }
}

/**
 * Whether one of these options was given: a short one alone or in a cluster (`-rf`), a long one in full or, as GNU
 * getopt takes it, abbreviated (`--recu` for `--recursive`, `--in-pl` for `--in-place`), with or without a value.
 */
function given(o: { flags: Set<string>; opts: Array<{ name: string }> }, names: readonly string[] | true | undefined): boolean {
  if (!names || names === true) return false;
  const hit = (f: string) => names.some((n) => f === n || (f.length >= 3 && f.startsWith('--') && n.startsWith(f)));
  for (const f of o.flags) if (hit(f)) return true;
  return o.opts.some((x) => hit(x.name));
}

export function sedProgram(s: Sink, program: string, c: Call): void {
  // GNU sed runs shell commands with the `e` command and the `e` flag of `s`.
  const sFlagE = /(^|[;\n{}]\s*)s(.)(?:\\.|(?!\2).)*\2(?:\\.|(?!\2).)*\2[gpiImM0-9w]*e/;
  const eCmd = /(^|[;\n{}])\s*(\d+|\$|\/(?:\\.|[^/])*\/)?(,\s*(\d+|\$|\/(?:\\.|[^/])*\/))?\s*!?\s*e(\s|;|$)/;
  if (sFlagE.test(program) || eCmd.test(program)) s.unres('sed runs commands', c.src);
  // The program names files of its own: `r`/`R` read one, `w`/`W` and the `w` flag of `s` write one. The file name
  // runs to the end of the line (a `;` is part of it), as GNU sed reads it.
  for (const m of program.matchAll(SED_FILE_CMD)) if (m[2].trim()) s.file(literalArg(m[2].trim()), m[1] === 'r' || m[1] === 'R' ? 'read' : 'write', 'sed');
  for (const m of program.matchAll(SED_S_WRITE)) if (m[2].trim()) s.file(literalArg(m[2].trim()), 'write', 'sed');
}

const SED_ADDR = String.raw`(?:\d+|\$|\/(?:\\.|[^/])*\/)`;
const SED_FILE_CMD = new RegExp(String.raw`(?:^|[;\n{}])\s*(?:${SED_ADDR}(?:\s*,\s*${SED_ADDR})?)?\s*!?\s*([rRwW])[ \t]*([^\n]*)`, 'g');
const SED_S_WRITE = /(?:^|[;\n{}]\s*)s(.)(?:\\.|(?!\1).)*\1(?:\\.|(?!\1).)*\1[gpiImMe0-9]*w[ \t]*([^\n]*)/g;

export function tar(s: Sink, name: string, args: Arg[], c: Call): void {
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
    if (x.name === '-f' || x.name === '--file') s.file(x.value, create ? 'write' : 'read', name);
    if (['-T', '--files-from', '-X', '--exclude-from'].includes(x.name)) s.file(x.value, 'read', name);
    if (['-I', '--use-compress-program', '-F', '--info-script', '--new-volume-script', '--to-command', '--rsh-command']
      .includes(x.name)) s.shellString(x.value, DATA_ON_STDIN.has(x.name) ? fedData(c) : c, `${name} ${x.name}`);
    if (x.name === '--checkpoint-action' && x.value?.literal && /^(exec|sleep)=/.test(x.value.value)) {
      if (x.value.value.startsWith('exec=')) s.shellString(literalArg(x.value.value.slice(5)), c, 'tar --checkpoint-action');
    }
  }
  if (create) for (const f of o.operands) s.file(f, 'read', name);
  // --remove-files deletes what it archived: every operand, with all under it.
  if (create && [...o.flags].some((f) => f.length >= 5 && '--remove-files'.startsWith(f))) for (const f of o.operands) s.file(f, 'write', name, true);
}

/** Compressors and their suffixes: they replace their input with the output unless told to keep it. */
interface Compressor { suffix: string; unpack: boolean; keepsByDefault: boolean; v: string }
const GZ = { suffix: '.gz', keepsByDefault: false, v: 'S' };
const BZ = { suffix: '.bz2', keepsByDefault: false, v: '' };
const XZ = { suffix: '.xz', keepsByDefault: false, v: 'CFMT' };
const ZST = { suffix: '.zst', keepsByDefault: true, v: 'oDM' };
const LZ4 = { suffix: '.lz4', keepsByDefault: true, v: '' };
const Z = { suffix: '.Z', keepsByDefault: false, v: 'b' };
const COMPRESSORS: Record<string, Compressor> = {
  gzip: { ...GZ, unpack: false }, gunzip: { ...GZ, unpack: true }, bzip2: { ...BZ, unpack: false }, bunzip2: { ...BZ, unpack: true },
  xz: { ...XZ, unpack: false }, unxz: { ...XZ, unpack: true }, lzma: { ...XZ, suffix: '.lzma', unpack: false },
  unlzma: { ...XZ, suffix: '.lzma', unpack: true }, zstd: { ...ZST, unpack: false }, unzstd: { ...ZST, unpack: true },
  lz4: { ...LZ4, unpack: false }, unlz4: { ...LZ4, unpack: true }, compress: { ...Z, unpack: false }, uncompress: { ...Z, unpack: true },
};
export const COMPRESSOR_NAMES = Object.keys(COMPRESSORS);

/**
 * gzip and its kind read their operands and, unless they write to stdout, test, list or keep, replace each with the
 * other form: `gzip .aflock` removes .aflock, `gunzip lock.json.gz` (re)writes lock.json; -r does it to a whole tree.
 */
export function compressor(s: Sink, name: string, key: string, args: Arg[]): void {
  const kind = COMPRESSORS[key];
  const o = scan(args, { v: kind.v, vl: ['--suffix', '--threads', '--memlimit', '--format', '--check', '--output', '--dict'], ops: 'none' });
  const toStdout = given(o, ['-c', '--stdout', '--to-stdout', '-t', '--test', '-l', '--list']);
  const keeps = given(o, ['-k', '--keep']) || (kind.keepsByDefault && !given(o, ['--rm']));
  const unpack = kind.unpack || given(o, ['-d', '--decompress', '--uncompress']);
  const suffix = o.opts.find((x) => x.name === '-S' || x.name === '--suffix')?.value;
  const ext = suffix?.literal ? suffix.value : kind.suffix;
  const tree = given(o, ['-r', '--recursive']);
  // lz4 IN OUT: a second operand is the output (unless -m takes several inputs).
  const lz4Out = (key === 'lz4' || key === 'unlz4') && o.operands.length === 2 && !given(o, ['-m', '--multiple']);
  if (lz4Out) s.file(o.operands[1], 'write', name);
  for (const f of lz4Out ? o.operands.slice(0, 1) : o.operands) {
    s.file(f, 'read', name);
    if (toStdout) continue;
    if (!keeps) s.file(f, 'write', name, tree);
    if (tree) continue; // what each file under the tree becomes is named by its own name: the tree write covers it
    if (f.literal) s.file(literalArg(unpack ? f.value.replace(/\.[^./]*$/, '') : `${f.value}${ext}`), 'write', name);
  }
  for (const x of o.opts) if (x.name === '-o' || x.name === '--output') s.file(x.value, 'write', name);
}

/** gio, GNOME's file tool: `gio trash|remove X` removes a tree, `gio move|copy|save|rename` write their targets. */
export function gio(s: Sink, name: string, args: Arg[]): void {
  const sub = args[0]?.literal ? args[0].value : '';
  const ops = args.slice(1).filter((a) => !(a.literal && a.value.startsWith('-')));
  if (sub === 'trash' || sub === 'remove' || sub === 'rm') for (const a of ops) s.file(a, 'write', `${name} ${sub}`, true);
  else if (sub === 'move' || sub === 'mv') { for (const a of ops) s.file(a, 'write', `${name} ${sub}`, ops.indexOf(a) < ops.length - 1); }
  else if (sub === 'copy' || sub === 'cp' || sub === 'save') s.file(ops[ops.length - 1], 'write', `${name} ${sub}`);
  else if (sub === 'rename') s.file(ops[0], 'write', `${name} ${sub}`);
  else for (const a of ops) s.file(a, 'read', `${name} ${sub}`);
}


/**
 * The name tests of a find expression that every file it acts on passes: its -name/-iname values when the expression
 * is a plain AND of tests (find's default). Null when it is not (`!`, `-not`, `-o`, `,`, parentheses) or when it tests
 * whole paths (-path, -regex, -lname): then any file under the roots may be acted on.
 */
function findNameTests(expr: Arg[]): NameTest[] | null {
  const out: NameTest[] = [];
  for (let t = 0; t < expr.length; t++) {
    const a = expr[t];
    if (!a.literal) return null;
    if (['!', '-not', '-o', '-or', ',', '(', ')'].includes(a.value)) return null;
    if (/^-(i?path|i?wholename|i?regex|i?lname)$/.test(a.value)) return null;
    if (a.value === '-exec' || a.value === '-execdir' || a.value === '-ok' || a.value === '-okdir') {
      while (t < expr.length && !(expr[t].literal && (expr[t].value === ';' || expr[t].value === '+'))) t++;
      continue;
    }
    if (a.value === '-name' || a.value === '-iname') {
      const v = expr[t + 1];
      if (!v?.literal) return null;
      out.push({ glob: v.value, fold: a.value === '-iname' });
      t++;
    }
  }
  return out;
}

export function find(s: Sink, name: string, args: Arg[], c: Call): void {
  let k = 0;
  // Leading -H -L -P -D debugopts -Olevel.
  while (k < args.length && args[k].literal && /^-([HLP]|O\d*|D)$/.test(args[k].value)) k += args[k].value === '-D' ? 2 : 1;
  const follow = args.slice(0, k).some((a) => a.value === '-L') || args.some((a) => a.literal && a.value === '-follow');
  const rootStart = k;
  while (k < args.length && !(args[k].literal && /^[-(!)]/.test(args[k].value) && args[k].value !== '-')) k++;
  const roots = args.slice(rootStart, k);
  for (const r of roots) s.file(r, 'read', name);
  // With an action that opens what it finds, a -name/-path test that spells a file names it (`-name .env`).
  const acts = args.filter((a) => a.literal && /^-(exec|execdir|ok|okdir|delete)$/.test(a.value)).map((a) => a.value);
  if (acts.length) {
    for (let t = k; t < args.length - 1; t++) {
      if (!(args[t].literal && /^-(i?name|i?path|i?wholename)$/.test(args[t].value))) continue;
      s.file(args[t + 1], 'read', name);
    }
  }
  // What it removes or changes (-delete, or -exec of a command that changes its {}) is a tree write of its roots,
  // narrowed to the names its tests require when the expression is a plain AND of them.
  let changes = false;
  for (; k < args.length; k++) {
    const a = args[k];
    if (!a.literal) continue;
    const v = a.value;
    if (['-exec', '-execdir', '-ok', '-okdir'].includes(v)) {
      let e = k + 1;
      while (e < args.length && !(args[e].literal && (args[e].value === ';' || args[e].value === '+'))) e++;
      const inner = args.slice(k + 1, e);
      // Whatever the command (after its wrappers) writes at `{}` is a file find reached: `-exec rm {}`, `-exec cp
      // /dev/null {}`, `-exec env rm {}`, `-exec sh -c 'rm "$1"' _ {}` (a path decided at run time is no better).
      const before = s.files.length;
      if (inner.length) s.run(inner, { ...c, env: { ...c.env, xargs: false } }, 'find -exec');
      if (s.files.slice(before).some((f) => f.mode === 'write' && (f.path.includes('{}') || f.path.includes('$')))) changes = true;
      k = e;
    } else if (v === '-delete') {
      changes = true;
    } else if (['-fprint', '-fprint0', '-fprintf', '-fls'].includes(v)) {
      s.file(args[k + 1], 'write', name);
      k++;
    } else if (v === '-files0-from') {
      s.file(args[k + 1], 'read', name);
      k++;
    }
  }
  if (changes) {
    const tests = findNameTests(args.slice(rootStart + roots.length));
    const only = tests && tests.length ? tests : undefined;
    for (const r of roots.length ? roots : [literalArg('.')]) s.file(r, 'write', name, follow ? 'follow' : true, only);
  }
}

// ----- the effective command


/** dd if=FILE of=FILE */
export function dd(s: Sink, name: string, args: Arg[]): void {
  for (const a of args) {
    const m = /^(if|of)=(.*)$/s.exec(a.value);
    if (!m) continue;
    const arg = a.literal ? literalArg(m[2]) : { ...a, src: a.src.replace(/^(if|of)=/, '') };
    s.file(arg, m[1] === 'if' ? 'read' : 'write', name);
  }
}
