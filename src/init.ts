// `aflock-mcp init [--claude [--deny-native]]`: sets a project up. Writes a starter .aflock (0600, never over an
// existing file) and prints how to register the server with Claude Code. With --claude it does the registration and
// puts Claude Code's native tools under the policy (hook mode, src/hooks/claude-setup.ts); --deny-native instead takes the
// native tools away (the older set-up: the agent keeps only the server's bash, read_file and write_file).
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, realpathSync, renameSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { mergeMcpJson, mergeProjectHooks, mergeUserHooks } from './hooks/claude-setup.ts';
import { shellQuote } from './hooks/sandbox-wrap.ts';
import { parsePolicy } from './policy/load.ts';
import { isDeno, seaInfo } from './runtime.ts';

/** Claude Code's own tools that read, write, run or fetch without asking the server. */
export const NATIVE_TOOLS_TO_DENY = ['Bash', 'Read', 'Write', 'Edit', 'MultiEdit', 'NotebookEdit', 'WebFetch'] as const;
export const MCP_ALLOW_RULE = 'mcp__aflock__*';

/** The Deno permissions a fully working server needs (see README, "Deno"). */
export const DENO_FLAGS = ['--no-prompt', '--allow-env', '--allow-read', '--allow-write', '--allow-run=bash,bwrap', '--allow-sys', '--allow-net'];

