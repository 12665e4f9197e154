// `init --claude` in hook mode: Claude Code keeps its native tools and the live server decides each of their calls.
// What it writes, each merged into what is there (every other key kept; a file it cannot read is left untouched):
//   .mcp.json                 mcpServers.aflock, with the policy's ABSOLUTE path, so a session started in any
//                             subdirectory (Claude Code finds .mcp.json by walking up) loads the same policy
//   .claude/settings.json     mcp_tool hooks on PreToolUse (onFailure: block, so a server that is not there blocks),
//                             PostToolUse and PostToolUseFailure; allow mcp__aflock__*; enabledMcpjsonServers aflock
//   ~/.claude/settings.json   Claude Code does not load a project's .claude/settings.json in a session started from
//                             a subdirectory (measured, 2.1.332), so a user-level command hook covers those sessions:
//                             a few lines of sh that do nothing unless a policy governs the session's directory and
//                             the project's own hooks are not loaded, and then ask the live server (aflock-mcp hook).
import { join, resolve } from 'node:path';
import { homedir } from 'node:os';
import { HOOK_TOOL } from './answer.ts';
import { SERVER_NAME } from './options.ts';
import { shellQuote } from './sandbox-wrap.ts';
import { POLICY_FILE_NAMES } from '../policy/load.ts';
import { InitError, MCP_ALLOW_RULE, permissionLists, readJsonObject, writeJsonObject } from '../init.ts';

const EVENTS = ['PreToolUse', 'PostToolUse', 'PostToolUseFailure'] as const;
/** Marks the user-level hook commands we write, so a second init replaces them instead of adding more. */
export const USER_HOOK_MARK = '# aflock-mcp hook mode';

/** The mcp_tool hook of one event: the hook's fields, interpolated by Claude Code (`${tool_input}` as JSON text). */
export function mcpToolHook(event: (typeof EVENTS)[number]): Record<string, unknown> {
  const input: Record<string, string> = {
    hook_event_name: '${hook_event_name}',
    tool_name: '${tool_name}',
    tool_input: '${tool_input}',
    tool_use_id: '${tool_use_id}',
    session_id: '${session_id}',
    cwd: '${cwd}',
    ...(event === 'PostToolUseFailure' ? { error: '${error}' } : {}),
  };
  // Fail closed before a call; after one, a failed record must not turn a finished call into an error.
  return { type: 'mcp_tool', server: SERVER_NAME, tool: HOOK_TOOL, input, ...(event === 'PreToolUse' ? { onFailure: 'block' } : {}) };
}

function isOurMcpHook(h: unknown): boolean {
  const o = h as Record<string, unknown> | null;
  return !!o && o.type === 'mcp_tool' && o.server === SERVER_NAME && o.tool === HOOK_TOOL;
}

function isOurUserHook(h: unknown): boolean {
  const o = h as Record<string, unknown> | null;
  return !!o && o.type === 'command' && typeof o.command === 'string' && o.command.includes(USER_HOOK_MARK);
}

/**
 * The user-level command of one event. In sh, without forking: from the session's directory
 * ($CLAUDE_PROJECT_DIR, the directory Claude Code started in) it leaves at once when that directory's own
 * .claude/settings.json has our mcp_tool hooks (they are loaded there); otherwise it walks up looking for a policy
 * file and, on finding one, runs the command hook; with none it leaves with no opinion.
 */
export function userHookCommand(hookLaunch: readonly string[], event: string): string {
  const names = POLICY_FILE_NAMES.join(' ');
  const run = [...hookLaunch, event].map(shellQuote).join(' ');
  return [
    `d=\${CLAUDE_PROJECT_DIR:-$PWD};`,
    `grep -qs '"server": *"${SERVER_NAME}"' "$d/.claude/settings.json" && exit 0;`,
    `while :; do for f in ${names}; do [ -f "$d/$f" ] && exec ${run}; done;`,
    `{ [ -z "$d" ] || [ "$d" = / ]; } && exit 0; d=\${d%/*}; done`,
    USER_HOOK_MARK,
  ].join(' ');
}

export interface FileChange {
  path: string;
  created: boolean;
  changed: boolean;
  what: string[];
}

