// The one pipeline every guarded tool goes through:
//   authorize -> identity -> limits -> evaluate (policy, then the token's narrower scopes) -> approval -> data flow
//   -> record -> act.
// The record (audit line + signed envelope) is written before the action runs and before the result returns, so the
// trail shows every decision even if the action then crashes the process.
import { randomUUID } from 'node:crypto';
import { lstatSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { homedir } from 'node:os';
import { fileKind, walkTree } from '../fstree.ts';
import { expandPathGlob } from '../fsglob.ts';
import { physicalPath } from '../fs/confined.ts';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ServerContext } from '../context.ts';
import { evaluateCall, flowCheck, type Decision, type EvalContext, type ToolCall } from '../policy/evaluate.ts';
import type { TokenClaims } from '../auth/tokens.ts';
import type { Decision as AuditDecision } from '../audit/trail.ts';
import { identityRefusal } from '../policy/identity.ts';
import type { CallScope } from '../approval.ts';
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
  /**
   * A tool-specific refusal checked after the policy allows (e.g. a path outside the project root). `realpath` is
   * the call's own resolver, so a path the evaluator already resolved is not resolved again.
   */
  readonly confine?: (realpath: (abs: string) => string | null) => string | null;
  /** The exact arguments a human approves when the policy asks (default: input, which may only summarise them). */
  readonly approvalArgs?: Record<string, unknown>;
  /** The connection the call came on: how to ask the human, if its client can be asked. */
  readonly caller?: CallScope;
  /**
   * The host's own tool call, asked about by the host through a hook (src/tools/hook.ts): no token is involved (the
   * host is not the model), the host's tool_use_id names the record, and the record is marked `native`.
   */
  readonly host?: { readonly toolUseId: string };
  /** Added to the recorded reason of an allowed call (e.g. how a native command is confined). */
  readonly note?: string;
  /** Added to every recorded reason, refusals included (e.g. who decided: a command hook alone). */
  readonly context?: string;
}

/** How a guarded call was decided: allowed (and recorded), or refused with the text the caller gets. */
export type GuardOutcome =
  | { readonly ok: true; readonly approved: Approved; readonly verdict: AuditDecision; readonly reason: string; readonly rule?: string }
  | { readonly ok: false; readonly text: string; readonly verdict: AuditDecision; readonly reason: string; readonly rule?: string };

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

/**
 * physicalPath (symbolic links resolved; a path that does not exist yet resolved through its existing ancestors),
 * remembered for one call: its policy, narrower scopes and confinement check see one answer per path, and the file
 * tools act on exactly the path that was judged.
 */
export function realpathOnce(): (abs: string) => string | null {
  const seen = new Map<string, string | null>();
  return (abs) => {
    let real = seen.get(abs);
    if (real === undefined) seen.set(abs, (real = physicalPath(abs, seen)));
    return real;
  };
}

let home: string | undefined | null = null;
/** The home directory `~` stands for in commands (looked up once; undefined where it cannot be known). */
function homeDir(): string | undefined {
  if (home === null) {
    try {
      home = process.env.HOME || homedir();
    } catch {
      home = undefined;
    }
  }
  return home;
}

/** The evaluation context of one call (build one per call: its realpath results are remembered). */
export function evalContext(ctx: ServerContext, cwd?: string): EvalContext & { readonly realpath: (abs: string) => string | null } {
  // protectedFiles is looked up when a check first asks (only writes do): its realpath and lstat were ~6% of a
  // check_tool's time when taken for every call.
  let protectedList: string[] | undefined;
  return {
    root: ctx.policy.root,
    cwd: cwd ?? ctx.policy.root,
    realpath: realpathOnce(),
    expandGlob: expandPathGlob,
    walkTree,
    fileKind,
    home: homeDir(),
    get protectedFiles() {
      return (protectedList ??= protectedFiles(ctx));
    },
  };
}

/** The policy file, its sub-policy files and a `.git` file at the root (a linked worktree's): see EvalContext. */
function protectedFiles(ctx: ServerContext): string[] {
  const out: string[] = [];
  const { policy } = ctx;
  const add = (p: string) => {
    out.push(p);
    try {
      out.push(realpathSync(p));
    } catch {
      // gone: the path as written is enough
    }
  };
  if (policy.path) add(policy.path);
  for (const s of policy.sublayouts?.values() ?? []) if (s.source.startsWith('/')) add(s.source);
  const gitFile = join(policy.root, '.git');
  try {
    if (lstatSync(gitFile, { throwIfNoEntry: false })?.isFile()) add(gitFile);
  } catch {
    // unreadable (Deno without --allow-read): no file tool can write it either
  }
  return out;
}

/**
 * An attenuated token narrows the policy: the call must also pass each narrower scope in its chain, and, for a
 * sublayout token, the sub-policy (every section of it). A scope that denies denies; one that asks asks.
 */
