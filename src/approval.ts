// Approvals. When the policy says `ask` and the client declared the MCP `elicitation` capability, the server asks the
// human through `elicitation/create`, showing the exact tool, its arguments and the rule that matched. Accept runs
// the call; decline or cancel refuses it. Ticking "remember" approves the same exact call (tool + canonical
// arguments) for the rest of the session. Without the capability nothing is asked and the call is refused, as aflock
// does. The elicitation goes over the connection the call came on: each connection builds its own McpServer and
// hands its `elicit` to the handler through CallScope.
import { createHash } from 'node:crypto';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ElicitResult, RequestId } from '@modelcontextprotocol/sdk/types.js';
import { canonicalJson } from './audit/json.ts';

/** A human has this long to answer; the call waits (its own cancellation aborts the question). */
export const APPROVAL_TIMEOUT_MS = 10 * 60 * 1000;
/** Longest string shown per argument; the approval still binds the full value. */
const SHOWN_CHARS = 4000;
const MAX_LISTED = 200;

export interface ElicitForm {
  message: string;
  requestedSchema: {
    type: 'object';
    properties: Record<string, { type: 'boolean'; title?: string; description?: string; default?: boolean }>;
  };
}

export type Elicit = (form: ElicitForm) => Promise<ElicitResult>;

/** What a handler knows about the connection its call arrived on. */
export interface CallScope {
  /** Asks the human a question, or null when the client cannot be asked (no form elicitation capability). */
  readonly elicit: Elicit | null;
}

export const NO_CALLER: CallScope = { elicit: null };

/** The part of the SDK's per-request extra an approval needs. */
export interface RequestRef {
  readonly requestId?: RequestId;
  readonly signal?: AbortSignal;
}

/**
 * The call scope of one request: elicitation goes to the same client, tied to the request being handled (so over
 * Streamable HTTP it travels on that request's stream).
 */
export function callScope(server: McpServer, extra: RequestRef | undefined): CallScope {
  const e = server.server.getClientCapabilities()?.elicitation as Record<string, unknown> | undefined;
  // `elicitation: {}` (the 2025-06-18 form) means form mode; a client that declares only `url` cannot answer a form.
  const form = e !== undefined && e !== null && (e.form !== undefined || Object.keys(e).length === 0);
  if (!form) return NO_CALLER;
  return {
    elicit: (f) =>
      server.server.elicitInput(
        { mode: 'form', message: f.message, requestedSchema: f.requestedSchema },
        { relatedRequestId: extra?.requestId, signal: extra?.signal, timeout: APPROVAL_TIMEOUT_MS },
      ),
  };
}

export type ApprovalOutcome = 'approved' | 'declined' | 'cancelled' | 'failed';

export interface ApprovalEvent {
  time: string;
  tool: string;
  arguments: unknown;
  rule?: string;
  outcome: ApprovalOutcome;
  /** `human` asked now; `remembered` from an earlier "remember" in this session. */
  via: 'human' | 'remembered';
  remembered?: boolean;
  detail?: string;
}

export interface ApprovalRequest {
  readonly tool: string;
  /** The exact arguments being approved (never the token). */
  readonly args: Record<string, unknown>;
  readonly rule?: string;
  readonly reason: string;
}

/** Approvals of one session: the exact calls remembered, and every answer given (for get_session). */
export class ApprovalStore {
  private readonly remembered = new Set<string>();
  private readonly events: ApprovalEvent[] = [];
  private notListed = 0;
  private readonly counts: Record<ApprovalOutcome | 'remembered', number> = { approved: 0, declined: 0, cancelled: 0, failed: 0, remembered: 0 };

  static key(tool: string, args: Record<string, unknown>): string {
    return createHash('sha256').update(tool).update('\0').update(canonicalJson(args)).digest('hex');
  }

  /** Asks (or recalls) an approval for one exact call. Never throws. */
  async approve(elicit: Elicit, req: ApprovalRequest): Promise<{ outcome: ApprovalOutcome; via: 'human' | 'remembered'; detail?: string }> {
    const key = ApprovalStore.key(req.tool, req.args);
    if (this.remembered.has(key)) {
      this.counts.remembered++;
      this.log({ tool: req.tool, args: req.args, rule: req.rule, outcome: 'approved', via: 'remembered' });
      return { outcome: 'approved', via: 'remembered' };
    }
    let result: ElicitResult;
    try {
      result = await elicit(approvalForm(req));
    } catch (e) {
      const detail = (e as Error).message.split('\n')[0];
      this.counts.failed++;
      this.log({ tool: req.tool, args: req.args, rule: req.rule, outcome: 'failed', via: 'human', detail });
      return { outcome: 'failed', via: 'human', detail };
    }
    if (result.action === 'accept') {
      const remember = result.content?.remember === true;
      if (remember) this.remembered.add(key);
      this.counts.approved++;
      this.log({ tool: req.tool, args: req.args, rule: req.rule, outcome: 'approved', via: 'human', remembered: remember });
      return { outcome: 'approved', via: 'human' };
    }
    const outcome = result.action === 'decline' ? 'declined' : 'cancelled';
    this.counts[outcome]++;
    this.log({ tool: req.tool, args: req.args, rule: req.rule, outcome, via: 'human' });
    return { outcome, via: 'human' };
  }

  private log(e: { tool: string; args: Record<string, unknown>; rule?: string; outcome: ApprovalOutcome; via: 'human' | 'remembered'; remembered?: boolean; detail?: string }): void {
    if (this.events.length >= MAX_LISTED) {
      this.notListed++;
      return;
    }
    this.events.push({
      time: new Date().toISOString(),
      tool: e.tool,
      arguments: shown(e.args),
      ...(e.rule ? { rule: e.rule } : {}),
      outcome: e.outcome,
      via: e.via,
      ...(e.remembered !== undefined ? { remembered: e.remembered } : {}),
      ...(e.detail ? { detail: e.detail } : {}),
    });
  }

  report(): Record<string, unknown> {
    return {
      counts: { ...this.counts },
      rememberedCalls: this.remembered.size,
      given: this.events,
      ...(this.notListed > 0 ? { notListed: this.notListed } : {}),
    };
  }
}

/** Arguments as shown to a human: long strings cut, with their length and digest so the cut is visible. */
function shown(args: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(args)) {
    if (typeof v === 'string' && v.length > SHOWN_CHARS) {
      out[k] = `${v.slice(0, SHOWN_CHARS)}… [${v.length - SHOWN_CHARS} more characters not shown; sha256 ${createHash('sha256').update(v).digest('hex')}]`;
    } else out[k] = v;
  }
  return out;
}

export function approvalForm(req: ApprovalRequest): ElicitForm {
  const message = [
    `The aflock policy requires your approval for this tool call.`,
    ``,
    `Tool: ${req.tool}`,
    `Arguments: ${JSON.stringify(shown(req.args), null, 2)}`,
    `Rule: ${req.rule ? `tools.requireApproval '${req.rule}'` : 'tools.requireApproval'}`,
    `Why: ${req.reason}`,
    ``,
    `Accept runs this exact call. Tick "remember" to also run this exact call (same tool, same arguments) without asking until the server stops. Decline refuses it.`,
  ].join('\n');
  return {
    message,
    requestedSchema: {
      type: 'object',
      properties: {
        remember: {
          type: 'boolean',
          title: 'Remember for this session',
          description: 'Approve this exact call (same tool and arguments) again without asking, until the server stops',
          default: false,
        },
      },
    },
  };
}
