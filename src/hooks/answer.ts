// The live server's answer to a Claude Code hook about one of Claude Code's own tools: the same pipeline as a guarded
// MCP call (identity, expiry, limits, tools/files/domains, approval, data flow; src/tools/guard.ts) against Claude
// Code's tool name and input, a signed record marked `native` with Claude Code's tool_use_id, and for PostToolUse a
// signed outcome statement plus the data-flow labels of what was read.
import { statSync } from 'node:fs';
import type { ServerContext } from '../context.ts';
import { decideGuarded, evalContext } from '../tools/guard.ts';
import { flowCheck } from '../policy/evaluate.ts';
import { isInside, resolvePath } from '../policy/paths.ts';
import { log } from '../log.ts';
import { sha256Hex } from '../audit/json.ts';
import { outsideRootRefusal } from '../tools/files.ts';
import { NO_OPINION, oneLine, preToolUseAnswer, type HookAnswer, type HookCall } from './protocol.ts';
import { wrapBashInput, type SandboxTarget } from './sandbox-wrap.ts';

/** The MCP tool Claude Code's mcp_tool hooks call (hidden from tools/list: see src/tools/hook.ts). */
export const HOOK_TOOL = 'hook';
export const NATIVE_OUTCOME_PREDICATE = 'https://aflock.ai/attestations/native-outcome/v0.1';

/**
 * Claude Code's tools that read, write, run or fetch: the policy decides them. Its bookkeeping tools (ToolSearch,
 * TodoWrite, Task/Agent whose sub-agent's own calls come through these hooks too, ...) act on nothing and get no
 * opinion, so that a policy's tools.allow list written for the acting tools does not stop the agent from working.
 */
/** Native tools that write a file: confined to the project root like write_file (an absolute files.allow rule opens more). */
const NATIVE_WRITES = new Set(['Write', 'Edit', 'MultiEdit', 'NotebookEdit']);

const GOVERNED = new Set(['Bash', 'Read', 'Write', 'Edit', 'MultiEdit', 'NotebookEdit', 'NotebookRead', 'Glob', 'Grep', 'WebFetch', 'WebSearch']);

export interface HookOptions {
  /** The name Claude Code knows this server by (mcp__<name>__*): its calls are decided by the server itself. */
  readonly serverName: string;
  /** Where native Bash is sent: the sandbox command, or why it is not wrapped. */
  readonly sandbox: { readonly wrap: true; readonly target: SandboxTarget } | { readonly wrap: false; readonly why: string };
  /** Said in every reason and record: how this answer was made when no live server made it (command hook alone). */
  readonly standalone?: string;
}

/** Whether the hook should decide this tool, and if not, why not (for tests and the docs). */
export function governs(toolName: string, serverName: string): 'governed' | 'own' | 'bookkeeping' {
  if (toolName.startsWith(`mcp__${serverName}__`)) return 'own';
  if (GOVERNED.has(toolName) || toolName.startsWith('mcp__')) return 'governed';
  return 'bookkeeping';
}

/** Answers already given, by event and tool_use_id: a second hook for the same call (two scopes) records nothing new. */
const RECENT_ANSWERS = 256;

export class HookResponder {
  private readonly answered = new Map<string, HookAnswer>();
  /**
   * The input of each Bash call we wrapped, by tool_use_id: PostToolUse reports the rewritten input, and its data-flow
   * labels must come from the command the model wrote, not from the sandbox command line around it.
   */
  private readonly unwrapped = new Map<string, Record<string, unknown>>();
  constructor(
    private readonly ctx: ServerContext,
    private readonly opts: HookOptions,
  ) {}

  async answer(call: HookCall): Promise<HookAnswer> {
    // The same call asked twice (two hook scopes): same event, id, tool and input. The input is part of the key, so
    // an answer can never be reused for a different call that happens to carry the same id.
    const key = sha256Hex(JSON.stringify([call.event, call.toolUseId, call.toolName, call.cwd ?? '', call.toolInput]));
    const seen = this.answered.get(key);
    if (seen) return seen;
    const a = call.event === 'PreToolUse' ? await this.pre(call) : this.post(call);
    this.answered.set(key, a);
    if (this.answered.size > RECENT_ANSWERS) this.answered.delete(this.answered.keys().next().value as string);
    return a;
  }