function scopeDecision(ctx: ServerContext, claims: TokenClaims, call: ToolCall, ec: EvalContext): Decision | null {
  if (!claims.parent) return null; // the session token carries the policy's own scope
  let ask: Decision | null = null;
  for (const scope of ctx.tokens.scopeChain(claims)) {
    const d = evaluateCall(scope.scope, call, ec);
    if (d.decision !== 'allow') return { decision: 'deny', reason: `token scope: ${d.reason}`, rule: d.rule };
    if (!scope.sublayout) continue;
    const sub = ctx.policy.sublayouts?.get(scope.sublayout);
    if (!sub) return { decision: 'deny', reason: `token scope: sublayout '${scope.sublayout}' is not in the policy`, rule: 'sublayouts' };
    if (sub.expiresMs !== undefined && Date.now() >= sub.expiresMs) {
      return { decision: 'deny', reason: `sublayout '${sub.name}': its policy expired at ${sub.policy?.expires}`, rule: `sublayouts.${sub.name}.expires` };
    }
    if (!sub.compiled) continue;
    const sd = evaluateCall(sub.compiled, call, ec);
    if (sd.decision === 'deny') return { decision: 'deny', reason: `sublayout '${sub.name}': ${sd.reason}`, rule: sd.rule };
    if (sd.decision === 'ask') ask ??= { decision: 'ask', reason: `sublayout '${sub.name}': ${sd.reason}`, rule: sd.rule };
    if (sub.compiled.dataFlow) {
      const flow = flowCheck(sub.compiled, call, ctx.session.heldLabels, ec);
      if (flow.denied) return { decision: 'deny', reason: `sublayout '${sub.name}': ${flow.denied.reason}`, rule: `dataFlow:${flow.denied.rule}` };
    }
  }
  return ask;
}

interface Gates {
  identity: { reason: string; rule: string } | null;
  expiresMs: number | null;
}
const gates = new WeakMap<object, Gates>();

/** What does not change for the life of the process, computed once: the identity verdict and the policy's expiry. */
function gatesOf(ctx: ServerContext): Gates {
  let g = gates.get(ctx);
  if (!g) {
    const p = ctx.policy.policy;
    g = {
      identity: p.identity ? identityRefusal(p.identity, ctx.identity.claimed()) : null,
      expiresMs: p.expires ? Date.parse(p.expires) : null,
    };
    gates.set(ctx, g);
  }
  return g;
}

/** Why this agent may not use the policy (identity.allowedModels / allowedEnvironments), or null. */
export function identityGate(ctx: ServerContext): { reason: string; rule: string } | null {
  return gatesOf(ctx).identity;
}

/** Why no call can be allowed right now whatever its input (identity, expired policy), or null. For check_tool. */
export function standingRefusal(ctx: ServerContext): { reason: string; rule: string } | null {
  const g = gatesOf(ctx);
  if (g.identity) return { reason: `identity: ${g.identity.reason}`, rule: g.identity.rule };
  if (g.expiresMs !== null && Date.now() >= g.expiresMs) return { reason: `the policy expired at ${ctx.policy.policy.expires}`, rule: 'expires' };
  return null;
}

export async function guarded(
  ctx: ServerContext,
  req: GuardedRequest,
  act: (approved: Approved) => Promise<CallToolResult>,
): Promise<CallToolResult> {
  const outcome = await decideGuarded(ctx, req);
  return outcome.ok ? act(outcome.approved) : errorResult(outcome.text);
}

