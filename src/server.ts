// Builds the McpServer: the one list of all tools, their schemas and annotations, wired to their handlers.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import * as z from 'zod';
import type { ServerContext } from './context.ts';
import { log } from './log.ts';
import { bashTool, MAX_TIMEOUT_SECONDS } from './tools/bash.ts';
import { readFileTool, writeFileTool } from './tools/files.ts';
import { checkToolTool, getIdentityTool, getPolicyTool, getSessionTool } from './tools/info.ts';
import { getTokenTool, type TokenCaller } from './tools/token.ts';
import { signAttestationTool } from './tools/attest.ts';
import { limitsSchema } from './policy/schema.ts';
import { errorResult } from './tools/result.ts';
import { callScope, type RequestRef } from './approval.ts';
import { registerHookTool } from './tools/hook.ts';
import type { HookResponder } from './hooks/answer.ts';

/**
 * The part of the SDK's per-request extra we read: the HTTP transport puts the caller in authInfo.extra; the request
 * id and signal tie an approval question (elicitation) to the call it is about.
 */
type RequestExtra = { authInfo?: { extra?: Record<string, unknown> }; _meta?: Record<string, unknown> } & RequestRef;

declare const AFLOCK_VERSION: string;
export const VERSION: string = typeof AFLOCK_VERSION === 'string' ? AFLOCK_VERSION : '0.0.0-dev';

const token = z.string().optional().describe('Session token from get_token. Required once a token has been issued.');

const INSTRUCTIONS = [
  'aflock-mcp enforces the project .aflock policy on tool calls and signs a record of every decision.',
  'Use bash, read_file and write_file from this server instead of native shell and file tools.',
  'Call check_tool to ask whether a call would be allowed. Once get_token has been called, pass its token as _token.',
].join(' ');

/** Runs a handler, counting it in flight so shutdown can wait, and turning a thrown error into an isError result. */
function tracked<A>(ctx: ServerContext, name: string, fn: (args: A, extra?: RequestExtra) => Promise<CallToolResult> | CallToolResult) {
  return async (args: A, extra?: RequestExtra): Promise<CallToolResult> => {
    ctx.inflight.count++;
    try {
      return await fn(args, extra);
    } catch (e) {
      log(`internal error in ${name}: ${(e as Error).message}`);
      return errorResult(`${name} failed with an internal error; the call was not completed`);
    } finally {
      if (--ctx.inflight.count === 0) for (const wake of ctx.inflight.idle.splice(0)) wake();
    }
  };
}

