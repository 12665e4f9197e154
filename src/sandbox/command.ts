// `aflock-mcp sandbox [--policy PATH] [--workdir DIR] -- COMMAND [ARG...]`: runs one command in the same sandbox the
// server's `bash` tool uses (same policy discovery, same mounts, same proxy, run in this process for the duration),
// with stdin/stdout/stderr passed through, and exits with the command's status. For wrappers such as a host's hook
// that confines its native shell tool. If the sandbox cannot be made: one line `Sandbox unavailable: <why>`, exit 126.
import { spawn } from 'node:child_process';
import { realpathSync, statSync } from 'node:fs';
import { isInside, resolvePath } from '../policy/paths.ts';
import type { LoadedPolicy } from '../policy/load.ts';
import { aflockHome } from '../audit/trail.ts';
import { Sandbox, SandboxUnavailable, sandboxModeOf, describeMode } from './sandbox.ts';
import { constants } from 'node:os';
import { hookSocketDir } from '../hooks/socket-path.ts';

export const SANDBOX_UNAVAILABLE_EXIT = 126;

/** Quotes one word for bash, so COMMAND ARG... runs as given, without a second round of shell parsing. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function unavailable(why: string): number {
  process.stderr.write(`Sandbox unavailable: ${why}\n`);
  return SANDBOX_UNAVAILABLE_EXIT;
}

export async function runSandboxCommand(policy: LoadedPolicy, workdir: string | undefined, argv: string[]): Promise<number> {
  let cwd = policy.root;
  if (workdir !== undefined) {
    let real: string;
    try {
      real = realpathSync(resolvePath(workdir, process.cwd()));
      if (!statSync(real).isDirectory()) return unavailable(`--workdir ${workdir} is not a directory`);
    } catch {
      return unavailable(`--workdir ${workdir} does not exist`);
    }
    if (!isInside(real, policy.root)) return unavailable(`--workdir ${workdir} is outside the project root ${policy.root}`);
    cwd = real;
  }
  const mode = sandboxModeOf(policy.policy.sandbox, false);
  const command = argv.map(shellQuote).join(' ');
  let sandbox: Sandbox | null = null;
  let file = 'bash';
  let args = ['-c', command];
  let env: NodeJS.ProcessEnv = process.env;
  if (mode.mode === 'off') {
    process.stderr.write(`[aflock] sandbox ${describeMode(mode)}: running unconfined\n`);
  } else {
    const hide: string[] = [];
    try {
      hide.push(aflockHome());
    } catch {
      // no home known
    }
    try {
      hide.push(hookSocketDir()); // the command hooks' sockets, wherever TMPDIR or XDG_RUNTIME_DIR put them
    } catch {
      // Deno without --allow-env: no environment to place them by
    }
    try {
      sandbox = await Sandbox.create({ policy, alwaysHide: hide });
      // No lifeline: stdin is the caller's, passed through; the sandbox dies with this process by --die-with-parent.
      ({ file, args, env } = sandbox.prepare(command, cwd, { lifeline: false }));
    } catch (e) {
      await sandbox?.close();
      if (e instanceof SandboxUnavailable) return unavailable(e.why);
      return unavailable((e as Error).message);
    }
  }
  const child = spawn(file, args, { cwd, env, stdio: 'inherit' });
  // Signals to us go to the command (a terminal's Ctrl-C reaches both anyway; a supervisor's SIGTERM reaches only us).
  const forward = (sig: NodeJS.Signals) => child.kill(sig);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, forward);
  const code = await new Promise<number>((resolveExit) => {
    child.on('error', (e) => {
      process.stderr.write(`Sandbox unavailable: cannot start ${file}: ${e.message}\n`);
      resolveExit(SANDBOX_UNAVAILABLE_EXIT);
    });
    child.on('exit', (c, signal) => resolveExit(c ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0)));
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(sig, forward);
  const removed = sandbox?.afterCommand() ?? [];
  if (removed.length > 0) process.stderr.write(`[aflock] removed ${removed.join(', ')}: files.readOnly paths may not be created\n`);
  await sandbox?.close();
  return code;
}
