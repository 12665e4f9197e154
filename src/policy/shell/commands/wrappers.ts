// Wrappers: commands that run another command given in their arguments (sudo, env, timeout, xargs, docker run, ...)
// or a shell string (su -c, watch, flock -c, script -c). wrapper() says where the wrapped command starts, so the
// walk analyses it as if it had been written alone; RUNNERS is the same knowledge as data for the simple ones.
import { argText, isAssignment, literalArg, STDIN_PATHS, type Arg, type Call, type Env, type Sink, type StdinInfo } from '../types.ts';
import { scan, type FileSpec } from '../options.ts';
import { shQuote } from '../text.ts';
import { find } from './files.ts';

/** Tools that run the command given after their options (and `sub`command, and `operands` words of their own). */
interface RunnerSpec { v?: string; vl?: string[]; vl2?: string[]; sub?: string[]; operands?: number; shell?: string[] }
export const RUNNERS: Record<string, RunnerSpec> = {
  strace: { v: 'eopsuEPIbaOSX' }, ltrace: { v: 'eopsunlLxFAaw' }, valgrind: {}, caffeinate: { v: 'tw' },
  pkexec: { vl: ['--user'] }, torsocks: { v: 'uPpa' }, proxychains: { v: 'f' }, proxychains4: { v: 'f' },
  perf: { sub: ['stat', 'record', 'trace', 'top', 'c2c', 'mem', 'kvm'], v: 'eoCptrGxIDMFcu',
    vl: ['--event', '--output', '--cpu', '--pid', '--tid', '--repeat', '--cgroup', '--field-separator', '--interval-print', '--delay', '--freq', '--call-graph'] },
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
  // Wrappers that change how the command runs, not what it is (issue 13 named these; the rest of the kind too).
  rlwrap: { v: 'abfHlopPSswzCDeEgqRt' }, fakeroot: { v: 'ls', vl: ['--lib', '--faked'] }, eatmydata: {}, ccache: {},
  nocache: {}, faketime: { v: 'f', operands: 1 }, prlimit: { v: 'p', vl: ['--pid'] }, cpulimit: { v: 'lpe', vl: ['--limit', '--pid', '--exe'] },
  setpriv: { vl: ['--reuid', '--regid', '--ruid', '--rgid', '--euid', '--egid', '--groups', '--inh-caps', '--ambient-caps',
    '--bounding-set', '--securebits', '--pdeathsig', '--selinux-label', '--apparmor-profile', '--landlock-access',
    '--landlock-rule', '--seccomp-filter'] },
  bwrap: {
    vl: ['--args', '--argv0', '--userns', '--userns2', '--pidns', '--uid', '--gid', '--hostname', '--chdir', '--unsetenv',
      '--lock-file', '--sync-fd', '--remount-ro', '--exec-label', '--file-label', '--proc', '--dev', '--tmpfs', '--mqueue',
      '--dir', '--seccomp', '--add-seccomp-fd', '--block-fd', '--userns-block-fd', '--info-fd', '--json-status-fd',
      '--cap-add', '--cap-drop', '--perms', '--size'],
    vl2: ['--bind', '--bind-try', '--dev-bind', '--dev-bind-try', '--ro-bind', '--ro-bind-try', '--symlink', '--setenv',
      '--file', '--bind-data', '--ro-bind-data', '--chmod', '--overlay-src'],
  },
  'ssh-agent': { v: 'aEPt' }, 'dbus-launch': {}, 'sandbox-exec': { v: 'fpD' }, proot: { v: 'rbwq' },
  'flatpak-spawn': {}, 'systemd-inhibit': { vl: ['--what', '--who', '--why', '--mode'] }, 'linux32': {}, 'linux64': {}, setarch: { operands: 1 },
  'aws-okta': { sub: ['exec'], operands: 1 }, 'op-run': {}, chronic: {}, ifne: {}, 'unbuffer': {},
};

