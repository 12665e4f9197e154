// What the walk found, and the state every later command depends on: the derived commands, file accesses, network
// targets and unresolvables (de-duplicated, in the order found), the files the line writes, and the working directory
// as far as it can be followed. The walk (walk.ts) extends this.
import {
  argText, isIgnoredPath, UNKNOWN_TREE_WRITE, keyOf, MAX_DETAIL, METADATA_WRITERS, normPath, snippet, type Arg, type FileAccess,
  type CodeText, type NameTest, type NetworkTarget, type SimpleCommand, type Unresolvable,
} from './types.ts';

export class Results {
  readonly commands: SimpleCommand[] = [];
  readonly files: FileAccess[] = [];
  readonly network: NetworkTarget[] = [];
  readonly unresolvable: Unresolvable[] = [];
  readonly code: CodeText[] = [];
  /** Directories (as spelled, relative to where the line starts, or absolute) commands ran in after a `cd`. */
  readonly dirs = new Set<string>();
  protected readonly seen = new Set<string>();
  /** Files whose content this command line writes (normalised), to notice it running one of them later. */
  protected readonly written = new Set<string>();
  /** Directory set by `cd` earlier in the line: '' = where the command starts, null = unknown. */
  protected cwd: string | null = '';
  /** Directory changes seen so far (to notice one inside a function body). */
  protected chdirs = 0;
  /** CDPATH was assigned: `cd name` may land elsewhere. */
  protected cdpath = false;

  unres(construct: string, detail: string): void {
    const key = `u\0${construct}\0${detail.slice(0, MAX_DETAIL * 4)}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.unresolvable.push({ construct, detail: snippet(detail) });
  }

  file(arg: Arg | undefined, mode: 'read' | 'write', command: string, tree: boolean | 'follow' = false, only?: NameTest[], into?: string): void {
    if (!arg || arg.procSubst) return;
    if (arg.literal && (arg.value === '' || isIgnoredPath(arg.value))) return;
    if (!arg.literal && mode === 'read') this.unres('dynamic file argument', `${command} ${arg.src}`);
    // A tree write of a path decided at run time (`rm -rf "$d"`, `rm -rf $(pwd)`) could be any directory.
    if (!arg.literal && mode === 'write' && tree) this.unres(UNKNOWN_TREE_WRITE, `${command} ${arg.src}`);
    // `~+` is $PWD and `~-` is $OLDPWD: relative paths in another spelling.
    const tilde = arg.literal ? /^~([+-])(\/|$)/.exec(arg.value) : null;
    if (tilde) arg = { ...arg, value: tilde[1] === '+' ? `./${arg.value.slice(3)}` : arg.value };
    // A directory reached through a descriptor (`/dev/fd/3/x` with `3<dir`) or another process's or thread's view
    // (`/proc/self/task/*/cwd/x`, `/proc/1/root/x`) is a working directory the analysis does not follow.
    if (arg.literal && /^\/(?:dev\/fd\/\d+\/|proc\/[^/]+\/(?:fd\/\d+\/|task\/|(?:cwd|root)(?:\/|$)))/.test(arg.value.replace(/\/{2,}/g, '/'))
      && !/^\/proc\/(?:self|thread-self)\/(?:cwd|root)(?:\/|$)/.test(arg.value.replace(/\/{2,}/g, '/'))) {
      this.unres('unknown working directory', `${command} ${arg.src}`);
    }
    const relative = arg.literal && !/^[/~]/.test(arg.value);
    // Principle: a working directory the analysis cannot follow (`cd "$(...)"`, `cd -`, `popd`, a cd in a function,
    // CDPATH) makes a relative path unresolvable, not relative to where the command started.
    if ((relative && this.cwd === null) || tilde?.[1] === '-') this.unres('unknown working directory', `${command} ${arg.src}`);
    if (arg.literal && mode === 'write' && !METADATA_WRITERS.has(keyOf(command))) this.written.add(normPath(arg.value));
    this.addFile(argText(arg), mode, command, tree, only, into);
    // After `cd /etc`, `cat passwd` reads /etc/passwd: report that spelling too.
    if (relative && this.cwd) {
      const joined = normPath(`${this.cwd}/${arg.value}`);
      if (mode === 'write' && !METADATA_WRITERS.has(keyOf(command))) this.written.add(joined);
      this.addFile(joined, mode, command, tree, only, into === undefined || /^[/~]/.test(into) ? into : normPath(`${this.cwd}/${into}`));
    }
  }

  program(text: string, command: string): void {
    if (text.trim() === '') return;
    const key = `p\0${command}\0${text}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.code.push({ text, command });
  }

  programArg(a: Arg | undefined, command: string, src: string): void {
    if (!a) return;
    if (a.literal) this.program(a.value, command);
    else this.unres('non-literal program', src);
  }

  private addFile(path: string, mode: 'read' | 'write', command: string, tree: boolean | 'follow', only?: NameTest[], into?: string): void {
    const key = `f\0${mode}\0${command}\0${path}\0${tree}\0${JSON.stringify(only ?? null)}\0${into ?? ''}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    const cond = into !== undefined && mode === 'write' ? { into } : {};
    if (!tree || mode !== 'write') this.files.push({ path, mode, command, ...cond });
    else this.files.push({ path, mode, command, tree: tree === 'follow' ? 'follow' : true, ...(only ? { only } : {}), ...cond });
  }

  chdir(args: Arg[]): void {
    this.chdirs++;
    const target = args.find((a) => !a.literal || !/^-[LPe@]+$/.test(a.value));
    if (!target) { this.cwd = '~'; return; }
    if (!target.literal || target.value === '-' || /^[+-]\d+$/.test(target.value)) { this.cwd = null; return; }
    const t = target.value;
    // With CDPATH set, `cd name` may go to a directory of CDPATH instead.
    if (this.cdpath && !/^(\/|~|\.\.?(\/|$))/.test(t)) { this.cwd = null; return; }
    // `~+` is $PWD, `~-` is $OLDPWD (not followed): `cd ~+/secrets` is `cd secrets`.
    if (/^~-(\/|$)/.test(t)) { this.cwd = null; return; }
    const plus = /^~\+(\/|$)/.test(t) ? `./${t.slice(3)}` : t;
    if (plus !== t) { if (this.cwd !== null) this.cwd = normPath(this.cwd === '' ? plus : `${this.cwd}/${plus}`); return; }
    if (/^[/~]/.test(t)) this.cwd = normPath(t);
    else if (this.cwd !== null) this.cwd = this.cwd === '' ? normPath(t) : normPath(`${this.cwd}/${t}`);
  }

  forgetCwd(): void {
    this.chdirs++;
    this.cwd = null;
  }

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
    const key = `n\0${command}\0${target}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.network.push({ target, command });
  }

  emit(name: string, path: string, args: Arg[], via: string): void {
    const a = args.map(argText);
    const key = `c\0${via}\0${path}\0${a.join('\0')}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    const dynamicArgs: number[] = [];
    args.forEach((x, i) => { if (!x.literal) dynamicArgs.push(i); });
    this.commands.push({ name, path, args: a, dynamicArgs, text: [name, ...a].join(' '), via });
    if (this.cwd) this.dirs.add(this.cwd);
  }
}
