// Shells and language interpreters: where their program comes from (an inline string, a file, stdin, a module),
// so that inline code is refused under deny rules and scripts are read files.
import { literalArg, type Arg, type Call, type Sink, STDIN_PATHS } from '../types.ts';
import { scan } from '../options.ts';
import { stripAwkLiterals } from '../text.ts';
import { EDITOR, fileArgs } from './files.ts';

export const SHELL_RE = /^(bash|sh|zsh|dash|ksh|ksh93|mksh|pdksh|oksh|ash|fish|csh|tcsh|yash|posh|rbash|rzsh)([0-9.]*)$/;

export type InterpFamily = 'python' | 'node' | 'bun' | 'deno' | 'ruby' | 'perl' | 'php' | 'lua' | 'r' | 'julia'
  | 'osascript' | 'pwsh' | 'tcl' | 'expect' | 'groovy' | 'awk' | 'vim';

export function interpFamily(key: string): InterpFamily | null {
  if (/^(python|pypy|ipython)[0-9.]*[mwtd]?$/.test(key)) return 'python';
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
  // vim under its other names (Debian's `editor` alternative may be vim too: read as one).
  if (/^(vim|vi|nvim|ex|view|gvim|rvim|rview|vimdiff|nvimdiff|gvimdiff|vimx|editor|vim\.(basic|tiny|gtk3|nox))$/.test(key)) return 'vim';
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

export const INTERP: Record<Exclude<InterpFamily, 'deno' | 'pwsh' | 'awk' | 'vim'>, InterpSpec> = {
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

export function shell(s: Sink, name: string, args: Arg[], c: Call): void {
  let j = 0;
  let hasC = false;
  let stdinFlag = false;
  for (; j < args.length; j++) {
    const a = args[j];
    if (!a.literal) break;
    const v = a.value;
    if (v === '--' || v === '-') { j++; break; }
    if (v.startsWith('--')) {
      if (v === '--rcfile' || v === '--init-file') { s.file(args[j + 1], 'read', name); j++; }
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
    s.shellString(operand, c, `${name} -c`);
    return;
  }
  if (operand && !stdinFlag && !(operand.literal && STDIN_PATHS.has(operand.value))) {
    s.codeFile(operand, name, c);
    return;
  }
  s.shellStdin(c);
}


export function interpreter(s: Sink, fam: InterpFamily, name: string, args: Arg[], c: Call): void {
  if (fam === 'awk') { awk(s, name, args, c); return; }
  if (fam === 'vim') {
    // Editor commands: `-c CMD` (also in a cluster, `ex -sc CMD`), `--cmd CMD`, `+CMD`.
    const o = scan(args, EDITOR);
    const cmds = [...o.opts.filter((x) => x.name === '-c' || x.name === '--cmd').map((x) => x.value), ...o.operands.filter((a) => a.literal && a.value.startsWith('+'))]
      .filter((a): a is Arg => a !== undefined);
    if (cmds.some((a) => /!|system|call|py|lua|perl|ruby|term/.test(a.value))) s.unres('interpreter inline code', c.src);
    for (const a of cmds) s.programArg(a, name, c.src); // `vim -es -c 'r .env'`: the file an editor command opens
    // -S names a file of editor commands: read like a script. Without `-` (the buffer from stdin), an editor whose
    // input is not a terminal reads it as commands (`vim -es <<< 'r .env'`, `echo ':!cmd' | vim`), as from -s/-S
    // /dev/stdin.
    for (const x of o.opts) if (x.name === '-S' && !(x.value?.literal && STDIN_PATHS.has(x.value.value))) s.codeFile(x.value, name, c);
    const fromStdin = o.opts.some((x) => (x.name === '-S' || x.name === '-s') && x.value?.literal && STDIN_PATHS.has(x.value.value))
      || (!o.operands.some((a) => a.literal && a.value === '-') && (c.stdin.kind === 'pipe' || c.stdin.kind === 'heredoc'));
    if (fromStdin) s.codeFromStdin(c, 'interpreter', name);
    fileArgs(s, name, EDITOR, args, c);
    return;
  }
  if (fam === 'pwsh') {
    if (args.some((a) => a.literal && /^-(c|command|e|ec|enc|encodedcommand)$/i.test(a.value))) {
      s.unres('interpreter inline code', c.src);
      for (const a of args) s.programArg(a, name, c.src);
    } else if (!args.some((a) => a.literal && /^-(f|file)$/i.test(a.value))) {
      s.codeFromStdin(c, 'interpreter', name);
    }
    return;
  }
  if (fam === 'deno') {
    const sub = args.findIndex((a) => !a.literal || !a.value.startsWith('-'));
    const w = args[sub];
    if (w?.literal && w.value === 'eval') {
      s.unres('interpreter inline code', c.src);
      for (const a of args.slice(sub + 1)) s.programArg(a, name, c.src);
    }
    else if (w?.literal && w.value === 'run') {
      const script = args.slice(sub + 1).find((a) => !a.literal || !a.value.startsWith('-'));
      if (!script || (script.literal && STDIN_PATHS.has(script.value))) {
        s.codeFromStdin(c, 'interpreter', name);
      } else if (script.literal && /^https?:\/\//i.test(script.value)) s.net(script.value, name);
      else s.file(script, 'read', name);
    } else if (w?.literal && w.value === 'repl') {
      s.codeFromStdin(c, 'interpreter', name);
    }
    return;
  }
  const spec = INTERP[fam];
  // perl -MModule=args loads a module; anything else after -M/-m is Perl code (`-M5;print<>`), run before the rest.
  if (fam === 'perl') {
    for (const a of args) {
      const mm = a.literal ? /^-[A-Za-z]*[Mm](.+)$/s.exec(a.value) : null;
      if (mm && !/^-?[\w:]+(=[\w:,]*)?$/.test(mm[1])) { s.unres('interpreter inline code', c.src); s.program(mm[1], name); }
    }
  }
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
  // An option the grammar above does not know may take a value and hide the inline flag behind it (`node
  // --redirect-warnings f -e CODE`): an inline flag anywhere on the line counts, read on the cautious side.
  // Every inline option counts (`perl -e 1 -e '...'`, `node -pe '...'`), its program glued or the next word. When
  // the scan above stopped at a script first, both are read: the programs here, the script below.
  const programs = inlinePrograms(spec, args);
  if (inline || (!module && programs.length > 0)) {
    s.unres('interpreter inline code', c.src);
    for (const p of programs) s.programArg(p, name, c.src);
    // An inline flag with nothing after it is completed by xargs from its input (`... | xargs python3 -c`).
    const last = args[args.length - 1];
    if (c.env.xargs && last?.literal && /^-[A-Za-z]*[ecEpr]$/.test(last.value)) s.unres('non-literal program', c.src);
    if (repl(fam, args)) s.codeFromStdin(c, 'interpreter', name);
  }
  // perl -i / ruby -i edit their file operands in place (`perl -pi -e 's/a/b/' lock.json`): every word that is not
  // an option or the program is written.
  if ((fam === 'perl' || fam === 'ruby') && args.some((a) => a.literal && /^-[alnpsw0-9]*i/.test(a.value))) {
    const progs = new Set(programs);
    for (const a of args) if (!progs.has(a) && !(a.literal && a.value.startsWith('-'))) s.file(a, 'write', name);
  }
  if (inline) return;
  if (module) {
    // A REPL module (or -i) reads code from stdin; other modules read data there (`... | python3 -m json.tool`).
    const m = args.findIndex((a) => a.literal && /^-[^-]*m/.test(a.value));
    const modAt = args[m]?.value.endsWith('m') ? m + 1 : -1;
    const modName = args[modAt];
    if (fam === 'python' && modName?.literal && REPL_MODULES.has(modName.value)) s.codeFromStdin(c, 'interpreter', name);
    // Modules whose arguments are Python statements (`python3 -m timeit 'code'`).
    if (fam === 'python' && modName?.literal && CODE_ARG_MODULES.has(modName.value)) {
      s.unres('interpreter inline code', c.src);
      for (const a of args.slice(modAt + 1)) s.programArg(a, name, c.src);
    }
    return;
  }
  if (args.some((a, i) => i < j && a.literal && /^-[A-Za-z]*i$/.test(a.value)) && fam === 'python') s.codeFromStdin(c, 'interpreter', name);
  let script = args[j];
  if (fam === 'bun' && script?.literal && script.value === 'run') script = args[j + 1];
  else if (fam === 'bun' && script?.literal && /^[a-z]+$/.test(script.value) && !script.value.includes('.')) return;
  if (fam === 'php') {
    const f = args.findIndex((a) => a.literal && a.value === '-f');
    if (f >= 0) script = args[f + 1];
  }
  const fromStdin = !script || (script.literal && STDIN_PATHS.has(script.value));
  if (fromStdin) {
    s.codeFromStdin(c, 'interpreter', name);
    if (c.env.xargs) s.unres('pipe to interpreter', c.env.pipeSrc || c.src);
    return;
  }
  s.codeFile(script, name, c);
}

/** Python modules that read code from stdin (REPLs and debuggers). */
/** Whether, after its inline code, the interpreter goes on reading code from stdin: -i (python, node, lua),
 * --interactive, perl's debugger (-d). */
function repl(fam: InterpFamily, args: Arg[]): boolean {
  return args.some((a) => a.literal && (a.value === '--interactive'
    || (fam === 'perl' ? /^-[A-Za-z]*d/.test(a.value) : fam !== 'ruby' && /^-[A-Za-z]*i[A-Za-z]*$/.test(a.value))));
}

/** Python modules that run statements given as their arguments. */
const CODE_ARG_MODULES = new Set(['timeit']);

const REPL_MODULES = new Set(['code', 'pdb', 'asyncio', 'idlelib', 'IPython', 'ptpython', 'bpython', 'trace', 'profile', 'cProfile']);

/**
 * The programs given inline, by every inline option of the command line (an interpreter may take several: perl -e
 * -e): after `--eval=`, glued to a short flag (`-e'...'`), and the word after the flag. Over-approximate on purpose:
 * a word that is really the script's first argument is checked as code, which only adds checks.
 */
function inlinePrograms(spec: InterpSpec, args: Arg[]): Arg[] {
  const out: Arg[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.literal || !a.value.startsWith('-') || a.value === '-' || a.value === '--') continue;
    const v = a.value;
    if (v.startsWith('--')) {
      const eq = v.indexOf('=');
      if (!spec.inlineLong?.includes(eq < 0 ? v : v.slice(0, eq))) continue;
      if (eq >= 0) out.push(literalArg(v.slice(eq + 1)));
      else if (args[i + 1]) out.push(args[i + 1]);
      continue;
    }
    for (let k = 1; k < v.length; k++) {
      if (!spec.inline.includes(v[k])) continue;
      // `-e'code'` carries its program; in `-pe 'code'` the rest are flags and the program is the next word (the
      // rest is still checked as code: `-ecode` reads the same).
      const rest = v.slice(k + 1);
      if (rest) out.push(literalArg(rest));
      if ((!rest || /^[A-Za-z]+$/.test(rest)) && args[i + 1]) out.push(args[i + 1]);
      break;
    }
  }
  return out;
}

export function awk(s: Sink, name: string, args: Arg[], c: Call): void {
  const o = scan(args, {
    v: 'Ffvei', vl: ['--field-separator', '--assign', '--file', '--source', '--include', '--load', '--exec'],
    ops: 'none',
  });
  const programs: Arg[] = [];
  let fileProgram = false;
  for (const x of o.opts) {
    if (['-e', '--source'].includes(x.name) && x.value) programs.push(x.value);
    if (['-f', '--file', '-E', '--exec', '-i', '--include'].includes(x.name)) {
      s.codeFile(x.value, name, c); // awk -f -: the program comes from stdin
      fileProgram = true;
    }
  }
  let operands = o.operands;
  if (!programs.length && !fileProgram && operands.length) { programs.push(operands[0]); operands = operands.slice(1); }
  for (const p of programs) {
    if (!p.literal) { s.unres('awk runs commands', c.src); continue; }
    // system(), and pipes into or out of commands (`"cmd" | getline`, `print | "cmd"`) run programs.
    if (/\bsystem\s*\(|\bpopen\b|\|&|(^|[^|])\|(?!\|)/.test(stripAwkLiterals(p.value))) {
      s.unres('awk runs commands', c.src);
    }
    awkFiles(s, name, p.value, c);
    s.program(p.value, name); // gawk's `@include ".env"`, and any other file the program names
  }
  for (const f of operands) if (!(f.literal && /^[A-Za-z_][A-Za-z0-9_]*=/.test(f.value))) s.file(f, 'read', name);
}

// ----- files


/**
 * Files an awk program opens itself: `getline [var] < "file"` reads, `print[f] ... > "file"` / `>> "file"` writes.
 * A target that is not a string literal (a variable, ARGV[1]) is a file the analysis cannot name.
 */
function awkFiles(s: Sink, name: string, program: string, c: Call): void {
  const stripped = stripAwkLiterals(program);
  for (const m of program.matchAll(/\bgetline\b[^;<|}]*<\s*("((?:\\.|[^"\\])*)"|[^;})\s]+)/g)) {
    if (m[2] !== undefined) s.file(literalArg(m[2]), 'read', name);
    else s.unres('dynamic file argument', `${name} getline < ${m[1]}`);
  }
  if (!/\bprintf?\b[^;|}]*>/.test(stripped)) return;
  for (const m of program.matchAll(/\bprintf?\b(?:[^;>|}"]|"(?:\\.|[^"\\])*")*>>?\s*("((?:\\.|[^"\\])*)"|[^;})\s]+)/g)) {
    if (m[2] !== undefined) s.file(literalArg(m[2]), 'write', name);
    else s.unres('dynamic file argument', `${name} print > ${m[1]}`);
  }
}

/**
 * More languages with inline code, as data: the options whose value is a program (`--opt VALUE`, `--opt=VALUE`) and
 * those whose value is a script file. The program's text is checked for the paths it names (Sink.program); a shell
 * escape inside it (`dc -e '!cmd'`, `gnuplot -e 'system("cmd")'`, `lldb -o 'platform shell cmd'`) is inline code too.
 */
export const INLINE_CODE: Record<string, { code: string[]; script?: string[] }> = {
  dc: { code: ['-e', '--expression'], script: ['-f', '--file'] },
  gnuplot: { code: ['-e'] },
  octave: { code: ['--eval'] }, 'octave-cli': { code: ['--eval'] },
  guile: { code: ['-c'], script: ['-s', '-l'] },
  racket: { code: ['-e', '--eval'], script: ['-f', '--load', '-t', '--require'] },
  sbcl: { code: ['--eval'], script: ['--load', '--script'] },
  clisp: { code: ['-x'], script: ['-i'] },
  ghc: { code: ['-e'] }, ghci: { code: ['-e'] },
  erl: { code: ['-eval'] }, elixir: { code: ['-e', '--eval'], script: ['-r', '--require'] },
  lldb: { code: ['-o', '--one-line', '-O', '--one-line-before-file', '-k', '--one-line-on-crash'], script: ['-s', '--source', '-S', '--source-before-file'] },
  scala: { code: ['-e'] }, kotlin: { code: ['-e'] }, swipl: { code: ['-g', '-t'], script: ['-s', '-l'] },
};

export function inlineCode(s: Sink, name: string, key: string, args: Arg[], c: Call): void {
  const spec = INLINE_CODE[key];
  let program = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.literal) continue;
    const eq = a.value.indexOf('=');
    // `--opt=VALUE`, `-e'VALUE'` (a two-character option with its value glued on), or `-opt VALUE`.
    const glued = [...spec.code, ...(spec.script ?? [])].find((o) => o.length === 2 && a.value.startsWith(o) && a.value.length > 2);
    const opt = glued ?? (eq > 1 ? a.value.slice(0, eq) : a.value);
    const value = () => (glued ? literalArg(a.value.slice(2)) : eq > 1 ? literalArg(a.value.slice(eq + 1)) : args[++i]);
    if (spec.code.includes(opt)) {
      program = true;
      s.unres('interpreter inline code', c.src);
      s.programArg(value(), name, c.src);
    } else if (spec.script?.includes(opt)) {
      program = true;
      s.codeFile(value(), name, c);
    }
  }
  // With no program given, each of these reads one from stdin (a REPL, a debugger's commands, dc's stack program).
  if (!program) s.codeFromStdin(c, 'interpreter', name);
}
