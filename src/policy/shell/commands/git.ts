// git: the configuration keys and options that make it run a command, the URLs it connects to, and the
// subcommands that read the files they name (`git add .env && git show :.env` must not launder a denied file).
import { argText, literalArg, UNKNOWN_TREE_WRITE, type Arg, type Call, type Sink } from '../types.ts';
import { scan, type FileSpec } from '../options.ts';

/** git configuration keys whose value is a command git runs (or a transport that runs one). */
export const GIT_EXEC_KEY = new RegExp(`^(${[
  'core\\.(sshcommand|pager|editor|fsmonitor|hookspath|askpass|gitproxy)', 'sequence\\.editor', 'diff\\.external',
  'diff\\..+\\.(textconv|command)', 'merge\\..+\\.driver', 'filter\\..+\\.(clean|smudge|process)',
  'credential(\\..+)?\\.helper', 'alias\\..+', 'uploadpack\\.packobjectshook', 'pager\\..+', 'protocol\\.ext\\.allow',
  'gpg\\.(.+\\.)?program', '(difftool|mergetool)\\..+\\.cmd', 'web\\.browser', 'browser\\..+\\.cmd',
  'remote\\..+\\.(uploadpack|receivepack|proxy)', 'url\\..+\\.insteadof', 'http\\.proxy', 'include\\.path',
  'includeif\\..+\\.path',
].join('|')})$`);

// ---------------------------------------------------------------------------------------------------------------
// The analyzer

export function git(s: Sink, name: string, args: Arg[], c: Call): void {
  const o = scan(args, {
    v: 'Cc', vl: ['--git-dir', '--work-tree', '--namespace', '--config-env', '--super-prefix'], ops: 'none',
  }, true);
  for (const x of o.opts) {
    if ((x.name === '-c' || x.name === '--config-env') && x.value) gitConfig(s, argText(x.value), c);
  }
  const rest = o.operands;
  const sub = rest[0]?.literal ? rest[0].value : '';
  const subArgs = rest.slice(1);
  // `git -C dir` runs in dir: the paths it is given are relative to it (several -C options compose).
  const dirs = o.opts.filter((x) => x.name === '-C');
  // Another working tree or repository: the paths git is given are not relative to where the line is.
  if (o.opts.some((x) => x.name === '--work-tree' || x.name === '--git-dir')
    || o.opts.some((x) => x.name === '-c' && x.value && /^core\.worktree=/i.test(argText(x.value)))) {
    s.unres('unknown working directory', c.src);
  }
  const here = (a: Arg | undefined): Arg | undefined => {
    if (!a || !dirs.length || !a.literal || /^[/~]/.test(a.value)) return a;
    if (dirs.some((d) => !d.value?.literal)) { s.unres('unknown working directory', c.src); return a; }
    const base = dirs.reduce((acc, d) => (d.value!.value.startsWith('/') ? d.value!.value : `${acc}/${d.value!.value}`), '.');
    return literalArg(`${base}/${a.value}`);
  };
  const file = (a: Arg | undefined, mode: 'read' | 'write', tree = false) => s.file(here(a), mode, `${name} ${sub}`, tree);
  if (subArgs.some((a) => /^ext::|^fd::/.test(argText(a)) || /^--(upload-pack|receive-pack|exec)\b/.test(argText(a)))
    || (['clone', 'fetch', 'pull', 'ls-remote', 'archive'].includes(sub) && subArgs.some((a) => a.literal && /^-u/.test(a.value)))) {
    s.unres('git command-execution option', c.src);
  }
  commandOptions(s, sub, subArgs, c);
  if (sub === 'config') {
    const ops = subArgs.filter((a) => !a.literal || !a.value.startsWith('-'));
    if (ops[0] && ops.length >= 2) gitConfig(s, `${argText(ops[0])}=${argText(ops[1])}`, c);
    worktreeWrites(sub, subArgs, file, (detail) => s.unres(UNKNOWN_TREE_WRITE, detail), false);
    return;
  }
  const sc = scan(subArgs, {
    v: 'boujcC', ops: 'none',
    vl: ['--branch', '--origin', '--upload-pack', '--receive-pack', '--template', '--reference', '--reference-if-able',
      '--separate-git-dir', '--depth', '--deepen', '--shallow-since', '--shallow-exclude', '--config', '--jobs',
      '--filter', '--server-option', '--push-option', '--refmap', '--negotiation-tip', '--exec', '--bundle-uri'],
  });
  for (const x of sc.opts) if ((x.name === '-c' || x.name === '--config') && x.value) gitConfig(s, argText(x.value), c);
  const ops = sc.operands;
  const urlLike = (a: Arg | undefined): string | null => {
    if (!a) return null;
    const v = argText(a);
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) return v;
    const scp = /^(?:[^@/\s]+@)?([^/:\s]+):(.*)$/.exec(v);
    if (scp && (v.includes('@') || scp[1].includes('.'))) return `ssh://${v.replace(':', '/')}`;
    return null;
  };
  const report = (a: Arg | undefined) => { const u = urlLike(a); if (u) s.net(u, `${name} ${sub}`); };
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
      for (const a of ops) if (!(a.literal && a.value === '--')) file(a, 'read');
      break;
    case 'show': case 'cat-file':
      // `<rev>:<path>` (or `:<path>`, the index) names a file's content in git's own syntax.
      for (const a of ops) {
        const m = a.literal ? /^[^:/]*:(?!\/\/)(.+)$/.exec(a.value) : null;
        if (m) file(literalArg(m[1]), 'read');
      }
      break;
    default:
  }
  worktreeWrites(sub, subArgs, file, (detail) => s.unres(UNKNOWN_TREE_WRITE, detail), o.opts.some((x) => x.name === '-c'));
}

