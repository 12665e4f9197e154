// Claude Code's hook protocol, as measured with the real CLI (2.1.332, offline, with its captured hook payloads): what a
// PreToolUse / PostToolUse hook receives and what it may answer. Pure and dependency-free: the small command-hook
// entry (src/hooks/entry.ts) bundles it without zod or the SDK, so the checks here are written by hand.
//
// Input (stdin of a command hook, or the `input` of an mcp_tool hook with `${field}` interpolation):
//   session_id, cwd, hook_event_name, tool_name, tool_input, tool_use_id, permission_mode, and for PostToolUse
//   tool_response and duration_ms; PostToolUseFailure has `error`. An mcp_tool hook's `${tool_input}` arrives as a
//   JSON string, a command hook's as an object: both are accepted.
// Output: `{}` (no opinion: Claude Code's own permission flow goes on), or
//   {"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "allow"|"deny"|"ask",
//    "permissionDecisionReason": "...", "updatedInput": {...}}}
// Never a top-level `decision` other than approve|block: Claude Code rejects the whole answer otherwise.

export const HOOK_EVENTS = ['PreToolUse', 'PostToolUse', 'PostToolUseFailure'] as const;
export type HookEvent = (typeof HOOK_EVENTS)[number];

/** The longest tool input we accept, as JSON (Claude Code's Write/Edit carry file content). */
export const MAX_TOOL_INPUT_CHARS = 16 * 1024 * 1024;
const ID = /^[A-Za-z0-9_.:-]{1,200}$/;

export interface HookCall {
  readonly event: HookEvent;
  readonly toolName: string;
  readonly toolInput: Record<string, unknown>;
  /** Claude Code's id of the call (toolu_...); names the record. */
  readonly toolUseId: string;
  readonly sessionId?: string;
  /** The session's working directory: relative paths and Bash commands resolve against it. */
  readonly cwd?: string;
  readonly permissionMode?: string;
  /** PostToolUseFailure: what went wrong (kept short in the record). */
  readonly error?: string;
}

export class HookInputError extends Error {}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function optString(o: Record<string, unknown>, key: string, max = 4096): string | undefined {
  const v = o[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new HookInputError(`${key} must be a string`);
  return v.length > max ? v.slice(0, max) : v;
}

/** tool_input as an object: given as one, or as the JSON string an mcp_tool hook's `${tool_input}` makes of it. */
export function parseToolInput(raw: unknown): Record<string, unknown> {
  if (isObject(raw)) return raw;
  if (typeof raw === 'string') {
    if (raw.length > MAX_TOOL_INPUT_CHARS) throw new HookInputError('tool_input is too large');
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch {
      throw new HookInputError('tool_input is a string but not JSON');
    }
    if (isObject(v)) return v;
  }
  throw new HookInputError('tool_input must be an object (or its JSON)');
}

/** Validates a hook's input; `eventOverride` is the event named on a command hook's command line. */
export function parseHookCall(raw: unknown, eventOverride?: string): HookCall {
  if (!isObject(raw)) throw new HookInputError('hook input must be a JSON object');
  const event = eventOverride ?? raw.hook_event_name;
  if (typeof event !== 'string' || !(HOOK_EVENTS as readonly string[]).includes(event)) {
    throw new HookInputError(`hook_event_name must be one of ${HOOK_EVENTS.join(', ')}`);
  }
  if (eventOverride !== undefined && raw.hook_event_name !== undefined && raw.hook_event_name !== eventOverride) {
    throw new HookInputError(`the hook was installed for ${eventOverride} but received ${String(raw.hook_event_name)}`);
  }
  const toolName = raw.tool_name;
  if (typeof toolName !== 'string' || !/^[A-Za-z0-9_.:-]{1,256}$/.test(toolName)) throw new HookInputError('tool_name must be a tool name');
  const toolUseId = raw.tool_use_id;
  if (typeof toolUseId !== 'string' || !ID.test(toolUseId)) throw new HookInputError('tool_use_id must be an id (letters, digits, _ . : -)');
  const sessionId = optString(raw, 'session_id', 200);
  const cwd = optString(raw, 'cwd');
  if (cwd !== undefined && !cwd.startsWith('/')) throw new HookInputError('cwd must be an absolute path');
  return {
    event: event as HookEvent,
    toolName,
    toolInput: parseToolInput(raw.tool_input),
    toolUseId,
    ...(sessionId ? { sessionId } : {}),
    ...(cwd ? { cwd } : {}),
    ...(optString(raw, 'permission_mode', 64) ? { permissionMode: optString(raw, 'permission_mode', 64) } : {}),
    ...(optString(raw, 'error', 2000) ? { error: optString(raw, 'error', 2000) } : {}),
  };
}

export type PermissionDecision = 'allow' | 'deny' | 'ask';

export interface HookAnswer {
  hookSpecificOutput?: {
    hookEventName: HookEvent;
    permissionDecision?: PermissionDecision;
    permissionDecisionReason?: string;
    updatedInput?: Record<string, unknown>;
  };
}

/** No opinion: Claude Code's own permission rules decide. */
export const NO_OPINION: HookAnswer = Object.freeze({}) as HookAnswer;

/** A PreToolUse answer; the reason is one line (Claude Code shows it to the model and the user). */
export function preToolUseAnswer(decision: PermissionDecision, reason: string, updatedInput?: Record<string, unknown>): HookAnswer {
  return {
    hookSpecificOutput: {
      hookEventName: 'PreToolUse',
      permissionDecision: decision,
      permissionDecisionReason: oneLine(reason),
      ...(updatedInput ? { updatedInput } : {}),
    },
  };
}

export function oneLine(s: string, max = 1000): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}
