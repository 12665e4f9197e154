// `bash`: runs `bash -c` for real, inside the project root, with a timeout and a cap on what it returns.
import { spawn, type ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ServerContext } from '../context.ts';
import { isInside, resolvePath } from '../policy/paths.ts';
import { guarded, realpathOrNull } from './guard.ts';
import { errorResult, jsonResult, PREFIX } from './result.ts';
import { runStepAttestation } from './step.ts';
import { isPermissionError } from '../runtime.ts';
import type { CallScope } from '../approval.ts';
import { SandboxUnavailable } from '../sandbox/sandbox.ts';

export const DEFAULT_TIMEOUT_SECONDS = 30;
export const MAX_TIMEOUT_SECONDS = 600;
/**
 * The longest command, in UTF-8 bytes: `bash -c COMMAND` passes it as one argument, and Linux refuses an argument of
 * 128 KiB or more (MAX_ARG_STRLEN, the terminating NUL included) with E2BIG. Checked before anything else, so a
 * longer command is neither analysed nor recorded as allowed.
 */
export const MAX_COMMAND_BYTES = 128 * 1024 - 1;
/** Combined stdout+stderr returned to the agent; the rest is counted and dropped. */
export const MAX_OUTPUT_BYTES = 1024 * 1024;

export interface BashArgs {
  command: string;
  timeout?: number;
  workdir?: string;
  attest?: boolean;
  step?: string;
  reason?: string;
  _token?: string;
}

export interface RunResult {
  exitCode: number;
  output: string;
  error?: string;
  truncated?: boolean;
  durationMs: number;
}

/** Environment for commands: ours, minus what would let a command take over the server's own credentials. */
function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.AFLOCK_BOOTSTRAP_SECRET_FILE;
  delete env.AFLOCK_BOOTSTRAP_SECRET;
  return env;
}

/** Kills a command started by runCommand and everything it started (its own process group). */
export function killProcessGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}

/** How a command is started: bubblewrap's command line from src/sandbox, or (sandbox off) plain bash. */
export interface Launch {
  file: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  sandboxed: boolean;
  /** stdin is to be the lifeline: a pipe held by this process alone and never written (src/sandbox/bwrap.ts). */
  lifeline: boolean;
}

export function unsandboxedLaunch(command: string): Launch {
  return { file: 'bash', args: ['-c', command], env: childEnv(), sandboxed: false, lifeline: false };
}

/** After the shell exits, how long its output pipes may stay open before the call ends anyway. */
const DRAIN_AFTER_EXIT_MS = 200;

/**
 * Runs a command and ends the call when the shell itself exits, not when every pipe closes: a background job
 * (`sleep 1000 &`) holds the pipes but not the call. In the sandbox the shell is the PID namespace's main process,
 * so its exit takes every process it started with it (bubblewrap's init leaves, the kernel kills the namespace);
 * unsandboxed, the process group is killed (what `setsid` moved out of the group escapes: the sandbox is what holds).
 * A sandboxed command's stdin is its lifeline: closed here when the call ends, and by the kernel if this process
 * dies, whereupon the sandbox kills everything in it.
 */
export function runCommand(ctx: ServerContext, launch: Launch, cwd: string, timeoutSeconds: number): Promise<RunResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(launch.file, launch.args, {
        cwd,
        env: launch.env,
        // Never our stdin: it is the MCP channel. The lifeline is a new pipe; the runtimes open their end close-on-exec,
        // so no other child inherits it and it closes exactly when we close it or die.
        stdio: [launch.lifeline ? 'pipe' : 'ignore', 'pipe', 'pipe'],
        detached: true, // own process group, so a timeout kills the command's children too
      });
    } catch (e) {
      // Deno without --allow-run=bash (or --allow-env) throws here instead of emitting 'error'.
      const hint = isPermissionError(e) ? ` (under Deno: run with --allow-run=${launch.sandboxed ? 'bash,bwrap' : 'bash'} --allow-env)` : '';
      resolve({ exitCode: -1, output: '', error: `could not start ${launch.sandboxed ? 'the sandbox' : 'bash'}: ${(e as Error).message}${hint}`, durationMs: 0 });
      return;
    }
    ctx.children.add(child);
    child.stdin?.on('error', () => undefined); // never written; EPIPE or a reset after the sandbox is gone is expected
    const endLifeline = () => child.stdin?.destroy();
    const chunks: Buffer[] = [];
    let size = 0;
    let dropped = 0;
    const take = (d: Buffer) => {
      if (size >= MAX_OUTPUT_BYTES) {
        dropped += d.length;
        return;
      }
      const part = d.subarray(0, MAX_OUTPUT_BYTES - size);
      chunks.push(part);
      size += part.length;
      dropped += d.length - part.length;
    };
    child.stdout!.on('data', take);
    child.stderr!.on('data', take);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killProcessGroup(child);
      endLifeline();
    }, timeoutSeconds * 1000);
    let spawnError: Error | null = null;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearTimeout(drainTimer);
      ctx.children.delete(child);
      killProcessGroup(child); // what the shell left running in its group
      endLifeline(); // and what is left in the sandbox, should bubblewrap's own teardown lag
      child.stdout!.destroy();
      child.stderr!.destroy();
      const code = exit?.code ?? null;
      const signal = exit?.signal ?? null;
      let output = Buffer.concat(chunks).toString('utf8').trim();
      if (dropped > 0) output += `\n[aflock: output truncated, ${dropped} more bytes dropped]`;
      const result: RunResult = { exitCode: timedOut ? -1 : (code ?? -1), output, durationMs: Math.round(performance.now() - started) };
      if (spawnError) result.error = `could not start ${launch.sandboxed ? 'the sandbox (bwrap)' : 'bash'}: ${(spawnError as Error).message}`;
      else if (timedOut) result.error = `timed out after ${timeoutSeconds}s (${launch.sandboxed ? 'sandbox' : 'process group'} killed)`;
      else if (signal) result.error = `killed by ${signal}`;
      else if (code !== 0) result.error = `exit status ${code}`;
      if (dropped > 0) result.truncated = true;
      resolve(result);
    };
    let drainTimer: NodeJS.Timeout | undefined;
    child.on('error', (e) => {
      spawnError = e;
      finish();
    });
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      drainTimer = setTimeout(finish, DRAIN_AFTER_EXIT_MS);
    });
    child.on('close', (code, signal) => {
      exit ??= { code, signal };
      finish();
    });
  });
}