type FileReport = (a: Arg | undefined, mode: 'read' | 'write', tree?: boolean) => void;

/**
 * Subcommands that write the working tree at the paths they are given: `git checkout -- f`, `git restore f` and
 * `git rm f` rewrite or remove f, `git mv` moves it, `git clean` and `git stash -u` remove untracked files. A
 * directory is a tree write (every protected path under it counts) where git may change files under it that the
 * agent could not have changed first: a source other than the index (`git checkout HEAD~3 -- .`, `git restore -s`),
 * `git rm -r`, `git mv`, `git clean -x` (ignored files such as .env), `git stash -u`/`-a`. A plain `git checkout .`
 * only restores what the index holds, which for a file the agent cannot write is what is there already: a write of
 * the directory's own name, not a tree. What a branch switch, `reset --hard`, `stash pop`, `apply` or a merge writes
 * is decided by repository content, not by the line: the kernel sandbox holds those.
 */
function worktreeWrites(sub: string, args: Arg[], report: FileReport, unknown: (detail: string) => void, configured: boolean): void {
  const dashes = args.findIndex((a) => a.literal && a.value === '--');
  // A pathspec is git's own pattern language: magic (`:(top)x`, `:!x`, `:/x`) or a list from a file cannot be
  // checked; a glob (`*.env`, whose `*` also matches `/`) reaches anything under its literal directory.
  if (args.some((a) => a.literal && /^--pathspec-from-file/.test(a.value))) unknown(`git ${sub} --pathspec-from-file`);
  const file: FileReport = (a, mode, tree = false) => {
    if (mode === 'write' && a?.literal && a.value.startsWith(':')) { unknown(`git ${sub} ${a.value}`); return; }
    if (mode === 'write' && a?.literal && /[*?[]/.test(a.value)) {
      const literalDir = a.value.slice(0, a.value.search(/[*?[]/)).replace(/[^/]*$/, '');
      report(literalArg(literalDir || '.'), 'write', true);
      return;
    }
    report(a, mode, tree);
  };
  const before = dashes < 0 ? args : args.slice(0, dashes);
  const after = dashes < 0 ? [] : args.slice(dashes + 1);
  const flag = (...names: string[]) => before.some((a) => a.literal && (names.includes(a.value)
    || names.some((n) => /^-[A-Za-z]$/.test(n) && /^-[A-Za-z]+$/.test(a.value) && a.value.includes(n[1]))));
  const operands = (spec: FileSpec) => [...scan(before, spec).operands, ...after];
  switch (sub) {
    case 'checkout': {
      const o = scan(before, { v: 'bBt', vl: ['--orphan', '--conflict', '--pathspec-from-file'], ops: 'none' });
      if (o.opts.some((x) => x.name === '-b' || x.name === '-B' || x.name === '--orphan')) {
        // A new branch; one that tracks another is recorded in the repository's configuration.
        if (flag('-t', '--track')) report(literalArg('.git/config'), 'write');
        return;
      }
      // `git checkout <tree-ish> -- paths`, or without `--` words any of which may be a path.
      const source = dashes >= 0 ? o.operands.length > 0 : o.operands.length > 1;
      const paths = dashes >= 0 ? after : o.operands;
      for (const a of paths) file(a, 'write', source);
      return;
    }
    case 'restore': {
      const o = scan(before, { v: 's', vl: ['--source', '--conflict', '--pathspec-from-file'], ops: 'none' });
      const staged = o.flags.has('-S') || o.flags.has('--staged');
      const worktree = o.flags.has('-W') || o.flags.has('--worktree');
      if (staged && !worktree) return; // the index only
      // Both index and working tree are restored from HEAD, not from the index.
      const source = o.opts.some((x) => x.name === '-s' || x.name === '--source') || (staged && worktree);
      for (const a of [...o.operands, ...after]) file(a, 'write', source);
      return;
    }
    case 'rm':
      if (flag('--cached')) return;
      for (const a of operands({ vl: ['--pathspec-from-file'], ops: 'none' })) file(a, 'write', flag('-r'));
      return;
    case 'mv': {
      const ops = operands({ ops: 'none' });
      for (const a of ops.slice(0, -1)) { file(a, 'read'); file(a, 'write', true); }
      file(ops[ops.length - 1], 'write');
      return;
    }
    case 'clean': {
      if (flag('-n', '--dry-run')) return;
      // -x/-X remove ignored files (.env); so may -e patterns (`-e '!.env'`) and configuration given in the line.
      const o = scan(before, { v: 'e', vl: ['--exclude'], ops: 'none' });
      const tree = flag('-x', '-X') || o.opts.length > 0 || configured;
      for (const a of [...o.operands, ...after].length ? [...o.operands, ...after] : [literalArg('.')]) file(a, 'write', tree);
      return;
    }
    case 'stash': {
      const verb = before[0]?.literal && !before[0].value.startsWith('-') ? before[0].value : 'push';
      if (!['push', 'save'].includes(verb) || flag('-S', '--staged')) return;
      const o = scan(verb === before[0]?.value ? before.slice(1) : before, { v: 'm', vl: ['--message', '--pathspec-from-file'], ops: 'none' });
      const ops = verb === 'save' ? after : [...o.operands, ...after];
      // The paths it names are reverted (a write whatever the untracked options); -u/-a also remove untracked or
      // ignored files, all under the paths (or `.`). A plain `git stash` reverts what the index says: content decides.
      const untracked = flag('-u', '-a', '--include-untracked', '--all');
      if (ops.length || untracked) for (const a of ops.length ? ops : [literalArg('.')]) file(a, 'write', untracked);
      return;
    }
    case 'checkout-index': {
      // -f overwrites the files it names (-a: every file of the index).
      if (!flag('-f', '--force')) return;
      const ops = operands({ vl: ['--prefix', '--stage'], ops: 'none' });
      for (const a of flag('-a', '--all') ? [literalArg('.')] : ops) file(a, 'write', flag('-a', '--all'));
      return;
    }
    case 'sparse-checkout':
      // Changing the sparse patterns removes (or brings back) files anywhere in the working tree, and records the
      // patterns in the repository's configuration.
      if (before[0]?.literal && ['set', 'add', 'init', 'reapply', 'disable'].includes(before[0].value)) {
        file(literalArg('.'), 'write', true);
        report(literalArg('.git/config'), 'write');
      }
      return;
    case 'remote': case 'branch': case 'push': case 'submodule': case 'lfs': case 'maintenance': case 'switch':
      if (writesConfig(sub, before)) report(literalArg('.git/config'), 'write');
      return;
    case 'config': {
      // Setting a value writes the repository's configuration (`.git/config` where the line runs; `--file F`: F).
      const o = scan(before, { v: 'f', vl: ['--file', '--blob', '--type', '--default', '--comment'], ops: 'none' });
      // --worktree writes .git/config too unless the worktreeConfig extension is on (it is not by default).
      const elsewhere = ['--global', '--system'].some((f) => o.flags.has(f));
      const reads = ['--get', '--get-all', '--get-regexp', '--get-urlmatch', '--get-color', '--get-colorbool', '--list', '-l',
        '--show-origin', '--show-scope'].some((f) => o.flags.has(f)) || o.opts.some((x) => x.name === '--blob');
      const sets = o.operands.length >= 2 || ['--unset', '--unset-all', '--add', '--replace-all', '--rename-section',
        '--remove-section', '-e', '--edit'].some((f) => o.flags.has(f));
      const fileOpt = o.opts.find((x) => x.name === '-f' || x.name === '--file');
      if (!sets || reads) return;
      if (fileOpt) report(fileOpt.value, 'write');
      else if (!elsewhere) report(literalArg('.git/config'), 'write');
      return;
    }
    default:
  }
}

/** Whether a subcommand records something in the repository's configuration (.git/config): remotes, upstreams, ... */
function writesConfig(sub: string, args: Arg[]): boolean {
  const words = args.filter((a) => a.literal).map((a) => a.value);
  const has = (...names: string[]) => words.some((w) => names.includes(w) || names.some((n) => n.startsWith('--') && w.startsWith(`${n}=`))
    || names.some((n) => /^-[A-Za-z]$/.test(n) && /^-[A-Za-z]+$/.test(w) && w.includes(n[1])));
  switch (sub) {
    case 'remote': return ['add', 'rename', 'remove', 'rm', 'set-url', 'set-head', 'set-branches', 'prune', 'update'].includes(words[0] ?? '');
    case 'branch': return has('-m', '-M', '-u', '--set-upstream-to', '--unset-upstream', '-c', '-C', '-t', '--track', '--edit-description');
    case 'push': return has('-u', '--set-upstream');
    case 'switch': return has('-t', '--track');
    case 'submodule': return ['init', 'add', 'deinit', 'sync', 'set-url', 'set-branch'].includes(words.find((w) => !w.startsWith('-')) ?? '');
    case 'lfs': return ['install', 'uninstall', 'update', 'track'].includes(words[0] ?? '');
    case 'maintenance': return ['start', 'stop', 'register', 'unregister'].includes(words[0] ?? '');
    default: return false;
  }
}

/** Subcommand options whose value is a shell command git runs (`git rebase -x CMD`, `git filter-branch --tree-filter`). */
const COMMAND_OPTIONS: Record<string, string[]> = {
  rebase: ['-x', '--exec'], difftool: ['-x', '--extcmd'], 'filter-branch': ['--env-filter', '--tree-filter',
    '--index-filter', '--parent-filter', '--msg-filter', '--commit-filter', '--tag-name-filter'],
  grep: ['-O', '--open-files-in-pager'],
};

/**
 * Subcommands that run a command given in the line: its options above, `git submodule foreach CMD`, `git bisect run
 * CMD ARGS`. The command is analysed (so rules name what it runs) and the call is marked as one git runs a command in.
 */
function commandOptions(s: Sink, sub: string, args: Arg[], c: Call): void {
  const opts = COMMAND_OPTIONS[sub];
  let runs = false;
  if (opts) {
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (!a.literal) continue;
      const name = opts.find((o) => a.value === o || a.value.startsWith(o.startsWith('--') ? `${o}=` : o));
      if (!name) continue;
      const glued = a.value.slice(name.length).replace(/^=/, '');
      // grep -O / --open-files-in-pager take their command glued only; the others take the next word too.
      const value = glued ? literalArg(glued) : sub === 'grep' ? undefined : args[++i];
      runs = true;
      if (value) s.shellString(value, c, `git ${sub} ${name}`);
    }
  }
  const first = args.findIndex((a) => !a.literal || !a.value.startsWith('-'));
  if (sub === 'submodule' && args[first]?.literal && args[first].value === 'foreach') {
    const rest = args.slice(first + 1).filter((a) => !(a.literal && ['--recursive', '-q', '--quiet'].includes(a.value)));
    if (rest.length) { runs = true; s.joinedScript(rest, c, 'git submodule foreach'); }
  }
  if (sub === 'bisect' && args[first]?.literal && args[first].value === 'run' && args[first + 1]) {
    runs = true;
    s.run(args.slice(first + 1), c, 'git bisect run');
  }
  if (runs) s.unres('git command-execution option', c.src);
}

/** Programs that run nothing else, read only stdin and reach no network: harmless as a pager or an editor. */
const HARMLESS_COMMAND = /^\s*(cat|true|false|:|less|more|head|tail|tee)(\s+-[A-Za-z]+)*\s*$/;

export function gitConfig(s: Sink, kv: string, c: Call): void {
  const eq = kv.indexOf('=');
  const key = (eq < 0 ? kv : kv.slice(0, eq)).toLowerCase();
  if (GIT_EXEC_KEY.test(key)) {
    // Aliases are harmless unless they start a shell command ("!cmd").
    if (key.startsWith('alias.') && !kv.slice(eq + 1).trim().startsWith('!')) return;
    // A command-valued setting whose value is a harmless program (core.pager=cat, core.editor=true) runs nothing
    // more than that program: ordinary work, not an escape.
    if (eq >= 0 && HARMLESS_COMMAND.test(kv.slice(eq + 1)) && !/^(include|includeif|url|http|remote|protocol)\./.test(key)) return;
    s.unres('git command-execution option', c.src);
  }
}