/**
 * gdb takes its long options with one dash or two, abbreviated to any unique prefix, and `--opt=value`: spelled the
 * one way the scan below knows (`-eval` and `--ex` are `--eval-command`/`-ex`).
 */
function gdbOption(a: Arg): Arg {
  if (!a.literal || !/^--?[a-z]/.test(a.value)) return a;
  const eq = a.value.indexOf('=');
  const bare = (eq < 0 ? a.value : a.value.slice(0, eq)).replace(/^--?/, '');
  const short: Record<string, string> = { ex: 'eval-command', iex: 'init-eval-command', x: 'command', ix: 'init-command' };
  const long = short[bare] ?? (bare.length >= 2 ? ['eval-command', 'init-eval-command', 'command', 'init-command'].find((n) => n.startsWith(bare)) : undefined);
  if (!long) return a;
  return { ...a, value: `--${long}${eq < 0 ? '' : a.value.slice(eq)}` };
}

/** tmux commands that run a shell command, and the option letters each takes a value for. */
const TMUX_RUNS: Record<string, string> = {
  'new-session': 'cefFnstxy', new: 'cefFnstxy', 'new-window': 'cenFt', neww: 'cenFt', 'split-window': 'celFt',
  splitw: 'celFt', 'respawn-pane': 'cet', respawnp: 'cet', 'respawn-window': 'cet', respawnw: 'cet', 'run-shell': 'cdt',
  run: 'cdt', 'pipe-pane': 't', pipep: 't', 'display-popup': 'bcdehsStTwxy', popup: 'bcdehsStTwxy', 'if-shell': 't', if: 't',
};

/**
 * tmux runs shell commands given to some of its commands (`new-session CMD`, `run-shell CMD`, `if-shell CMD ...`),
 * and `send-keys` types keys into a pane's shell: what those run is decided there (terminal input, hidden code).
 * Commands are separated by a `;` word; `source-file` reads a file of tmux commands.
 */
function tmux(s: Sink, name: string, args: Arg[], c: Call): void {
  const g = scan(args, { v: 'cfLST', ops: 'none' }, true);
  for (const opt of g.opts) {
    if (opt.name === '-c') s.shellString(opt.value, c, 'tmux -c');
    if (opt.name === '-f') s.file(opt.value, 'read', name);
  }
  let rest = args.slice(args.length - g.operands.length);
  while (rest.length > 0) {
    const end = rest.findIndex((a) => a.literal && (a.value === ';' || a.value === '\\;'));
    const cmd = end < 0 ? rest : rest.slice(0, end);
    rest = end < 0 ? [] : rest.slice(end + 1);
    const sub = cmd[0];
    if (!sub) continue;
    if (!sub.literal) { s.unres('terminal input', c.src); continue; }
    if (['send-keys', 'send', 'send-prefix', 'paste-buffer', 'pasteb'].includes(sub.value)) { s.unres('terminal input', c.src); continue; }
    if (['source-file', 'source'].includes(sub.value)) { for (const f of cmd.slice(1)) if (!(f.literal && f.value.startsWith('-'))) s.file(f, 'read', name); continue; }
    const letters = TMUX_RUNS[sub.value];
    if (letters === undefined) continue;
    const o = scan(cmd.slice(1), { v: letters, ops: 'none' }, true);
    const words = o.operands;
    if (words.length === 0) continue;
    // -c DIR: the command starts in another directory, where its relative paths cannot be followed.
    if (o.opts.some((opt) => opt.name === '-c')) s.unres('unknown working directory', c.src);
    if (['if-shell', 'if'].includes(sub.value)) {
      s.shellString(words[0], c, 'tmux if-shell');
      if (words.length > 1) s.unres('terminal input', c.src); // tmux commands run on the answer
    } else if (words.length === 1 || ['run-shell', 'run', 'pipe-pane', 'pipep'].includes(sub.value)) {
      s.joinedScript(words, c, `tmux ${sub.value}`);
    } else s.run(words, c, `tmux ${sub.value}`);
  }
}

