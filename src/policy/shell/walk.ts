// The walk: visits the syntax tree of a command line as Bash would run it, expands words as far as can be done
// without running anything, follows wrappers to the command they run, and hands each effective command to the
// command tables (commands/). It is the Sink the tables report through. Pure: no I/O, never throws on input.
import { forEachChild } from 'unbash';
import { parseScript, type AndOr, type Assignment, type Command, type CommandNode, type CompoundList,
  type DoubleQuotedChild, type HereDoc, type ParsedScript, type PipelineNode, type Redirection, type Statement,
  type SyntaxNode, type Word, type WordPart } from './parser.ts';
import {
  basename, inputEnv, keyOf, literalArg, MAX_DEPTH, MAX_LEVEL, MAX_LOOP_BYTES, MAX_LOOP_ITEMS, MIN_LOOP_BUDGET,
  MIN_PARSE_BUDGET, STDIN_PATHS, type Arg, type Call, type Env, type Script, type Sink, type StdinInfo,
} from './types.ts';
import { ansiC, braceExpand, dqUnescape, heredocUnescape, mayAssign } from './text.ts';
import { analyzeCommand, envVar, wrapper } from './commands/index.ts';
import { EVALUATED_SUBSCRIPT } from './commands/builtins.ts';
import { Results } from './results.ts';
import { interpFamily, SHELL_RE } from './commands/interpreters.ts';
import { passesFileThrough, PROCSUB_READERS } from './commands/data.ts';

const DECLARATIONS = new Set(['declare', 'typeset', 'export', 'local', 'readonly']);

export class Analyzer extends Results implements Sink {
  private parseBudget: number;
  private loopBudget: number;
  /**
   * `<( )` substitutions found while expanding the words of the current simple command (null outside of it), and
   * those waiting for the command that reads them: data when a PROCSUB_READERS command takes them as operands
   * (commands/data.ts), else `process substitution` once the command has run.
   */
  private procFound: string[] | null = null;
  private procPending = new Map<Arg, string[]>();

  constructor(inputLength: number) {
    super();
    // Nested strings are substrings of their parents, and loop bodies are re-walked only within a budget, so the
    // work stays a bounded multiple of the input.
    this.parseBudget = Math.max(MIN_PARSE_BUDGET, 4 * inputLength);
    this.loopBudget = Math.max(MIN_LOOP_BUDGET, 2 * inputLength);
  }

  envVar(name: string, v: Arg, env: Env, level: number, detail: string): void {
    envVar(this, name, v, env, level, detail);
  }

  // ----- parsing of (nested) scripts

  script(text: string, env: Env, level: number, via: string): void {
    if (level > MAX_LEVEL) {
      this.unres('nesting too deep', `${via}: ${text}`);
      return;
    }
    this.parseBudget -= text.length;
    if (this.parseBudget < 0) {
      this.unres('command too complex', `${via}: ${text}`);
      return;
    }
    const { script, error } = parseScript(text);
    if (error !== null) {
      this.unres('unparseable command', level === 0 ? error : `${via}: ${error}`);
      return;
    }
    // A nested shell (bash -c, eval counts too but cannot be told apart here) keeps its own directory changes.
    this.isolated(() => this.stmts(script.commands, { ...env, via }, { b: text, level }), level > 0 && via !== 'eval');
  }

  /** Runs `fn` as a subshell would: directory changes inside do not outlive it. */
  private isolated(fn: () => void, isolate = true): void {
    const saved = this.cwd;
    fn();
    if (isolate) this.cwd = saved;
  }

  // ----- statements

  private stmts(stmts: readonly Statement[], env: Env, sc: Script): void {
    for (const s of stmts) this.statement(s, env, sc);
  }

  private statement(st: Statement, env: Env, sc: Script): void {
    // The statement's text, with its `;` or `&` (the detail a lone command is reported with).
    const end = terminatorEnd(sc.b, st.end);
    const terminated = end > st.end || st.end > st.command.end;
    this.node(st.command, env, sc, terminated ? sc.b.slice(st.pos, end) : this.src(st.command, sc));
  }

