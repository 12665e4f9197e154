// `aflock-mcp init [--claude]`: sets a project up. Writes a starter .aflock (0600, never over an existing file),
// prints how to register the server with Claude Code, and with --claude merges into .claude/settings.json the rules
// that take Claude Code's native tools away (an agent that keeps them can simply go around the server).
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, realpathSync, renameSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { parsePolicy } from './policy/load.ts';
import { isDeno, seaInfo } from './runtime.ts';

/** Claude Code's own tools that read, write, run or fetch without asking the server. */
export const NATIVE_TOOLS_TO_DENY = ['Bash', 'Read', 'Write', 'Edit', 'MultiEdit', 'NotebookEdit', 'WebFetch'] as const;
export const MCP_ALLOW_RULE = 'mcp__aflock__*';

/** The Deno permissions a fully working server needs (see README, "Deno"). */
export const DENO_FLAGS = ['--no-prompt', '--allow-env', '--allow-read', '--allow-write', '--allow-run=bash,bwrap', '--allow-sys'];

export function starterPolicy(projectName: string): string {
  const policy = {
    version: '1',
    name: projectName,
    tools: {
      allow: ['Bash', 'Read', 'Write', 'Edit', 'Glob', 'Grep'],
      deny: [
        'Bash:rm -rf /',
        'Bash:rm -rf /*',
        'Bash:rm -rf ~',
        'Bash:rm -rf ~/*',
        'Bash:sudo *',
        'Bash:git push --force*',
        'Bash:git push -f*',
        'Bash:mkfs*',
        'Bash:dd * of=/dev/*',
      ],
      requireApproval: ['Bash:git push*', 'Bash:npm publish*'],
    },
    files: {
      deny: ['**/.env', '**/.env.*', '**/*.pem', '**/*.key', '**/id_rsa*', '**/id_ed25519*', '**/.ssh/**', '**/.aws/credentials', '**/.netrc', '**/.npmrc'],
      // Not `.git/**`: the sandbox enforces readOnly in the kernel, and git must write objects, refs and the index to
      // commit. What is protected is what makes git run code or change what it runs: config (core.fsmonitor,
      // core.hooksPath, aliases, filter and diff drivers, credential helpers), hooks, attributes that pick drivers,
      // and the same files of submodules and worktrees.
      readOnly: ['.aflock', '.claude/**', '.mcp.json', '.git/config', '.git/config.worktree', '.git/hooks/**', '.git/info/attributes', '.git/modules/**/config', '.git/modules/**/hooks/**', '.git/worktrees/*/config.worktree'],
    },
  };
  return `${JSON.stringify(policy, null, 2)}\n`;
}

/** How the running server is started again: the executable, `node bundle` or `deno run ... bundle`. */
export function launchCommand(): string[] {
  const script = process.argv[1] ? safeRealpath(process.argv[1]) : undefined;
  if (isDeno()) return [process.execPath, 'run', ...DENO_FLAGS, script ?? 'aflock-mcp.mjs'];
  if (seaInfo().sea) return [safeRealpath(process.execPath)];
  return [process.execPath, script ?? 'aflock-mcp.cjs'];
}

