// The one pipeline every guarded tool goes through: authorize -> evaluate -> data flow -> record -> act.
// The record (audit line + signed envelope) is written before the action runs and before the result returns, so the
// trail shows every decision even if the action then crashes the process.
import { randomUUID } from 'node:crypto';
import { realpathSync } from 'node:fs';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ServerContext } from '../context.ts';
import { evaluateCall, flowCheck, type Decision, type EvalContext, type ToolCall } from '../policy/evaluate.ts';
import { compilePolicy, type CompiledPolicy } from '../policy/compile.ts';
import type { TokenClaims } from '../auth/tokens.ts';
import { log } from '../log.ts';
import { errorResult, PREFIX } from './result.ts';

export interface GuardedRequest {
  /** Policy tool name (`Bash`, `Read`, `Write`, `sign_attestation`). */
  readonly tool: string;
  /** What the policy sees and the trail records (never the token). */
  readonly input: Record<string, unknown>;
  readonly token: unknown;
  /** Working directory for relative paths in the call (defaults to the project root). */
  readonly cwd?: string;
  /** A tool-specific refusal checked after the policy allows (e.g. a path outside the project root). */
  readonly confine?: () => string | null;
}

export interface Approved {
  readonly toolUseId: string;
  readonly claims: TokenClaims | null;
}

export function realpathOrNull(abs: string): string | null {
  try {
    return realpathSync(abs);
  } catch {
    return null;
  }
}

export function evalContext(ctx: ServerContext, cwd?: string): EvalContext {
  return { root: ctx.policy.root, cwd: cwd ?? ctx.policy.root, realpath: realpathOrNull };
}

const scopePolicies = new WeakMap<object, Map<string, CompiledPolicy>>();

/** An attenuated token narrows the policy: the call must also pass each narrower scope in its chain. */
function scopeDecision(ctx: ServerContext, claims: TokenClaims, call: ToolCall, ec: EvalContext): Decision | null {
  if (!claims.parent) return null; // the session token carries the policy's own scope
  let cache = scopePolicies.get(ctx);
  if (!cache) scopePolicies.set(ctx, (cache = new Map()));
  for (const scope of ctx.tokens.scopeChain(claims)) {
    const key = JSON.stringify(scope);
    let compiled = cache.get(key);
    if (!compiled) {
      compiled = compilePolicy({ tools: { ...(scope.allow ? { allow: scope.allow } : {}), deny: scope.deny } });
      cache.set(key, compiled);
    }
    const d = evaluateCall(compiled, call, ec);
    if (d.decision !== 'allow') return { decision: 'deny', reason: `token scope: ${d.reason}`, rule: d.rule };
  }
  return null;
}

export async function guarded(
  ctx: ServerContext,
  req: GuardedRequest,
  act: (approved: Approved) => Promise<CallToolResult>,
): Promise<CallToolResult> {
  const toolUseId = randomUUID();
  /** Writes the decision to the session and the signed trail; throws only if the trail cannot be written. */
  const record = (decision: 'allow' | 'deny' | 'ask', reason: string, rule: string | undefined, claims: TokenClaims | null, tokenHash?: string) => {
    ctx.session.recordAction(req.tool, decision, reason || undefined);
    if (!ctx.trail) return;
    const id = ctx.identity.peek();
    ctx.trail.recordAction({
      tool: req.tool,
      toolUseId,
      input: req.input,
      decision,
      rule,
      reason,
      identity: id ? { identityHash: id.identityHash, spiffeId: id.spiffeId, model: id.model, modelSource: id.modelSource, environment: id.environment.type, parentPid: id.parent?.pid, parentExe: id.parent?.exe, parentExeSha256: id.parent?.exeSha256 } : { pending: true, parentPid: process.ppid },
      metrics: ctx.session.metrics(),
      ...(claims && tokenHash ? { token: { jti: claims.jti, sha256: tokenHash } } : {}),
    });
  };
  /** A refusal stands even if the trail fails; the failure is logged. */
  const refuse = (text: string, reason: string, rule: string | undefined, claims: TokenClaims | null, tokenHash?: string, verdict: 'deny' | 'ask' = 'deny') => {
    try {
      record(verdict, reason, rule, claims, tokenHash);
    } catch (e) {
      log(`could not record a refusal in the audit trail: ${(e as Error).message}`);
    }
    return errorResult(text);
  };

  const auth = await ctx.gate.authorize(req.tool, req.token);
  if (!auth.ok) return refuse(`${PREFIX.auth} ${auth.reason}`, `authorization: ${auth.reason}`, 'auth', null);
  if (!ctx.trail) {
    ctx.session.recordAction(req.tool, 'deny', 'audit trail unavailable');
    return errorResult(`${PREFIX.policy} the audit trail is unavailable (${ctx.trailError ?? 'unknown error'}), so no guarded call can run; fix AFLOCK_HOME and restart`);
  }
  const call: ToolCall = { tool: req.tool, input: req.input };
  const ec = evalContext(ctx, req.cwd);
  let decision = evaluateCall(ctx.policy.compiled, call, ec);
  if (decision.decision === 'allow' && auth.claims) decision = scopeDecision(ctx, auth.claims, call, ec) ?? decision;
  if (decision.decision === 'deny') return refuse(`${PREFIX.policy} ${decision.reason}`, decision.reason, decision.rule, auth.claims, auth.tokenHash);
  if (decision.decision === 'ask') return refuse(`${PREFIX.approval} ${decision.reason}`, decision.reason, decision.rule, auth.claims, auth.tokenHash, 'ask');
  const confined = req.confine?.();
  if (confined) return refuse(`${PREFIX.policy} ${confined}`, confined, 'confinement', auth.claims, auth.tokenHash);
  const flow = flowCheck(ctx.policy.compiled, call, ctx.session.heldLabels, ec);
  if (flow.denied) {
    log(`blocked data flow (${flow.denied.rule}) on ${req.tool}`);
    return refuse(`${PREFIX.dataFlow} ${flow.denied.reason}`, flow.denied.reason, `dataFlow:${flow.denied.rule}`, auth.claims, auth.tokenHash);
  }
  ctx.session.addLabels(flow.newLabels);
  try {
    record('allow', decision.reason, decision.rule, auth.claims, auth.tokenHash);
  } catch (e) {
    // A decision we cannot record is a decision we do not act on.
    return errorResult(`${PREFIX.policy} could not write the audit trail (${(e as Error).message}); the call was not run`);
  }
  return act({ toolUseId, claims: auth.claims });
}
