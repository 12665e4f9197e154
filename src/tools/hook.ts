// `hook`: the tool Claude Code's `mcp_tool` hooks call about Claude Code's own tools (src/hooks/answer.ts).
//
// Only the host may call it, never the model, because its answers are decisions and its calls write records. Three
// locks, each measured with the real CLI (docs/hooks.md):
//   1. It is not in tools/list. Claude Code calls an mcp_tool hook's tool by name without looking it up, but offers
//      the model only listed tools: a model's tool_use of mcp__aflock__hook gets "No such tool available" and never
//      reaches the server.
//   2. A tools/call that carries `_meta["claudecode/toolUseId"]` is refused without a record: Claude Code puts that on
//      every call it makes for the model, and none on hook calls.
//   3. The PreToolUse hook itself denies a call of mcp__<server>__hook (src/hooks/answer.ts).
// It exists on stdio only: there the one client is the host that spawned us. Over HTTP any token holder could call it.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import * as z from 'zod';
import { HOOK_TOOL, type HookResponder } from '../hooks/answer.ts';
import { HookInputError, parseHookCall } from '../hooks/protocol.ts';
import { errorResult, textResult } from './result.ts';

/** The _meta key Claude Code sets on the tool calls it makes for the model (2.1.332). */
export const MODEL_CALL_META = 'claudecode/toolUseId';

export const hookInputSchema = {
  hook_event_name: z.string().describe('PreToolUse, PostToolUse or PostToolUseFailure'),
  tool_name: z.string(),
  tool_input: z.union([z.record(z.string(), z.unknown()), z.string()]).describe('The tool input, or its JSON (what ${tool_input} interpolates to)'),
  tool_use_id: z.string(),
  session_id: z.string().optional(),
  cwd: z.string().optional(),
  permission_mode: z.string().optional(),
  error: z.string().optional(),
};

export type HookArgs = { [K in keyof typeof hookInputSchema]: z.infer<(typeof hookInputSchema)[K]> };

export async function hookTool(responder: HookResponder, args: HookArgs, meta: Record<string, unknown> | undefined): Promise<CallToolResult> {
  if (meta && Object.hasOwn(meta, MODEL_CALL_META)) return errorResult(`${HOOK_TOOL} answers Claude Code's hooks only; a call made for the model is refused and not recorded`);
  let call;
  try {
    call = parseHookCall(args);
  } catch (e) {
    if (e instanceof HookInputError) return errorResult(`invalid hook input: ${e.message}`);
    throw e;
  }
  return textResult(JSON.stringify(await responder.answer(call)));
}

type ListHandler = (request: unknown, extra: unknown) => Promise<{ tools: { name: string }[] }>;

/**
 * Registers the hook tool and takes it out of tools/list. The SDK lists every enabled tool and refuses disabled ones,
 * so the listing handler it installed is wrapped to drop this one name. It is the SDK's private map: a test
 * (test/hooks/tool.test.ts) fails if a new SDK version moves it, and start-up fails rather than list the tool.
 */
export function registerHookTool(
  server: McpServer,
  responder: HookResponder,
  track: (fn: (args: HookArgs, extra?: { _meta?: Record<string, unknown> }) => Promise<CallToolResult>) => (args: HookArgs, extra?: { _meta?: Record<string, unknown> }) => Promise<CallToolResult>,
): void {
  server.registerTool(
    HOOK_TOOL,
    {
      title: 'Claude Code hook (host only)',
      description: "Claude Code's PreToolUse/PostToolUse hooks about its own tools. Not for the model.",
      inputSchema: hookInputSchema,
    },
    track((args, extra) => hookTool(responder, args, extra?._meta)),
  );
  const handlers = (server.server as unknown as { _requestHandlers?: Map<string, ListHandler> })._requestHandlers;
  const list = handlers?.get('tools/list');
  if (!handlers || !list) throw new Error('cannot hide the hook tool from tools/list (the MCP SDK changed); refusing to start with it listed');
  handlers.set('tools/list', async (request, extra) => {
    const r = await list(request, extra);
    return { ...r, tools: r.tools.filter((t) => t.name !== HOOK_TOOL) };
  });
}