function safeRealpath(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export class InitError extends Error {}

export interface SettingsChange {
  path: string;
  created: boolean;
  addedDeny: string[];
  addedAllow: string[];
}

/**
 * Adds the deny and allow rules to a Claude Code settings file, keeping every other key and rule as it was.
 * Refuses (InitError, file untouched) when the file is not a JSON object or its permissions are not shaped as
 * Claude Code expects, because rewriting a file we do not understand could drop the user's settings.
 */
export function mergeClaudeSettings(path: string): SettingsChange {
  let settings: Record<string, unknown> = {};
  let created = true;
  let mode = 0o644;
  if (existsSync(path)) {
    created = false;
    mode = statSync(path).mode & 0o777;
    const text = readFileSync(path, 'utf8');
    let parsed: unknown;
    try {
      parsed = text.trim() === '' ? {} : JSON.parse(text);
    } catch (e) {
      throw new InitError(`${path} is not valid JSON (${(e as Error).message}); fix it by hand, it was not changed`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new InitError(`${path} does not hold a JSON object; it was not changed`);
    settings = parsed as Record<string, unknown>;
  }
  const perms = settings.permissions ?? {};
  if (typeof perms !== 'object' || perms === null || Array.isArray(perms)) throw new InitError(`${path}: "permissions" is not an object; it was not changed`);
  const p = perms as Record<string, unknown>;
  for (const key of ['deny', 'allow'] as const) {
    if (p[key] !== undefined && !(Array.isArray(p[key]) && (p[key] as unknown[]).every((r) => typeof r === 'string'))) {
      throw new InitError(`${path}: "permissions.${key}" is not a list of strings; it was not changed`);
    }
  }
  const deny = [...((p.deny as string[] | undefined) ?? [])];
  const allow = [...((p.allow as string[] | undefined) ?? [])];
  const addedDeny = NATIVE_TOOLS_TO_DENY.filter((t) => !deny.includes(t));
  const addedAllow = allow.includes(MCP_ALLOW_RULE) ? [] : [MCP_ALLOW_RULE];
  if (!created && addedDeny.length === 0 && addedAllow.length === 0) return { path, created, addedDeny, addedAllow };
  settings.permissions = { ...p, deny: [...deny, ...addedDeny], allow: [...allow, ...addedAllow] };
  mkdirSync(join(path, '..'), { recursive: true });
  const tmp = `${path}.aflock-${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(settings, null, 2)}\n`, { mode, flag: 'wx' });
  renameSync(tmp, path);
  return { path, created, addedDeny, addedAllow };
}

/** Writes the starter policy with mode 0600; false (and nothing written) when the file exists. */
export function writeStarterPolicy(path: string, projectName: string): boolean {
  const text = starterPolicy(projectName);
  parsePolicy(text, path); // never write a starter the loader would refuse
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  return true;
}

export function claudeInstructions(command: string[]): string {
  const [cmd, ...args] = command;
  const mcpJson = { mcpServers: { aflock: { command: cmd, args: [...args, '--policy', '.aflock'] } } };
  return [
    'Register the server with Claude Code, from this directory:',
    '',
    `  claude mcp add aflock -- ${[...command, '--policy', '.aflock'].map(shellQuote).join(' ')}`,
    '',
    'or put this in the project\'s .mcp.json:',
    '',
    ...JSON.stringify(mcpJson, null, 2).split('\n').map((l) => `  ${l}`),
    '',
  ].join('\n');
}

/** Runs `init` in `cwd`; returns the exit code. Human output on stdout, problems on stderr. */
export function runInit(opts: { cwd: string; claude: boolean; out?: (s: string) => void; err?: (s: string) => void }): number {
  const out = opts.out ?? ((s: string) => process.stdout.write(s));
  const err = opts.err ?? ((s: string) => process.stderr.write(s));
  const policyPath = join(opts.cwd, '.aflock');
  let wrote: boolean;
  try {
    wrote = writeStarterPolicy(policyPath, basename(opts.cwd) || 'project');
  } catch (e) {
    err(`aflock-mcp: cannot write ${policyPath}: ${(e as Error).message}\n`);
    return 2;
  }
  if (wrote) out(`Wrote ${policyPath} (mode 0600): a starter policy; edit it, then run 'aflock-mcp check-policy'.\n\n`);
  else if (!opts.claude) {
    err(`aflock-mcp: ${policyPath} already exists; init never overwrites a policy (edit it, or remove it first)\n`);
    return 2;
  } else out(`Kept the existing ${policyPath} (init never overwrites a policy).\n\n`);

  out(claudeInstructions(launchCommand()));

  const settingsPath = join(opts.cwd, '.claude', 'settings.json');
  if (!opts.claude) {
    out(`\nThe agent can still go around the server with Claude Code's native tools: run 'aflock-mcp init --claude' to deny\n${NATIVE_TOOLS_TO_DENY.join(', ')} and allow ${MCP_ALLOW_RULE} in ${relative(opts.cwd, settingsPath)}.\n`);
    return 0;
  }
  let change: SettingsChange;
  try {
    change = mergeClaudeSettings(settingsPath);
  } catch (e) {
    err(`aflock-mcp: ${e instanceof InitError ? e.message : `cannot update ${settingsPath}: ${(e as Error).message}`}\n`);
    return 2;
  }
  const rel = relative(opts.cwd, change.path);
  if (change.addedDeny.length === 0 && change.addedAllow.length === 0) {
    out(`\n${rel} already denies the native tools and allows ${MCP_ALLOW_RULE}: nothing changed.\n`);
  } else {
    out(`\n${change.created ? 'Created' : 'Updated'} ${rel}:\n`);
    if (change.addedDeny.length > 0) out(`  permissions.deny  += ${change.addedDeny.join(', ')}\n`);
    if (change.addedAllow.length > 0) out(`  permissions.allow += ${change.addedAllow.join(', ')}\n`);
    if (!change.created) out('  every other key and rule was kept as it was.\n');
  }
  return 0;
}