/** Resolves `workdir` against the project root; it must exist, be a directory and stay inside the root. */
export function resolveWorkdir(ctx: ServerContext, workdir: string | undefined): { ok: true; dir: string } | { ok: false; reason: string } {
  const root = ctx.policy.root;
  if (!workdir) return { ok: true, dir: root };
  const abs = resolvePath(workdir, root);
  const real = realpathOrNull(abs);
  if (!real) return { ok: false, reason: `workdir '${workdir}' does not exist` };
  if (!isInside(real, root)) return { ok: false, reason: `workdir '${workdir}' is outside the project root ${root}` };
  try {
    if (!statSync(real).isDirectory()) return { ok: false, reason: `workdir '${workdir}' is not a directory` };
  } catch {
    return { ok: false, reason: `workdir '${workdir}' cannot be read` };
  }
  return { ok: true, dir: real };
}

export async function bashTool(ctx: ServerContext, args: BashArgs, caller?: CallScope): Promise<CallToolResult> {
  const commandBytes = Buffer.byteLength(args.command, 'utf8');
  if (commandBytes > MAX_COMMAND_BYTES) return errorResult(`command is ${commandBytes} bytes; the limit is ${MAX_COMMAND_BYTES} bytes (the OS refuses a longer single argument to bash -c); put long scripts in a file and run that`);
  if (args.attest && !args.step) return errorResult('step parameter is required when attest=true');
  if (args.step !== undefined && args.step !== '' && !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(args.step)) {
    return errorResult("step name must use letters, digits, '.', '_' and '-' (no path separators or '..')");
  }
  if (args.command.trim() === '') return errorResult('command is empty');
  if (args.command.includes('\0')) return errorResult('command contains a NUL byte');
  const timeout = args.timeout ?? DEFAULT_TIMEOUT_SECONDS;
  if (!(timeout > 0 && timeout <= MAX_TIMEOUT_SECONDS)) return errorResult(`timeout must be between 0 and ${MAX_TIMEOUT_SECONDS} seconds`);
  const wd = resolveWorkdir(ctx, args.workdir);
  await ctx.sandbox.ready(); // so the audit record says whether the sandbox is there
  if (!wd.ok) return errorResult(`${PREFIX.policy} ${wd.reason}`);
  const input = {
    command: args.command,
    ...(args.workdir ? { workdir: args.workdir } : {}),
    ...(args.attest ? { attest: true, step: args.step } : {}),
    ...(args.reason ? { reason: args.reason } : {}),
  };
  return guarded(ctx, { tool: 'Bash', input, token: args._token, cwd: wd.dir, caller }, async () => {
    let launch: Launch;
    let sandbox = null;
    try {
      sandbox = await ctx.sandbox.get();
      launch = sandbox ? { ...sandbox.prepare(args.command, wd.dir, { lifeline: true }), sandboxed: true } : unsandboxedLaunch(args.command);
    } catch (e) {
      if (e instanceof SandboxUnavailable) return errorResult(e.message);
      throw e;
    }
    const r = await runCommand(ctx, launch, wd.dir, timeout);
    const removed = sandbox?.afterCommand() ?? [];
    if (removed.length > 0) {
      const note = `[aflock: removed ${removed.join(', ')}: files.readOnly paths may not be created]`;
      r.output = r.output ? `${r.output}\n${note}` : note;
    }
    if (args.attest && args.step) return runStepAttestation(ctx, args.step, args.command, wd.dir, r);
    return jsonResult({ exitCode: r.exitCode, output: r.output, ...(r.error ? { error: r.error } : {}), ...(r.truncated ? { truncated: true } : {}) }, true);
  });
}