/** The pipeline without the action: decides, records, and says how (for hooks, which act elsewhere). */
export async function decideGuarded(ctx: ServerContext, req: GuardedRequest): Promise<GuardOutcome> {
  const toolUseId = req.host?.toolUseId ?? randomUUID();
  /** Post-hoc limit violations of this call: appended to the reason of whatever is recorded. */
  let limitNote = '';
  let limitRule: string | undefined;
  /** Writes the decision to the session and the signed trail; throws only if the trail cannot be written. */
  const record = (decision: AuditDecision, reason: string, rule: string | undefined, claims: TokenClaims | null, tokenHash?: string) => {
    const why = [reason, limitNote, req.context].filter(Boolean).join('; ');
    ctx.session.recordAction(req.tool, decision, why || undefined);
    if (!ctx.trail) return;
    const id = ctx.identity.peek();
    ctx.trail.recordAction({
      tool: req.tool,
      toolUseId,
      input: req.input,
      decision,
      rule: rule ?? limitRule,
      reason: why,
      identity: id ? { identityHash: id.identityHash, spiffeId: id.spiffeId, model: id.model, modelSource: id.modelSource, environment: id.environment.type, parentPid: id.parent?.pid, parentExe: id.parent?.exe, parentExeSha256: id.parent?.exeSha256 } : { pending: true, parentPid: process.ppid },
      metrics: ctx.session.metrics(),
      ...(claims && tokenHash ? { token: { jti: claims.jti, sha256: tokenHash } } : {}),
      ...(req.host ? { origin: 'native' as const } : {}),
      sandbox: ctx.sandbox.label(),
    });
  };
  /** A refusal stands even if the trail fails; the failure is logged. */
  const refuse = (text: string, reason: string, rule: string | undefined, claims: TokenClaims | null, tokenHash?: string, verdict: AuditDecision = 'deny'): GuardOutcome => {
    try {
      record(verdict, reason, rule, claims, tokenHash);
    } catch (e) {
      log(`could not record a refusal in the audit trail: ${(e as Error).message}`);
    }
    const why = limitNote ? (reason ? `${reason}; ${limitNote}` : limitNote) : reason;
    return { ok: false, text, verdict, reason: why, rule: rule ?? limitRule };
  };

  // The host asking about its own tool is not the model: it holds no token and needs none (see src/tools/hook.ts).
  const auth = req.host ? ({ ok: true, claims: null, tokenHash: undefined } as const) : await ctx.gate.authorize(req.tool, req.token);
  if (!auth.ok) return refuse(`${PREFIX.auth} ${auth.reason}`, `authorization: ${auth.reason}`, 'auth', null);
  if (!ctx.trail) {
    ctx.session.recordAction(req.tool, 'deny', 'audit trail unavailable');
    const reason = `the audit trail is unavailable (${ctx.trailError ?? 'unknown error'}), so no guarded call can run; fix AFLOCK_HOME and restart`;
    return { ok: false, text: `${PREFIX.policy} ${reason}`, verdict: 'deny', reason };
  }
  const { claims, tokenHash } = auth;
  const g = gatesOf(ctx);
  if (g.identity) return refuse(`${PREFIX.auth} identity: ${g.identity.reason}`, g.identity.reason, g.identity.rule, claims, tokenHash);
  if (g.expiresMs !== null && Date.now() >= g.expiresMs) {
    const why = `the policy expired at ${ctx.policy.policy.expires}; renew it and restart the server`;
    return refuse(`${PREFIX.policy} ${why}`, why, 'expires', claims, tokenHash);
  }
  // Limits come before the policy: every call counts, the ones the policy would deny included.
  const admission = ctx.limits.admit(claims?.jti, req.tool);
  if (admission.refusal) return refuse(`${PREFIX.policy} ${admission.refusal.reason}`, admission.refusal.reason, admission.refusal.rule, claims, tokenHash);
  if (admission.violations.length > 0) {
    limitNote = `post-hoc limit: ${admission.violations.map((v) => v.reason).join('; ')}`;
    limitRule = admission.violations[0].rule;
  }

  const call: ToolCall = { tool: req.tool, input: req.input };
  const ec = evalContext(ctx, req.cwd);
  let decision = evaluateCall(ctx.policy.compiled, call, ec);
  if (decision.decision !== 'deny' && claims) {
    const narrowed = scopeDecision(ctx, claims, call, ec);
    if (narrowed && (narrowed.decision === 'deny' || decision.decision === 'allow')) decision = narrowed;
  }
  if (decision.decision === 'deny') return refuse(`${PREFIX.policy} ${decision.reason}`, decision.reason, decision.rule, claims, tokenHash);
  // Refusals that need no human come before asking one: never ask about a call that would be refused anyway.
  const confined = req.confine?.(ec.realpath);
  if (confined) return refuse(`${PREFIX.policy} ${confined}`, confined, 'confinement', claims, tokenHash);
  const flow = flowCheck(ctx.policy.compiled, call, ctx.session.heldLabels, ec);
  if (flow.denied) {
    log(`blocked data flow (${flow.denied.rule}) on ${req.tool}`);
    return refuse(`${PREFIX.dataFlow} ${flow.denied.reason}`, flow.denied.reason, `dataFlow:${flow.denied.rule}`, claims, tokenHash);
  }
  let verdict: AuditDecision = 'allow';
  let approvalNote = '';
  if (decision.decision === 'ask') {
    const elicit = req.caller?.elicit;
    if (!elicit) return refuse(`${PREFIX.approval} ${decision.reason}`, decision.reason, decision.rule, claims, tokenHash, 'ask');
    const answer = await ctx.approvals.approve(elicit, { tool: req.tool, args: req.approvalArgs ?? req.input, rule: decision.rule, reason: decision.reason });
    if (answer.outcome === 'failed') {
      const why = `${decision.reason}; asking the user failed (${answer.detail})`;
      return refuse(`${PREFIX.approval} ${why}`, why, decision.rule, claims, tokenHash, 'ask');
    }
    if (answer.outcome !== 'approved') {
      const why = `${decision.reason}; the user ${answer.outcome} the approval request`;
      return refuse(`${PREFIX.policy} ${why}`, why, decision.rule, claims, tokenHash, 'declined');
    }
    verdict = 'approved';
    approvalNote = answer.via === 'remembered' ? `${decision.reason}; approved earlier in this session (remembered)` : `${decision.reason}; approved by the user`;
  }
  ctx.session.addLabels(flow.newLabels);
  const reason = [approvalNote || decision.reason, req.note].filter(Boolean).join('; ');
  try {
    record(verdict, reason, decision.rule, claims, tokenHash);
  } catch (e) {
    // A decision we cannot record is a decision we do not act on.
    const why = `could not write the audit trail (${(e as Error).message}); the call was not run`;
    return { ok: false, text: `${PREFIX.policy} ${why}`, verdict: 'deny', reason: why };
  }
  return { ok: true, approved: { toolUseId, claims }, verdict, reason, rule: decision.rule ?? limitRule };
}