/** Puts `entry` as the one hook of ours under hooks[event] (matcher "*"), replacing an older one of ours. */
function setHook(path: string, settings: Record<string, unknown>, event: string, entry: Record<string, unknown>, ours: (h: unknown) => boolean): boolean {
  const hooks = (settings.hooks ??= {}) as Record<string, unknown>;
  if (typeof hooks !== 'object' || Array.isArray(hooks)) throw new InitError(`${path}: "hooks" is not an object; it was not changed`);
  const list = (hooks[event] ??= []) as unknown[];
  if (!Array.isArray(list)) throw new InitError(`${path}: "hooks.${event}" is not a list; it was not changed`);
  const want = JSON.stringify(entry);
  let found = false;
  let changed = false;
  for (const group of list) {
    const g = group as { hooks?: unknown[] };
    if (!g || !Array.isArray(g.hooks)) continue;
    g.hooks = g.hooks.flatMap((h) => {
      if (!ours(h)) return [h];
      if (found) {
        changed = true;
        return []; // a duplicate of ours
      }
      found = true;
      if (JSON.stringify(h) !== want) changed = true;
      return [entry];
    });
  }
  if (!found) {
    list.push({ matcher: '*', hooks: [entry] });
    changed = true;
  }
  return changed;
}

/** .mcp.json: the aflock server, started with the policy's absolute path. */
export function mergeMcpJson(projectDir: string, launch: readonly string[], policyPath: string): FileChange {
  const path = join(projectDir, '.mcp.json');
  const { value, created, mode } = readJsonObject(path);
  const servers = (value.mcpServers ??= {}) as Record<string, unknown>;
  if (typeof servers !== 'object' || Array.isArray(servers)) throw new InitError(`${path}: "mcpServers" is not an object; it was not changed`);
  const [command, ...args] = launch;
  const entry = { command, args: [...args, '--policy', resolve(policyPath)] };
  const changed = JSON.stringify(servers[SERVER_NAME]) !== JSON.stringify(entry);
  const replaced = changed && servers[SERVER_NAME] !== undefined;
  if (changed) {
    servers[SERVER_NAME] = entry;
    writeJsonObject(path, value, mode);
  }
  return { path, created, changed, what: changed ? [`mcpServers.${SERVER_NAME} ${replaced ? 'replaced' : 'added'} (policy ${resolve(policyPath)})`] : [] };
}

/** .claude/settings.json: our mcp_tool hooks, allow mcp__aflock__*, and the .mcp.json server enabled. */
export function mergeProjectHooks(projectDir: string): FileChange {
  const path = join(projectDir, '.claude', 'settings.json');
  const { value, created, mode } = readJsonObject(path);
  const { p, allow } = permissionLists(path, value);
  const what: string[] = [];
  for (const event of EVENTS) if (setHook(path, value, event, mcpToolHook(event), isOurMcpHook)) what.push(`hooks.${event}: mcp_tool ${SERVER_NAME}/${HOOK_TOOL}`);
  if (!allow.includes(MCP_ALLOW_RULE)) {
    value.permissions = { ...p, allow: [...allow, MCP_ALLOW_RULE] };
    what.push(`permissions.allow += ${MCP_ALLOW_RULE}`);
  }
  const enabled = value.enabledMcpjsonServers;
  if (enabled !== undefined && !(Array.isArray(enabled) && enabled.every((s) => typeof s === 'string'))) throw new InitError(`${path}: "enabledMcpjsonServers" is not a list of strings; it was not changed`);
  if (!((enabled as string[] | undefined) ?? []).includes(SERVER_NAME)) {
    value.enabledMcpjsonServers = [...((enabled as string[] | undefined) ?? []), SERVER_NAME];
    what.push(`enabledMcpjsonServers += ${SERVER_NAME}`);
  }
  if (what.length > 0) writeJsonObject(path, value, mode);
  return { path, created, changed: what.length > 0, what };
}

/** Claude Code's user settings file (CLAUDE_CONFIG_DIR moves ~/.claude). */
export function userSettingsPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.CLAUDE_CONFIG_DIR || join(env.HOME || homedir(), '.claude'), 'settings.json');
}

/** ~/.claude/settings.json: the sh-gated command hooks for sessions started in a subdirectory. */
export function mergeUserHooks(hookLaunch: readonly string[], env: NodeJS.ProcessEnv = process.env): FileChange {
  const path = userSettingsPath(env);
  const { value, created, mode } = readJsonObject(path);
  const what: string[] = [];
  for (const event of EVENTS) {
    const entry = { type: 'command', command: userHookCommand(hookLaunch, event) };
    if (setHook(path, value, event, entry, isOurUserHook)) what.push(`hooks.${event}: command hook for sessions started in a subdirectory of a project with a policy`);
  }
  if (what.length > 0) writeJsonObject(path, value, created ? 0o600 : mode);
  return { path, created, changed: what.length > 0, what };
}
