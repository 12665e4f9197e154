// Native Bash runs in the same kernel sandbox as the `bash` tool: the PreToolUse answer rewrites the command into
//   <this server's executable> sandbox --policy <abs policy> --workdir <cwd> -- bash -c '<original command>'
// (the `aflock-mcp sandbox` subcommand, src/sandbox/: it loads the policy like `serve`, builds the bubblewrap sandbox
// with its domain proxy and runs the command inside, or exits 126 with "Sandbox unavailable: <why>").
// The original command travels as ONE shell word, single-quoted, so nothing in it can end the quoting: a `'` inside
// becomes `'\''` (close, escaped quote, reopen), and inside single quotes the shell interprets nothing else.
// Claude Code runs the rewritten string with its own shell, so every word of it is quoted the same way.

/** One shell word that the POSIX shell reads back as exactly `s` (any bytes but NUL). */
export function shellQuote(s: string): string {
  if (s.includes('\0')) throw new Error('a shell word cannot hold a NUL byte');
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export interface SandboxTarget {
  /** How to start this server again: [node, bundle] or [executable] (absolute paths). */
  readonly launch: readonly string[];
  /** The policy file (absolute), or null for the embedded default policy (then the sandbox discovers it in workdir). */
  readonly policyPath: string | null;
}

/** The command line that runs `command` in the sandbox, in `workdir`. */
export function sandboxedCommand(target: SandboxTarget, command: string, workdir: string): string {
  const words = [
    ...target.launch,
    'sandbox',
    ...(target.policyPath ? ['--policy', target.policyPath] : []),
    '--workdir',
    workdir,
    '--',
    'bash',
    '-c',
    command,
  ];
  return words.map(shellQuote).join(' ');
}

/**
 * The Bash tool input Claude Code should run instead: the same input (timeout, description, run_in_background, ...)
 * with only `command` replaced.
 */
export function wrapBashInput(target: SandboxTarget, input: Record<string, unknown>, workdir: string): Record<string, unknown> {
  const command = input.command;
  if (typeof command !== 'string') throw new Error('Bash input has no command');
  return { ...input, command: sandboxedCommand(target, command, workdir) };
}