export function buildServer(ctx: ServerContext, opts: { experimental?: Record<string, object>; hooks?: HookResponder } = {}): McpServer {
  const server = new McpServer(
    { name: 'aflock', title: 'aflock policy server', version: VERSION },
    {
      capabilities: { tools: {}, ...(opts.experimental ? { experimental: opts.experimental } : {}) },
      instructions: INSTRUCTIONS,
    },
  );
  const readOnly = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };

  server.registerTool(
    'get_identity',
    { title: 'Caller identity', description: 'The identity this session attributes to the calling agent: parent process, model (self-reported), environment, identity hash.', annotations: readOnly },
    tracked(ctx, 'get_identity', () => getIdentityTool(ctx)),
  );
  server.registerTool(
    'get_policy',
    { title: 'Active policy', description: 'The policy this server enforces, with its digest and project root.', annotations: readOnly },
    tracked(ctx, 'get_policy', () => getPolicyTool(ctx)),
  );
  server.registerTool(
    'check_tool',
    {
      title: 'Check a tool call',
      description: 'Evaluates a tool call (Claude Code tool name and input) against the policy without running it. Returns {allowed, decision, reason}.',
      inputSchema: {
        tool_name: z.string().describe('Claude Code tool name, e.g. Bash, Read, Write, Edit, WebFetch, mcp__server__tool'),
        tool_input: z.record(z.string(), z.unknown()).nullable().optional().describe('The tool input, e.g. {"command": "git status"}'),
      },
      outputSchema: { allowed: z.boolean(), decision: z.enum(['allow', 'deny', 'ask']), reason: z.string(), rule: z.string().optional() },
      annotations: readOnly,
    },
    tracked(ctx, 'check_tool', (args) => checkToolTool(ctx, args)),
  );
  server.registerTool(
    'bash',
    {
      title: 'Run a shell command',
      description: 'Runs `bash -c command` in the project (or workdir inside it) after the policy allows it.',
      inputSchema: {
        command: z.string().describe('The command line'),
        timeout: z.number().positive().max(MAX_TIMEOUT_SECONDS).optional().describe('Seconds (default 30)'),
        workdir: z.string().optional().describe('Working directory, inside the project root'),
        attest: z.boolean().optional().describe('Write a signed step attestation for this command'),
        step: z.string().optional().describe('Step name (required with attest)'),
        reason: z.string().optional().describe('Why the command is run (recorded)'),
        _token: token,
      },
      outputSchema: { exitCode: z.number(), output: z.string(), error: z.string().optional(), truncated: z.boolean().optional() },
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
    },
    tracked(ctx, 'bash', (args, extra) => bashTool(ctx, args, callScope(server, extra))),
  );
  server.registerTool(
    'read_file',
    {
      title: 'Read a file',
      description: 'Reads a text file (relative paths resolve against the project root) after the policy allows it.',
      inputSchema: { path: z.string().describe('File path'), _token: token },
      annotations: readOnly,
    },
    tracked(ctx, 'read_file', (args, extra) => readFileTool(ctx, args, callScope(server, extra))),
  );
  server.registerTool(
    'write_file',
    {
      title: 'Write a file',
      description: 'Writes a file atomically (new files are created 0600) after the policy allows it.',
      inputSchema: { path: z.string().describe('File path'), content: z.string().describe('Full new content'), _token: token },
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    tracked(ctx, 'write_file', (args, extra) => writeFileTool(ctx, args, callScope(server, extra))),
  );
  server.registerTool(
    'get_session',
    { title: 'Session state', description: 'Session id, counters, data-flow labels held and recent decisions.', annotations: readOnly },
    tracked(ctx, 'get_session', () => getSessionTool(ctx)),
  );
  server.registerTool(
    'get_token',
    {
      title: 'Get a session token',
      description:
        'Returns the session token (first call), refreshes a token (with _token), or returns a narrower token for a sub-agent (with _token and scope).',
      inputSchema: {
        _token: z.string().optional().describe('Your current token, to refresh it or derive a narrower one'),
        _bootstrap: z.string().optional().describe('HTTP mode only: the one-time bootstrap secret'),
        scope: z
          .strictObject({
            tools: z.array(z.string().min(1)).min(1).optional().describe('Tool patterns the new token may use (intersected with yours)'),
            deny: z.array(z.string().min(1)).optional().describe('Tool patterns the new token may not use'),
            ttl_seconds: z.number().int().positive().optional().describe('Lifetime, no longer than your token has left'),
            sublayout: z.string().min(1).optional().describe("Name of a policy sublayout: the token's rights become the intersection of yours and that sub-policy's, with its limits"),
            limits: limitsSchema.optional().describe("Limits for the new token (maxToolCalls, maxWallTimeSeconds, ...), no looser than yours"),
          })
          .optional(),
      },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    tracked(ctx, 'get_token', (args, extra) => getTokenTool(ctx, args, extra?.authInfo?.extra?.caller as TokenCaller | undefined)),
  );
  server.registerTool(
    'sign_attestation',
    {
      title: 'Sign an attestation',
      description: 'Signs an in-toto statement with the session key (policy-gated; the server namespace is reserved).',
      inputSchema: {
        predicate_type: z.string().describe('Predicate type URI'),
        predicate: z.unknown().describe('Predicate object'),
        subject: z.strictObject({ name: z.string().optional(), digest: z.record(z.string(), z.string()).optional() }).optional(),
        _token: token,
      },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    tracked(ctx, 'sign_attestation', (args, extra) => signAttestationTool(ctx, args, callScope(server, extra))),
  );
  // Claude Code's hooks about its own tools (stdio only, hidden from tools/list): src/tools/hook.ts.
  if (opts.hooks) registerHookTool(server, opts.hooks, (fn) => tracked(ctx, 'hook', fn));
  return server;
}