export function starterPolicy(projectName: string): string {
  const policy = {
    version: '1',
    name: projectName,
    tools: {
      allow: ['Bash', 'Read', 'Write', 'Edit', 'MultiEdit', 'NotebookEdit', 'Glob', 'Grep'],
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
      // and the same files of submodules and worktrees. `commondir` names the directory git takes config and hooks
      // from: written, it points git at a config of the writer's choosing.
      readOnly: ['.aflock', '.claude/**', '.mcp.json', '.git/config', '.git/config.worktree', '.git/commondir', '.git/hooks/**', '.git/info/attributes', '.git/modules/**/config', '.git/modules/**/commondir', '.git/modules/**/hooks/**', '.git/worktrees/*/config.worktree', '.git/worktrees/*/commondir'],
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

/**
 * How Claude Code starts the command hook (src/hooks/entry.ts): the small `aflock-hook.cjs` beside the Node bundle
 * when it is there (no SDK, no zod: it starts in a few ms more than node itself), else this program's `hook`.
 */
export function hookLaunchCommand(): string[] {
  const launch = launchCommand();
  if (!isDeno() && !seaInfo().sea && launch.length === 2) {
    const small = join(dirname(launch[1]), 'aflock-hook.cjs');
    if (existsSync(small)) return [launch[0], small];
  }
  return [...launch, 'hook'];
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
/** A JSON settings file as an object ({} when missing); InitError (file untouched) when it is not one. */
export function readJsonObject(path: string): { value: Record<string, unknown>; created: boolean; mode: number } {
  if (!existsSync(path)) return { value: {}, created: true, mode: 0o644 };
  const mode = statSync(path).mode & 0o777;
  const text = readFileSync(path, 'utf8');
  let parsed: unknown;
  try {
    parsed = text.trim() === '' ? {} : JSON.parse(text);
  } catch (e) {
    throw new InitError(`${path} is not valid JSON (${(e as Error).message}); fix it by hand, it was not changed`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new InitError(`${path} does not hold a JSON object; it was not changed`);
  return { value: parsed as Record<string, unknown>, created: false, mode };
}

/** Writes a JSON object atomically (temp file + rename), keeping the file's mode. */
export function writeJsonObject(path: string, value: Record<string, unknown>, mode: number): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.aflock-${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode, flag: 'wx' });
  renameSync(tmp, path);
}

/** permissions.allow / permissions.deny as lists of strings; InitError when they are shaped otherwise. */
export function permissionLists(path: string, settings: Record<string, unknown>): { p: Record<string, unknown>; allow: string[]; deny: string[] } {
  const perms = settings.permissions ?? {};
  if (typeof perms !== 'object' || perms === null || Array.isArray(perms)) throw new InitError(`${path}: "permissions" is not an object; it was not changed`);
  const p = perms as Record<string, unknown>;
  for (const key of ['deny', 'allow'] as const) {
    if (p[key] !== undefined && !(Array.isArray(p[key]) && (p[key] as unknown[]).every((r) => typeof r === 'string'))) {
      throw new InitError(`${path}: "permissions.${key}" is not a list of strings; it was not changed`);
    }
  }
  return { p, allow: [...((p.allow as string[] | undefined) ?? [])], deny: [...((p.deny as string[] | undefined) ?? [])] };
}

export function mergeClaudeSettings(path: string): SettingsChange {
  const { value: settings, created, mode } = readJsonObject(path);
  const { p, allow, deny } = permissionLists(path, settings);
  const addedDeny = NATIVE_TOOLS_TO_DENY.filter((t) => !deny.includes(t));
  const addedAllow = allow.includes(MCP_ALLOW_RULE) ? [] : [MCP_ALLOW_RULE];
  if (!created && addedDeny.length === 0 && addedAllow.length === 0) return { path, created, addedDeny, addedAllow };
  settings.permissions = { ...p, deny: [...deny, ...addedDeny], allow: [...allow, ...addedAllow] };
  writeJsonObject(path, settings, mode);
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

/** How to register the server by hand. The policy path is absolute: Claude Code also starts the server for a session
 * begun in a subdirectory (it finds .mcp.json by walking up), where a relative path would name no file. */
export function claudeInstructions(command: string[], policyPath: string): string {
  const [cmd, ...args] = command;
  const mcpJson = { mcpServers: { aflock: { command: cmd, args: [...args, '--policy', policyPath] } } };
  return [
    'Register the server with Claude Code, from this directory:',
    '',
    `  claude mcp add aflock -s project -- ${[...command, '--policy', policyPath].map(shellQuote).join(' ')}`,
    '',
    'or put this in the project\'s .mcp.json:',
    '',
    ...JSON.stringify(mcpJson, null, 2).split('\n').map((l) => `  ${l}`),
    '',
  ].join('\n');
}

export const TRUST_NOTE = [
  'Claude Code ignores a project\'s permissions.allow rules (mcp__aflock__* included) until you trust the workspace:',
  'start `claude` in this directory once and accept the trust question, or run it with --allowedTools "mcp__aflock__*".',
  'Deny rules and hooks apply either way.',
].join('\n');

export interface InitOptions {
  cwd: string;
  claude: boolean;
  /** The older Claude Code set-up: deny the native tools instead of putting them under the policy with hooks. */
  denyNative?: boolean;
  /** Skip ~/.claude/settings.json (hook mode then covers sessions started in the project directory only). */
  noUserHooks?: boolean;
  env?: NodeJS.ProcessEnv;
  out?: (s: string) => void;
  err?: (s: string) => void;
}

/** Runs `init` in `cwd`; returns the exit code. Human output on stdout, problems on stderr. Running it twice is fine. */
export function runInit(opts: InitOptions): number {
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
  // Idempotent: an existing policy is kept (never overwritten) and the rest of the set-up goes on.
  if (wrote) out(`Wrote ${policyPath} (mode 0600): a starter policy; edit it, then run 'aflock-mcp check-policy'.\n\n`);
  else out(`Kept the existing ${policyPath} (init never overwrites a policy).\n\n`);

  if (!opts.claude) {
    out(claudeInstructions(launchCommand(), policyPath));
    out(`\nThe agent can still go around the server with Claude Code's native tools: run 'aflock-mcp init --claude' to put them\nunder the policy too (hook mode; see docs/hooks.md), or 'aflock-mcp init --claude --deny-native' to take them away.\n`);
    return 0;
  }
  const report = (c: { path: string; created: boolean; changed: boolean; what: string[] }) => {
    const rel = relative(opts.cwd, c.path);
    const name = rel.startsWith('..') ? c.path : rel;
    if (!c.changed) out(`${name}: already set up, nothing changed.\n`);
    else out(`${c.created ? 'Created' : 'Updated'} ${name}:\n${c.what.map((w) => `  ${w}\n`).join('')}`);
  };
  try {
    if (opts.denyNative) {
      out(claudeInstructions(launchCommand(), policyPath));
      const change = mergeClaudeSettings(join(opts.cwd, '.claude', 'settings.json'));
      const rel = relative(opts.cwd, change.path);
      if (change.addedDeny.length === 0 && change.addedAllow.length === 0) {
        out(`\n${rel} already denies the native tools and allows ${MCP_ALLOW_RULE}: nothing changed.\n`);
      } else {
        out(`\n${change.created ? 'Created' : 'Updated'} ${rel}:\n`);
        if (change.addedDeny.length > 0) out(`  permissions.deny  += ${change.addedDeny.join(', ')}\n`);
        if (change.addedAllow.length > 0) out(`  permissions.allow += ${change.addedAllow.join(', ')}\n`);
        if (!change.created) out('  every other key and rule was kept as it was.\n');
      }
    } else {
      out('Hook mode: Claude Code keeps its native tools; the policy decides each of their calls in the same session and trail.\n');
      report(mergeMcpJson(opts.cwd, launchCommand(), policyPath));
      report(mergeProjectHooks(opts.cwd));
      if (!opts.noUserHooks) report(mergeUserHooks(hookLaunchCommand(), opts.env ?? process.env));
      else out('Skipped the user-level hooks (--no-user-hooks): a session started in a subdirectory is not covered.\n');
    }
  } catch (e) {
    err(`aflock-mcp: ${e instanceof InitError ? e.message : (e as Error).message}\n`);
    return 2;
  }
  out(`\n${TRUST_NOTE}\n`);
  return 0;
}