  private async pre(call: HookCall): Promise<HookAnswer> {
    const kind = governs(call.toolName, this.opts.serverName);
    if (kind === 'own') {
      // The model naming the hook tool: refused (it is hidden and refuses model calls too; this is the third lock).
      if (call.toolName === `mcp__${this.opts.serverName}__${HOOK_TOOL}`) return preToolUseAnswer('deny', `aflock: ${HOOK_TOOL} answers Claude Code's hooks, not the model`);
      return NO_OPINION; // our own tools decide and record their calls themselves
    }
    if (kind === 'bookkeeping') return NO_OPINION;
    const cwd = this.cwdOf(call);
    const outcome = await decideGuarded(this.ctx, {
      tool: call.toolName,
      input: call.toolInput,
      token: undefined,
      cwd,
      host: { toolUseId: call.toolUseId },
      confine: call.toolName === 'Grep' ? () => this.grepRefusal(call, cwd) : NATIVE_WRITES.has(call.toolName) ? (realpath) => this.writeOutsideRoot(call, cwd, realpath) : undefined,
      note: call.toolName === 'Bash' ? (this.opts.sandbox.wrap ? 'native Bash runs in the kernel sandbox' : `native Bash is not sandboxed: ${this.opts.sandbox.why}`) : undefined,
      context: this.opts.standalone,
    });
    const alone = this.opts.standalone ? ` (${this.opts.standalone})` : '';
    if (!outcome.ok) return preToolUseAnswer(outcome.verdict === 'ask' ? 'ask' : 'deny', `aflock: ${outcome.text}${alone}`);
    if (call.toolName === 'Bash' && typeof call.toolInput.command === 'string') {
      if (this.opts.sandbox.wrap) {
        this.unwrapped.set(call.toolUseId, call.toolInput);
        if (this.unwrapped.size > RECENT_ANSWERS) this.unwrapped.delete(this.unwrapped.keys().next().value as string);
        return preToolUseAnswer('allow', `aflock: allowed by the policy; runs in the kernel sandbox${alone}`, wrapBashInput(this.opts.sandbox.target, call.toolInput, cwd));
      }
    }
    return NO_OPINION; // allowed by the policy: Claude Code's own permission rules still apply
  }

  /** Records the outcome and takes the data-flow labels of what the call read (again: a call the user approved). */
  private post(call: HookCall): HookAnswer {
    if (governs(call.toolName, this.opts.serverName) !== 'governed') return NO_OPINION;
    const ctx = this.ctx;
    let added: string[] = [];
    const input = this.unwrapped.get(call.toolUseId) ?? call.toolInput;
    this.unwrapped.delete(call.toolUseId);
    if (call.event === 'PostToolUse' && ctx.policy.compiled.dataFlow) {
      const flow = flowCheck(ctx.policy.compiled, { tool: call.toolName, input }, ctx.session.heldLabels, evalContext(ctx, this.cwdOf(call)));
      ctx.session.addLabels(flow.newLabels);
      added = flow.newLabels.map((l) => l.label);
    }
    if (!ctx.trail) return NO_OPINION;
    try {
      ctx.trail.signStatement(
        {
          _type: 'https://in-toto.io/Statement/v1',
          subject: [{ name: `session:${ctx.trail.sessionId}/outcome:${call.toolUseId}`, digest: {} }],
          predicateType: NATIVE_OUTCOME_PREDICATE,
          predicate: {
            sessionId: ctx.trail.sessionId,
            origin: 'native',
            event: call.event,
            toolName: call.toolName,
            toolUseId: call.toolUseId,
            outcome: call.event === 'PostToolUse' ? 'completed' : 'failed',
            ...(call.error ? { error: oneLine(call.error, 500) } : {}),
            ...(added.length ? { labelsAdded: added } : {}),
            ...(this.opts.standalone ? { standalone: this.opts.standalone } : {}),
            timestamp: new Date().toISOString(),
          },
        },
        'native-outcome',
      );
    } catch (e) {
      log(`could not record the outcome of ${call.toolName} ${call.toolUseId}: ${(e as Error).message}`);
    }
    return NO_OPINION;
  }

  /** The session's directory as Claude Code reports it, when it is inside the project; else the project root. */
  private cwdOf(call: HookCall): string {
    const root = this.ctx.policy.root;
    return call.cwd && isInside(resolvePath(call.cwd, root), root) ? resolvePath(call.cwd, root) : root;
  }

  /** A native write outside the project root (the user's ~/.claude/settings.json, ~/.bashrc, ...), unless allowed. */
  private writeOutsideRoot(call: HookCall, cwd: string, realpath: (abs: string) => string | null): string | null {
    const key = call.toolName === 'NotebookEdit' ? 'notebook_path' : 'file_path';
    const p = call.toolInput[key];
    if (typeof p !== 'string' || p === '') return null; // the evaluator already refused a missing path
    return outsideRootRefusal(this.ctx, resolvePath(p, cwd), realpath);
  }

  /**
   * Native Grep reads every file under its path. Over a directory, files the policy denies by name (`**\/.env`) may be
   * inside it, and Grep's single `glob` cannot both keep the model's filter and exclude them. Claude Code 2.1.332
   * has no native Grep (searches go through Bash, which the kernel sandbox confines), so this only concerns older
   * hosts: a file path is decided like a Read; a directory, when the policy denies any file, is refused with the
   * narrower way to do it.
   */
  private grepRefusal(call: HookCall, cwd: string): string | null {
    const deny = this.ctx.policy.compiled.files?.deny ?? [];
    if (deny.length === 0) return null;
    const p = typeof call.toolInput.path === 'string' && call.toolInput.path !== '' ? resolvePath(call.toolInput.path, cwd) : cwd;
    let isDir = true;
    try {
      isDir = statSync(p).isDirectory();
    } catch {
      isDir = true; // unknown: treat as a tree
    }
    if (!isDir) return null;
    return `native Grep over the directory '${p}' could read files the policy denies (${deny.slice(0, 3).map((r) => r.source).join(', ')}${deny.length > 3 ? ', ...' : ''}); grep with Bash instead (it runs in the kernel sandbox, which hides them), or Grep one file`;
  }
}