/** The wrappers wrapper() knows by name (RUNNERS adds the simple ones). */
export const WRAPPER_NAMES: readonly string[] = ['sudo', 'doas', 'env', 'command', 'builtin', 'exec', 'nohup', 'setsid', 'unbuffer', 'catchsegv', 'time', 'timeout', 'nice', 'stdbuf', 'ionice', 'chrt', 'taskset', 'flock', 'chroot', 'watch', 'su', 'runuser', 'script', 'busybox', 'toybox', 'xargs', 'parallel', 'find', 'sg', 'newgrp', 'gdb', 'cgdb', 'tmux', 'screen', 'docker', 'podman', 'nerdctl', 'kubectl', 'oc', 'nix-shell', 'nix'];

/** Where the wrapped command starts in `args` (-1: none we can name), its label, and what it inherits. */
export interface Wrapped { index: number; via: string; env?: Env; stdin?: StdinInfo }

/**
 * When `key` is a wrapper (sudo, env, timeout, xargs, ...), returns the index in `args` of the command it runs
 * (-1: it runs none we can name) and the label for it; null when it is not a wrapper.
 */
export function wrapper(s: Sink, key: string, name: string, path: string, args: Arg[], c: Call, via: string): Wrapped | null {
  const self = () => s.emit(name, path, args, via);
  switch (key) {
    case 'sudo':
    case 'doas': {
      self();
      const o = scan(args, key === 'doas'
        ? { v: 'uC', ops: 'none' }
        : { v: 'CDgpRrtTUuh', vl: ['--chdir', '--close-from', '--group', '--host', '--prompt', '--chroot', '--role',
          '--type', '--command-timeout', '--other-user', '--user'], ops: 'none' }, true);
      if (o.flags.has('-e') || o.flags.has('--edit')) {
        for (const f of o.operands) { s.file(f, 'read', name); s.file(f, 'write', name); }
        return { index: -1, via };
      }
      if (['-l', '--list', '-v', '--validate', '-K', '--remove-timestamp', '-V', '--version', '--help']
        .some((f) => o.flags.has(f))) return { index: -1, via };
      let j = args.length - o.operands.length;
      while (args[j] && isAssignment(args[j])) { envAssignWord(s, args[j], c); j++; }
      if (!args[j]) { s.shellStdin(c); return { index: -1, via }; }
      return { index: j, via: key };
    }
    case 'env': {
      const o = scan(args, {
        v: 'uCSa', vl: ['--unset', '--chdir', '--split-string', '--argv0'], ops: 'none',
      }, true);
      let j = args.length - o.operands.length;
      while (args[j] && args[j].literal && args[j].value === '-') j++;
      // env takes any NAME=VALUE whose name has no '=' (BASH_FUNC_f%%=... included), not only shell names.
      // `PATH=$PATH` is an assignment too: its name is literal, only its value is expanded.
      while (args[j] && /^[^=]+=/.test(args[j].literal ? args[j].value : args[j].head ?? '')) { envAssignWord(s, args[j], c); j++; }
      const split = o.opts.find((x) => x.name === '-S' || x.name === '--split-string');
      if (split) {
        // `env -S 'cmd args'` splits its string into words itself.
        const rest = args.slice(j);
        if (split.value?.literal && rest.every((a) => a.literal)) {
          s.script([split.value.value, ...rest.map((a) => shQuote(a.value))].join(' '), c.env, c.sc.level + 1, 'env -S');
        } else s.unres('non-literal shell -c', c.src);
        return { index: -1, via };
      }
      if (!args[j]) { self(); return { index: -1, via }; }
      // env -C DIR: the command runs in another directory, where its relative paths are not followed.
      if (o.opts.some((x) => x.name === '-C' || x.name === '--chdir')) s.unres('unknown working directory', c.src);
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
      // `exec <<< 'cmd'` / `exec < file`: every later command of the script reads that input, a shell among them.
      if (!args[j] && c.stdin.kind !== 'tty') s.unres('exec of stdin', c.src);
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
      for (const x of o.opts) if (x.name === '-o' || x.name === '--output') s.file(x.value, 'write', name);
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
      if (cmd) { s.shellString(cmd, c, 'flock -c'); return { index: -1, via }; }
      return args[j + 1] ? { index: j + 1, via: 'flock' } : { index: -1, via };
    }
    case 'chroot': {
      self();
      const o = scan(args, { vl: ['--userspec', '--groups'], ops: 'none' }, true);
      const j = args.length - o.operands.length + 1;
      return args[j] ? { index: j, via: 'chroot' } : { index: -1, via };
    }
    case 'tmux':
      self();
      tmux(s, name, args, c);
      return { index: -1, via };
    case 'screen': {
      self();
      // screen [options] [command [args]]: runs the command in a new window. `-X stuff TEXT` types TEXT into a
      // window's shell (terminal input: what runs is decided there); `-X exec CMD` runs CMD.
      const o = scan(args, { v: 'cehpsStTX', ops: 'none' }, true);
      const x = o.opts.find((opt) => opt.name === '-X');
      if (x) {
        const verb = x.value?.literal ? x.value.value : '';
        if (verb === 'stuff' || !x.value?.literal) s.unres('terminal input', c.src);
        else if (verb === 'exec') return o.operands.length ? { index: args.length - o.operands.length, via: 'screen -X exec' } : { index: -1, via };
        return { index: -1, via };
      }
      for (const opt of o.opts) if (opt.name === '-c') s.file(opt.value, 'read', name);
      const j = args.length - o.operands.length;
      return args[j] ? { index: j, via: 'screen' } : { index: -1, via };
    }
    case 'watch': {
      self();
      const o = scan(args, { v: 'nq', vl: ['--interval', '--equexit'], ops: 'none' }, true);
      const j = args.length - o.operands.length;
      if (!args[j]) return { index: -1, via };
      if (o.flags.has('-x') || o.flags.has('--exec')) return { index: j, via: 'watch' };
      // watch joins its arguments and runs them with sh -c.
      s.joinedScript(args.slice(j), c, 'watch');
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
      if (cmd) { s.shellString(cmd.value, c, `${key} -c`); return { index: -1, via }; }
      if (key === 'runuser' && o.opts.some((x) => x.name === '-u' || x.name === '--user')) {
        const j = args.length - scan(args, spec, true).operands.length;
        return args[j] ? { index: j, via: 'runuser' } : { index: -1, via };
      }
      s.shellStdin(c);
      return { index: -1, via };
    }
    case 'script': {
      const o = scan(args, { v: 'cEIOBTt', vl: ['--command', '--log-in', '--log-out', '--log-io', '--log-timing',
        '--echo'], ops: 'none' }, true);
      const cmd = o.opts.find((x) => x.name === '-c' || x.name === '--command');
      self();
      if (cmd) s.shellString(cmd.value, c, 'script -c');
      else s.shellStdin(c); // without -c, script runs a shell that reads its input
      for (const f of o.operands) s.file(f, 'write', name);
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
      for (const x of o.opts) if (x.name === '-a' || x.name === '--arg-file') s.file(x.value, 'read', name);
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
      if (!cmdWords.length) { s.shellStdin(c); return { index: -1, via }; }
      s.joinedScript(cmdWords, { ...c, env: { ...c.env, xargs: true } }, 'parallel');
      return { index: -1, via };
    }
    case 'find':
      self();
      find(s, name, args, c);
      return { index: -1, via };
    case 'newgrp':
      // newgrp [GROUP] starts a new shell, which reads its input as commands.
      self();
      s.shellStdin(c);
      return { index: -1, via };
    case 'sg': {
      // sg GROUP [-c] COMMAND runs the command with /bin/sh -c.
      self();
      const rest = args.slice(1);
      if (rest[0]?.literal && rest[0].value === '-c') s.shellString(rest[1], c, 'sg -c');
      else if (rest.length) s.joinedScript(rest, c, 'sg');
      else s.shellStdin(c); // no command: a shell reading its input
      return { index: -1, via };
    }
    case 'gdb':
    case 'cgdb': {
      self();
      const o = scan(args.map(gdbOption), { v: 'xpcdsDi', vl: ['-ex', '--eval-command', '-iex', '--init-eval-command', '--command',
        '--init-command', '--pid', '--core', '--directory', '--symbols', '--exec', '--se', '--cd', '--tty'],
      ops: 'none', stop: ['--args'] });
      for (const x of o.opts) {
        if (['-ex', '--eval-command', '-iex', '--init-eval-command'].includes(x.name)
          && (!x.value?.literal || /^\s*(!|shell\b|python|py\b|pi\b|pipe\b|\||guile|gu\b|source\b|run\b|r\b|start\b)/.test(x.value.value))) {
          s.unres('interpreter inline code', c.src);
        }
        if (['-ex', '--eval-command', '-iex', '--init-eval-command'].includes(x.name)) s.programArg(x.value, name, c.src);
        if (['-x', '--command', '--init-command'].includes(x.name)) {
          s.codeFile(x.value, name, c);
        }
      }
      // Without a terminal, gdb reads its commands from stdin (`gdb -batch <<< 'shell cmd'`).
      s.codeFromStdin(c, 'interpreter', name);
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
      let compose = false;
      if (args[k]?.literal && args[k].value === 'compose') {
        // `docker compose [-f file ...] run|exec [options] SERVICE COMMAND...`: the service takes the image's place.
        const cg = scan(args.slice(k + 1), { v: 'fp', vl: ['--file', '--project-name', '--project-directory', '--profile',
          '--env-file', '--ansi', '--parallel', '--progress'], ops: 'none' }, true);
        for (const x of cg.opts) if (['-f', '--file', '--env-file'].includes(x.name)) s.file(x.value, 'read', name);
        k = args.length - cg.operands.length;
        compose = true;
      }
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
            s.file({ ...x.value, value: host, src: host }, 'read', name);
          }
        }
      }
      const j = rest.length - o.operands.length; // the image or container
      const inner = rest.slice(j + 1);
      const entry = o.opts.find((x) => x.name === '--entrypoint')?.value;
      const label = compose ? `${key} compose ${sub}` : `${key} ${sub}`;
      if (entry) { s.run([entry, ...inner], c, label); return { index: -1, via }; }
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
        if (key === 'nix-shell' && (v === '--run' || v === '--command')) s.shellString(args[k + 1], c, `${key} ${v}`);
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
      const o = scan(rest, { v: spec.v, vl: spec.vl, vl2: spec.vl2, ops: 'none' }, true);
      if (spec.shell) {
        const str = o.opts.find((x) => spec.shell?.includes(x.name));
        if (str) { s.shellString(str.value, c, `${label} ${str.name}`); return { index: -1, via }; }
      }
      const j = rest.length - o.operands.length + (spec.operands ?? 0);
      // A runner that starts the command in another directory (`unshare --wd`, `nsenter --wd`, `systemd-run
      // --working-directory`): relative paths there are not followed.
      if (rest[j] && o.opts.some((x) => ['--wd', '--working-directory', '--chdir', '--cwd', '--directory', '--root'].includes(x.name) || (key === 'nsenter' && x.name === '-w'))) {
        s.unres('unknown working directory', c.src);
      }
      return rest[j] ? { index: args.length - rest.length + j, via: label } : { index: -1, via };
    }
  }
}

export function envAssignWord(s: Sink, a: Arg, c: Call): void {
  const eq = a.value.indexOf('=');
  s.envVar(a.value.slice(0, eq), literalArg(a.value.slice(eq + 1)), c.env, c.sc.level, a.value);
}

