// The command knowledge in one registry: which handler analyses a command, by its lookup key (keyOf). What the
// analyser knows about a command is in the file its handler comes from:
//   builtins.ts      eval, trap, alias, cd/pushd/popd, source/.; environment variables; obfuscation signs
//   interpreters.ts  shells (bash -c, scripts, stdin) and language interpreters (inline code, scripts, modules), awk
//   wrappers.ts      commands that run other commands (sudo, env, timeout, xargs, docker run, RUNNERS, ...)
//   files.ts         commands whose operands and options are files (FILE_CMDS), dd, tar, find
//   network.ts       curl, wget, ssh, scp/rsync, openssl, nc, dig, socat, http clients
//   git.ts           git
//   programs.ts      make, cmake, sqlite3, ed, emacs, m4, database clients, at/batch, crontab (their own languages,
//                    commands run later)
import { type Arg, type Call, type Sink } from '../types.ts';
import { BUILTINS, obfuscation, type Handler } from './builtins.ts';
import { COMPRESSOR_NAMES, compressor, dd, FILE_CMDS, fileArgs, gio, tar } from './files.ts';
import { git } from './git.ts';
import { INLINE_CODE, inlineCode, interpFamily, interpreter, shell, SHELL_RE } from './interpreters.ts';
import { copyRemote, curl, network1, openssl, ssh, wget } from './network.ts';
import { PROGRAMS } from './programs.ts';

export { wrapper, RUNNERS, WRAPPER_NAMES } from './wrappers.ts';
export { NETWORK_NAMES } from './network.ts';
export { FILE_CMDS } from './files.ts';
export { INTERP } from './interpreters.ts';
export { envVar } from './builtins.ts';

/** Commands with a handler of their own (the rest: shells and interpreters by name, network1, FILE_CMDS). */
export const HANDLERS: Record<string, Handler> = {
  ...BUILTINS,
  ...PROGRAMS,
  dd: (s, name, _key, args) => dd(s, name, args),
  tar: (s, name, _key, args, c) => tar(s, name, args, c),
  curl: (s, name, _key, args, c) => curl(s, name, args, c),
  wget: (s, name, _key, args) => wget(s, name, args),
  git: (s, name, _key, args, c) => git(s, name, args, c),
  ssh: (s, name, _key, args, c) => ssh(s, name, args, c),
  scp: (s, name, key, args, c) => copyRemote(s, key, name, args, c),
  rsync: (s, name, key, args, c) => copyRemote(s, key, name, args, c),
  openssl: (s, name, _key, args) => openssl(s, name, args),
  gio: (s, name, _key, args) => gio(s, name, args),
  ...Object.fromEntries(COMPRESSOR_NAMES.map((k): [string, Handler] => [k, (s, name, key, args) => compressor(s, name, key, args)])),
  ...Object.fromEntries(Object.keys(INLINE_CODE).map((k): [string, Handler] => [k, (s, name, key, args, c) => inlineCode(s, name, key, args, c)])),
};

const own = <T>(table: Record<string, T>, key: string): T | undefined =>
  (Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined);

/** Analyses the effective command (after wrappers): what it reads, writes, runs and connects to. */
export function analyzeCommand(s: Sink, name: string, key: string, args: Arg[], c: Call): void {
  obfuscation(s, key, args, c);
  if (c.env.xargs && (SHELL_RE.test(key) || key === 'eval' || key === 'source' || key === '.')) {
    s.unres('pipe to shell', c.env.pipeSrc || c.src);
  }
  if (SHELL_RE.test(key)) { shell(s, name, args, c); return; }
  const fam = interpFamily(key);
  if (fam) { interpreter(s, fam, name, args, c); return; }
  const handler = own(HANDLERS, key);
  if (handler) { handler(s, name, key, args, c); return; }
  if (network1(s, key, name, args, c)) return;
  const spec = own(FILE_CMDS, key);
  if (spec) fileArgs(s, name, spec, args, c);
}