  /** One node of a list: an and-or chain, a pipeline, or a command; `src` is its statement's text. */
  private node(n: PipelineNode | AndOr, env: Env, sc: Script, src: string): void {
    if (env.depth > MAX_DEPTH) {
      this.unres('nesting too deep', src);
      return;
    }
    const inner: Env = { ...env, depth: env.depth + 1 };
    switch (n.type) {
      case 'AndOr':
        for (const x of n.commands) this.node(x, inner, sc, this.src(x, sc));
        return;
      case 'Pipeline': {
        const time = n.prefixes.some((p) => p.type === 'Time');
        const penv: Env = time ? { ...inner, via: 'time' } : inner;
        if (n.commands.length === 1) {
          this.command(n.commands[0], penv, sc, time ? this.src(n.commands[0], sc) : src);
          return;
        }
        const pipeSrc = time ? this.src(n.commands[0], sc, n.commands[n.commands.length - 1]) : src;
        // A negated pipeline's first stage is reported from the `!` (as mvdan/sh did).
        const negated = n.prefixes.some((p) => p.type === 'Negation');
        n.commands.forEach((x, i) => this.isolated(() => this.command(x, {
          ...penv, via: 'pipeline', piped: i > 0 || penv.piped, inPipeline: true, pipeSrc,
        }, sc, i === 0 && negated ? sc.b.slice(n.pos, Math.max(x.end, heredocEnd(x))) : this.src(x, sc))));
        return;
      }
      default:
        this.command(n, inner, sc, src);
    }
  }

  private command(cmd: CommandNode, env: Env, sc: Script, src: string): void {
    if (cmd.type === 'Command') {
      this.call(cmd, env, sc, src);
      return;
    }
    let body = cmd;
    let benv = env;
    if (cmd.type === 'Redirected') {
      const stdin = this.redirects(cmd.redirects, src, env, sc);
      // Input given to a block (`{ bash; } <<< 'cmd'`, `if ...; fi < file`) reaches whichever command inside reads
      // it: for a shell or interpreter in there, that is code the analysis cannot attribute, as from a pipe.
      if (stdin.kind !== 'tty') benv = { ...env, piped: true, pipeSrc: env.pipeSrc || src };
      body = cmd.command;
    }
    const list = (l: CompoundList | undefined, via: string) => { if (l) this.stmts(l.commands, { ...benv, via }, sc); };
    switch (body.type) {
      case 'BraceGroup': list(body.body, 'group'); return;
      case 'Subshell': this.isolated(() => list(body.body, 'subshell')); return;
      case 'If':
        list(body.clause, 'if');
        list(body.then, 'if');
        for (const e of body.elif) { list(e.clause, 'if'); list(e.then, 'if'); }
        list(body.else, 'if');
        return;
      case 'While':
        list(body.clause, body.kind);
        list(body.body, body.kind);
        return;
      case 'ArithmeticFor':
        for (const e of [body.initialize, body.test, body.update]) if (e) this.nested(e, { ...benv, via: 'for' }, sc);
        list(body.body, 'for');
        return;
      case 'For':
      case 'Select':
        this.loop(body.type === 'Select', body.name, body.wordlist, body.body, benv, sc);
        return;
      case 'Case': {
        const cenv = { ...benv, via: 'case' };
        this.word(body.word, cenv, sc, false);
        for (const item of body.items) {
          for (const w of item.pattern) this.word(w, cenv, sc, false);
          list(item.body, 'case');
        }
        return;
      }
      case 'Function': {
        // The body runs wherever the function is called; its commands are derived here, once. Where it runs from
        // is only known when the line never changes directory; a cd inside it moves its callers, at unknown times.
        // The caller may feed it anything on stdin (`echo cmd | f`): a shell or interpreter reading stdin in the body
        // reads code the analysis cannot see.
        const fenv = { ...benv, via: 'function', piped: true, pipeSrc: benv.pipeSrc || src };
        const b = body.body;
        const before = this.chdirs;
        if (mayChdir(sc.b)) this.cwd = null;
        if (b.type === 'CompoundList') this.stmts(b.commands, fenv, sc);
        else if (b.type === 'BraceGroup' || b.type === 'Subshell') this.stmts(b.body.commands, fenv, sc);
        else this.command(b, fenv, sc, this.src(b, sc));
        if (this.chdirs !== before) this.cwd = null;
        return;
      }
      case 'Coproc': {
        const b = body.body;
        const cenv = { ...benv, via: 'coproc' };
        if (b.type === 'CompoundList') this.stmts(b.commands, cenv, sc);
        else this.command(b, cenv, sc, this.src(b, sc));
        return;
      }
      default: this.nested(body, benv, sc); // [[ ]], (( )) and anything newer: only substitutions inside can run
    }
  }

