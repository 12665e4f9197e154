// git: the configuration keys and options that make it run a command, the URLs it connects to, and the
// subcommands that read the files they name (`git add .env && git show :.env` must not launder a denied file).
import { argText, literalArg, type Arg, type Call, type Sink } from '../types.ts';
import { scan } from '../options.ts';

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
  if (subArgs.some((a) => /^ext::|^fd::/.test(argText(a)) || /^--(upload-pack|receive-pack|exec)\b/.test(argText(a)))
    || (['clone', 'fetch', 'pull', 'ls-remote', 'archive'].includes(sub) && subArgs.some((a) => a.literal && /^-u/.test(a.value)))) {
    s.unres('git command-execution option', c.src);
  }
  commandOptions(s, sub, subArgs, c);
  if (sub === 'config') {
    const ops = subArgs.filter((a) => !a.literal || !a.value.startsWith('-'));
    if (ops[0] && ops.length >= 2) gitConfig(s, `${argText(ops[0])}=${argText(ops[1])}`, c);
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
      for (const a of ops) if (!(a.literal && a.value === '--')) s.file(a, 'read', `${name} ${sub}`);
      break;
    case 'show': case 'cat-file':
      // `<rev>:<path>` (or `:<path>`, the index) names a file's content in git's own syntax.
      for (const a of ops) {
        const m = a.literal ? /^[^:/]*:(?!\/\/)(.+)$/.exec(a.value) : null;
        if (m) s.file(literalArg(m[1]), 'read', `${name} ${sub}`);
      }
      break;
    default:
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