  private loop(select: boolean, nameWord: Word, wordlist: readonly Word[] | undefined, body: CompoundList, benv: Env,
    sc: Script): void {
    const via = select ? 'select' : 'for';
    const name = nameWord.text;
    const items: Arg[] = [];
    for (const w of wordlist ?? []) items.push(...this.word(w, { ...benv, via }, sc, true));
    const vars = new Map(benv.vars);
    vars.delete(name);
    // `for f in a b; do cat $f; done` reads a and b: walk the body once per literal item, as long as nothing else
    // can assign the variable and the repetition stays small.
    const bodyBytes = body.commands.reduce((n, b) => n + (b.end - b.pos), 0);
    const bindable = name && !select && items.length > 0 && items.length <= MAX_LOOP_ITEMS
      && items.every((a) => a.literal && !/\s/.test(a.value)) && bodyBytes * items.length <= MAX_LOOP_BYTES
      && bodyBytes * items.length <= this.loopBudget && !this.mayAssign(name, sc);
    if (!bindable) {
      this.stmts(body.commands, { ...benv, via, vars }, sc);
      return;
    }
    this.loopBudget -= bodyBytes * items.length;
    for (const item of items) this.stmts(body.commands, { ...benv, via, vars: new Map(vars).set(name, item.value) }, sc);
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

  /** Source text of a node (or of a run of nodes up to `last`), with the bodies of its here-documents. */
  private src(n: SyntaxNode, sc: Script, last?: SyntaxNode): string {
    const l = last ?? n;
    return sc.b.slice(n.pos, Math.max(l.end, heredocEnd(l)));
  }

  /** Walks any node for command or process substitutions (arithmetic, [[ ]], ${x:-...}, array indexes...). */
  private nested(root: SyntaxNode, env: Env, sc: Script): void {
    const stack: SyntaxNode[] = [root];
    while (stack.length) {
      const n = stack.pop() as SyntaxNode;
      // ${x@P} expands x as a prompt string: the command substitutions in its value run.
      if (n.type === 'ParameterExpansion' && n.operation?.type === 'Transform' && n.operation.operand.text.includes('P')) {
        this.unres('runtime-evaluated string', n.text);
      }
      switch (n.type) {
        case 'CommandExpansion': case 'ProcessSubstitution': case 'ArithmeticCommandExpansion':
          this.subst(n, env, sc);
          continue;
        case 'Statement':
          this.statement(n, env, sc);
          continue;
        case 'Literal': case 'SingleQuoted': case 'AnsiCQuoted':
          continue;
        default: {
          // Children are pushed in reverse so that commands come out in source order.
          const children: SyntaxNode[] = [];
          forEachChild(n, (c) => { children.push(c); });
          for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
        }
      }
    }
  }

  private subst(n: { type: string; text: string; script: ParsedScript | undefined; operator?: '<' | '>' }, env: Env,
    sc: Script): void {
    const script = n.script;
    if (!script) return;
    // A script inside escaped backticks has its own decoded source, which its positions index.
    const inner: Script = script.source !== undefined ? { b: script.source, level: sc.level } : sc;
    if (n.type !== 'ProcessSubstitution') {
      const via = n.text.startsWith('`') ? 'backticks' : '$( )';
      this.withoutOperand(() => this.isolated(() => this.stmts(script.commands, { ...env, via, piped: false, inPipeline: false, xargs: false }, inner)));
      return;
    }
    const out = n.operator === '>';
    if (!out && this.procFound && !passesFileThrough(script.commands)) this.procFound.push(n.text);
    else this.unres('process substitution', n.text);
    // The command inside >( ) reads what the outer command writes.
    const penv: Env = { ...env, via: out ? '>( )' : '<( )', piped: out, inPipeline: false, xargs: false };
    this.withoutOperand(() => this.isolated(() => this.stmts(script.commands, penv, inner)));
  }

  /**
   * Walks a nested script with no `<( )` operand being expanded: a substitution inside it (`<(bash < <(...))`, an
   * assignment, a redirection) belongs to the commands there, never to the outer reader.
   */
  private withoutOperand(fn: () => void): void {
    const saved = this.procFound;
    this.procFound = null;
    try {
      fn();
    } finally {
      this.procFound = saved;
    }
  }

  // ----- words

  /** Expands a word as far as static analysis can; brace expansion may turn it into several words. */
  private word(word: Word | undefined, env: Env, sc: Script, braces: boolean): Arg[] {
    if (!word) return [];
    const parts: readonly WordPart[] = word.parts ?? [{ type: 'Literal', text: word.text, value: word.text, pos: word.pos, end: word.end }];
    const st = { value: '', literal: true, splitSafe: true, tail: '', head: '', indirect: false, glob: false, braceCandidate: false };
    // Characters that are unquoted and unescaped (may start brace expansion); kept only when braces are wanted.
    const active: boolean[] | null = braces ? [] : null;
    const push = (s: string, act: boolean) => {
      if (st.literal) st.head += s;
      st.value += s;
      st.tail += s;
      if (active) for (let i = 0; i < s.length; i++) active.push(act);
    };
    const dynamic = (splits: boolean) => {
      st.literal = false;
      st.tail = '';
      if (splits) st.splitSafe = false;
    };
    const unquoted = (raw: string) => {
      let i = 0;
      while (i < raw.length) {
        const j = raw.indexOf('\\', i);
        const end = j < 0 ? raw.length : j;
        if (end > i) {
          const chunk = raw.slice(i, end);
          if (active && chunk.includes('{')) st.braceCandidate = true;
          if (/[*?]|\[.*\]/.test(chunk)) st.glob = true;
          push(chunk, true);
        }
        if (j < 0) break;
        if (j + 1 < raw.length && raw[j + 1] !== '\n') push(raw[j + 1], false);
        i = j + 2;
      }
    };
    const doubleQuoted = (inner: readonly DoubleQuotedChild[]) => {
      for (const p of inner) {
        const bound = p.type === 'SimpleExpansion' || p.type === 'ParameterExpansion' ? boundValue(p, env) : null;
        if (p.type === 'Literal') push(dqUnescape(p.text), false);
        else if (bound !== null) push(bound, false);
        else {
          dynamic(false);
          if (p.type === 'ParameterExpansion' && p.prefix === '!') st.indirect = true;
          this.nested(p, env, sc);
        }
      }
    };
    let procOnly = parts.length > 0;
    const part = (p: WordPart): void => {
      if (p.type !== 'ProcessSubstitution') procOnly = false;
      switch (p.type) {
        case 'Literal': unquoted(p.text); return;
        case 'Glob': push(p.text, true); st.glob = true; return;
        case 'BraceExpansion':
          st.braceCandidate = true;
          if (!p.parts) { unquoted(p.text); return; }
          push('{', true);
          for (const x of p.parts) part(x);
          push('}', true);
          return;
        case 'SingleQuoted': push(p.value, false); return;
        case 'AnsiCQuoted': push(ansiC(p.text.slice(2, -1)), false); return;
        case 'DoubleQuoted': case 'LocaleString': doubleQuoted(p.parts); return;
        case 'ExtendedGlob': push(p.text, false); st.glob = true; return;
        case 'SimpleExpansion': case 'ParameterExpansion': {
          const bound = boundValue(p, env);
          if (bound !== null) {
            push(bound, false);
            if (/[*?]|\[.*\]/.test(bound)) st.glob = true;
            return;
          }
          if (p.type === 'ParameterExpansion' && p.prefix === '!') st.indirect = true;
          dynamic(true);
          this.nested(p, env, sc);
          return;
        }
        case 'ArithmeticExpansion': dynamic(false); this.nested(p, env, sc); return;
        case 'CommandExpansion': case 'ProcessSubstitution': dynamic(true); this.subst(p, env, sc); return;
        default: dynamic(true); this.nested(p, env, sc);
      }
    };
    for (const p of parts) part(p);
    // The carriage return of a CRLF line ending is read as part of the line's last word by bash, which then fails to
    // find `cmd\r`; it is dropped here so that rules still name the command the author meant.
    if (st.literal && st.value.endsWith('\r') && parts[parts.length - 1]?.type === 'Literal' && (sc.b[word.end] ?? '\n') === '\n') {
      st.value = st.value.slice(0, -1);
      active?.pop();
    }
    const src = word.text;
    const arg: Arg = {
      value: st.literal ? st.value : src, src, literal: st.literal, splitSafe: st.splitSafe, tail: st.tail, head: st.head,
      procSubst: procOnly && !st.literal, indirect: st.indirect, glob: st.glob,
    };
    if (!active || !st.literal || !st.braceCandidate) return [arg];
    const expanded = braceExpand(st.value, active);
    if (expanded === null) {
      this.unres('brace expansion too large', src);
      return [arg];
    }
    if (expanded.length === 1) return [arg];
    return expanded.map((v) => ({ ...arg, value: v, tail: v }));
  }

  // ----- redirections

  private redirects(redirs: readonly Redirection[], src: string, env: Env, sc: Script): StdinInfo {
    let stdin: StdinInfo = { kind: env.piped ? 'pipe' : 'tty', body: null };
    for (const r of redirs) {
      const d = r.descriptor;
      const fd = !d ? '' : d.type === 'FileDescriptor' ? String(d.value) : `{${d.name}}`;
      const toStdin = fd === '' || fd === '0';
      if (r.type === 'HereDoc') {
        // Data, unless the command runs its stdin as code (codeFromStdin).
        for (const p of r.body.parts ?? []) this.nested(p, env, sc); // an unquoted body expands $( ) when it is read
        if (toStdin) stdin = { kind: 'heredoc', body: heredocBody(r) };
        continue;
      }
      if (r.type === 'HereString') {
        this.unres('here-string', src);
        const w = this.word(r.target, env, sc, false)[0];
        if (toStdin) stdin = { kind: 'heredoc', body: w && w.literal ? w.value : null };
        continue;
      }
      const w = this.word(r.target, env, sc, false)[0];
      if (!w) continue;
      const op = r.operator;
      if (op === '<&' || op === '>&') {
        // `2>&1`, `>&-`: descriptor duplication; bash treats `>&word` with a non-number as `&>word`. A descriptor
        // copied onto stdin (`<&3`, after `3<<<'code'`) is input the analysis did not follow: as from a pipe.
        if (op === '<&' && toStdin && !(w.literal && (w.value === '0' || w.value === '-'))) stdin = { kind: 'pipe', body: null };
        if (!w.literal || /^(\d+|-|\d+-)$/.test(w.value)) continue;
        if (op === '<&') continue;
      }
      if (w.procSubst) {
        // `bash < <(cmd)`: stdin is what cmd prints, as with a pipe (a shell reading it runs it).
        if (toStdin && (op === '<' || op === '<>')) stdin = { kind: 'pipe', body: null };
        continue;
      }
      if (w.literal && /^\/dev\/(tcp|udp)\//.test(w.value)) {
        this.net(w.value.split('/')[3] ?? '', 'redirect');
        continue;
      }
      if (op === '<' || op === '<>') {
        // `< /dev/stdin` keeps what stdin already was (a here-string given first, for one).
        if (w.literal && STDIN_PATHS.has(w.value)) continue;
        this.file(w, 'read', 'redirect');
        if (toStdin) stdin = { kind: 'file', body: null, path: w.literal ? w.value : undefined };
      }
      if (op !== '<') this.file(w, 'write', 'redirect');
    }
    return stdin;
  }

  // ----- simple commands

  private call(cmd: Command, env: Env, sc: Script, src: string): void {
    for (const a of cmd.prefix) if (a.type === 'Assignment') this.assign(a, env, sc);
    const name = cmd.name;
    if (name && name.parts === undefined && DECLARATIONS.has(name.text)) {
      this.decl(cmd, name.text, env, sc, src);
      return;
    }
    if (name && name.parts === undefined && name.text === 'let') {
      this.let(cmd, env, sc, src);
      return;
    }
    const argv: Arg[] = [];
    let braceName = false;
    const words = [name, ...cmd.suffix];
    const pending: [Arg, string[]][] = [];
    words.forEach((w, i) => {
      if (!w || (w.type !== 'Word' && w.type !== 'Assignment')) return;
      // Only a word that is nothing but `<( )` can be an operand read as data; any other use is refused.
      const operand = i > 0 && w.type === 'Word' && w.text.startsWith('<(');
      const saved = this.procFound;
      const found: string[] = [];
      this.procFound = operand ? found : null;
      let ex: Arg[];
      try {
        ex = w.type === 'Word' ? this.word(w, env, sc, true) : [this.assignmentWord(w, env, sc)];
      } finally {
        this.procFound = saved;
      }
      if (found.length) {
        if (ex.length === 1 && ex[0].procSubst) pending.push([ex[0], found]);
        else for (const t of found) this.unres('process substitution', t);
      }
      if (i === 0 && ex.length > 1) braceName = true;
      argv.push(...ex);
    });
    const stdin = this.redirects(cmd.redirects, src, env, sc);
    if (!argv.length) return;
    const c: Call = { env, sc, src, stdin, stdoutToFile: stdoutToFile(cmd.redirects) };
    if (braceName) this.unres('brace expansion in command name', c.src);
    for (const [a, t] of pending) this.procPending.set(a, t);
    this.run(argv, c, env.via);
    // What no data reader claimed (an unknown reader, one that may run it, an argument a wrapper rewrote) is refused.
    for (const [a] of pending) {
      const left = this.procPending.get(a);
      if (!left) continue;
      this.procPending.delete(a);
      for (const t of left) this.unres('process substitution', t);
      // Read by a shell or interpreter (`bash <(echo cmd)`, `source <(...)`), what it prints is run: as from a pipe.
      if (argv.some((w) => w.literal && runsWhatItReads(keyOf(basename(w.value))))) this.unres('pipe to shell', c.src);
    }
  }

  /** An assignment-shaped argument of a command that is not a declaration (`command export x=1`): a plain word. */
  private assignmentWord(a: Assignment, env: Env, sc: Script): Arg {
    if (a.index) this.nested(a.index, env, sc);
    const prefix = `${a.index ? `${a.name}[${a.index.text}]` : a.name}${a.append ? '+=' : '='}`;
    if (a.value.type === 'ArrayValue') {
      this.nested(a.value, env, sc);
      return { ...literalArg(a.text), literal: false };
    }
    const v = this.word(a.value, env, sc, false)[0] ?? literalArg('');
    return { ...v, value: v.literal ? `${prefix}${v.value}` : a.text, src: a.text };
  }

  private assign(a: Assignment, env: Env, sc: Script): Arg | null {
    if (a.index) this.nested(a.index, env, sc);
    if (a.value.type === 'ArrayValue') {
      this.nested(a.value, env, sc);
      return null;
    }
    if (a.value.text === '' && !a.value.parts) return null;
    const v = this.word(a.value, env, sc, false)[0];
    if (a.name === 'CDPATH') this.cdpath = true;
    if (v?.literal && EVALUATED_SUBSCRIPT.test(v.value)) this.unres('runtime-evaluated string', `${a.name}=${v.src}`);
    if (v && a.name) this.envVar(a.name, v, env, sc.level, `${a.name}=${v.src}`);
    return v ?? null;
  }

  /** declare / typeset / export / local / readonly: their assignments act like prefix assignments. */
  private decl(cmd: Command, variant: string, env: Env, sc: Script, src: string): void {
    this.redirects(cmd.redirects, src, env, sc);
    const args: Arg[] = [];
    for (const a of cmd.suffix) {
      if (a.type === 'Word') { args.push(...this.word(a, env, sc, false)); continue; }
      if (a.type !== 'Assignment') continue;
      const v = this.assign(a, env, sc);
      const name = a.name;
      const op = a.append ? '+=' : '=';
      if (v) args.push({ ...v, value: v.literal ? `${name}${op}${v.value}` : `${name}${op}${v.src}`, src: `${name}${op}${v.src}` });
      else args.push({ ...literalArg(`${name}${op}`), literal: a.value.type !== 'ArrayValue', src: a.text });
    }
    if (args.some((a) => a.literal && EVALUATED_SUBSCRIPT.test(a.value))) this.unres('runtime-evaluated string', src);
    this.emit(variant, variant, args, env.via);
  }

  /** let EXPR...: arithmetic, in which only substitutions can run commands. */
  private let(cmd: Command, env: Env, sc: Script, src: string): void {
    this.redirects(cmd.redirects, src, env, sc);
    const args: Arg[] = [];
    for (const w of cmd.suffix) {
      if (w.type !== 'Word' && w.type !== 'Assignment') continue;
      this.nested(w, env, sc);
      args.push(literalArg(w.text));
    }
    if (args.some((a) => EVALUATED_SUBSCRIPT.test(a.value))) this.unres('runtime-evaluated string', src);
    this.emit('let', 'let', args, env.via);
  }

  /**
   * Resolves the command word through wrappers and prefixes, emitting the commands that run and analysing the
   * effective one.
   */
  run(argv: Arg[], c: Call, via: string): void {
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
      const next = wrapper(this, key, name, path, args, c, via);
      if (next === null) {
        if (PROCSUB_READERS.has(key)) for (const a of args) if (a.procSubst) this.procPending.delete(a);
        this.emit(name, path, args, via);
        analyzeCommand(this, name, key, args, c);
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
    if (name) analyzeCommand(this, name, keyOf(name), args, c);
  }

  // ----- shell strings and stdin

  shellStdin(c: Call): void {
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
  codeFromStdin(c: Call, what: 'shell' | 'interpreter', command: string = what): void {
    if (c.stdin.kind === 'file' && c.stdin.path) this.executes(c.stdin.path, c.src); // `bash < x.sh` after writing x.sh
    if (c.stdin.kind === 'pipe') this.unres(`pipe to ${what}`, c.env.pipeSrc || c.src);
    else if (c.stdin.kind === 'heredoc') {
      this.unres(what === 'shell' ? 'here-document into a shell' : 'here-document into an interpreter', c.src);
      // A here-document is code in the command line: the paths it names are checked (a shell's is analysed whole).
      // One that expands something at run time (`$x`, `$(...)`) is a program decided at run time.
      if (what === 'interpreter') {
        if (c.stdin.body !== null) this.program(c.stdin.body, command);
        else this.unres('non-literal program', c.src);
      }
    }
  }

  codeFile(a: Arg | undefined, command: string, c: Call): void {
    if (!a) return;
    if (a.literal && STDIN_PATHS.has(a.value)) { this.codeFromStdin(c, 'interpreter', command); return; }
    if (a.literal && /^\/(?:dev|proc\/(?:self|thread-self|\d+))\/fd\/\d+$/.test(a.value)) { this.unres('pipe to interpreter', c.src); return; }
    this.file(a, 'read', command);
    if (a.literal) this.executes(a.value, c.src);
  }

  shellString(a: Arg | undefined, c: Call, via: string): void {
    if (!a) return;
    if (a.literal) this.script(a.value, inputEnv(c), c.sc.level + 1, via);
    else this.unres('non-literal shell -c', c.src);
  }

  joinedScript(words: Arg[], c: Call, via: string): void {
    if (words.every((a) => a.literal)) this.script(words.map((a) => a.value).join(' '), inputEnv(c), c.sc.level + 1, via);
    else this.unres('non-literal shell -c', c.src);
  }
}

// ---------------------------------------------------------------------------------------------------------------

/** Whether a command's standard output goes to a file (not a descriptor, a device other than /dev/null, or `>( )`). */
function stdoutToFile(redirs: readonly Redirection[]): boolean {
  let file = false;
  for (const r of redirs) {
    if (r.type !== 'Redirect') continue;
    const d = r.descriptor;
    const fd = !d ? '' : d.type === 'FileDescriptor' ? String(d.value) : '?';
    const op = r.operator;
    const toStdout = op === '&>' || op === '&>>' || ((op === '>' || op === '>>' || op === '>|' || op === '>&') && (fd === '' || fd === '1'));
    if (!toStdout) continue;
    const raw = r.target?.text ?? '';
    const t = raw.replace(/['"]/g, '');
    // The last redirection of stdout wins; anything but a plain file name (a descriptor, a device, an expansion) is
    // not a file.
    file = /^[^$`<>()\\&|;]+$/.test(raw) && !/^\d+-?$|^-$/.test(t) && (!t.startsWith('/dev/') || t === '/dev/null');
  }
  return file;
}

/** Whether a script may change directory (cd, pushd, popd anywhere in it). */
function mayChdir(script: string): boolean {
  return /(^|[^\w.-])(cd|pushd|popd)(\s|;|&|\||\)|$)/m.test(script);
}

/** Where a statement's text ends: after its `;` or `&` terminator, when it has one. */
function terminatorEnd(b: string, end: number): number {
  let i = end;
  while (i < b.length && (b[i] === ' ' || b[i] === '\t')) i++;
  if ((b[i] === ';' && b[i + 1] !== ';' && b[i - 1] !== ';') || (b[i] === '&' && b[i + 1] !== '&' && b[i + 1] !== '>')) return i + 1;
  return end;
}

/** Where the last here-document of a command (or of the last command of a chain or pipeline) ends. */
function heredocEnd(n: SyntaxNode): number {
  let redirs: readonly Redirection[] = [];
  if (n.type === 'Command' || n.type === 'Redirected') redirs = n.redirects;
  else if (n.type === 'Pipeline' || n.type === 'AndOr') return heredocEnd(n.commands[n.commands.length - 1]);
  // As mvdan/sh reported statements: through the body only when the here-document is the last redirection.
  const r = redirs[redirs.length - 1];
  return r?.type === 'HereDoc' ? r.closing?.end ?? r.body.end : 0;
}

/** The value of `$name` / `${name}` when it is a loop variable bound to one literal item, else null. */
function boundValue(p: WordPart | DoubleQuotedChild, env: Env): string | null {
  if (!env.vars?.size) return null;
  let name: string;
  if (p.type === 'SimpleExpansion') name = p.text.slice(1);
  else if (p.type === 'ParameterExpansion' && !p.prefix && !p.index && !p.operation) name = p.parameter;
  else return null;
  return env.vars.get(name) ?? null;
}

/** The text of a here-document when it is literal: raw with a quoted delimiter, else with \$ \` \\ escapes. */
function heredocBody(r: HereDoc): string | null {
  const parts = r.body.parts;
  if (parts && !parts.every((p) => p.type === 'Literal')) return null;
  const raw = r.body.text;
  return r.delimiter?.quoted ? raw : heredocUnescape(raw);
}

/** Commands that run the text of a file operand: shells, `source`/`.`, `eval`-like builtins, language interpreters. */
function runsWhatItReads(key: string): boolean {
  return SHELL_RE.test(key) || key === 'source' || key === '.' || interpFamily(key) !== null;
}
