// The unguarded tools: they reveal nothing a caller could not learn from the policy file and change nothing,
// except that an allowed check of a read of classified data taints the session (check_tool is how hosts gate
// their native tools, and an allowed read is followed by the read).
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ServerContext } from '../context.ts';
import { evaluateCall, flowCheck } from '../policy/evaluate.ts';
import { normalizeLimits } from '../policy/sublayouts.ts';
import { evalContext, identityGate, standingRefusal } from './guard.ts';
import { jsonResult } from './result.ts';
import { MAX_COMMAND_BYTES } from './bash.ts';

export async function getIdentityTool(ctx: ServerContext): Promise<CallToolResult> {
  const id = await ctx.identity.get();
  await ctx.sandbox.ready();
  const refusal = identityGate(ctx);
  // Whether this identity may use the policy at all (identity.allowedModels / allowedEnvironments).
  const admission = refusal ? { admitted: false, reason: refusal.reason, rule: refusal.rule } : { admitted: true };
  return jsonResult({ ...id, admission, sandbox: ctx.sandbox.status() } as Record<string, unknown>);
}

export async function getPolicyTool(ctx: ServerContext): Promise<CallToolResult> {
  await ctx.sandbox.ready();
  const p = ctx.policy;
  return jsonResult({
    name: p.name,
    source: p.path ?? 'embedded default policy',
    digest: p.digest,
    projectRoot: p.root,
    sandbox: ctx.sandbox.status(),
    policy: { ...p.policy, ...(p.policy.limits ? { limits: normalizeLimits(p.policy.limits) } : {}) },
    ...(p.sublayouts && p.sublayouts.size > 0
      ? {
          sublayoutScopes: [...p.sublayouts.values()].map((s) => ({
            name: s.name,
            source: s.source,
            ...(s.digest ? { digest: s.digest } : {}),
            limits: s.limits,
            ...(s.allowedTools ? { allowedTools: s.allowedTools } : {}),
            ...(s.deniedTools ? { deniedTools: s.deniedTools } : {}),
          })),
        }
      : {}),
  });
}

export function checkToolTool(ctx: ServerContext, args: { tool_name: string; tool_input?: Record<string, unknown> | null }): CallToolResult {
  const standing = standingRefusal(ctx);
  if (standing) return jsonResult({ allowed: false, decision: 'deny', reason: standing.reason, rule: standing.rule }, true);
  // The same up-front refusal as bash's: a command over the OS argument limit could never run, and is not analysed.
  const command = args.tool_name === 'Bash' ? args.tool_input?.command : undefined;
  if (typeof command === 'string' && Buffer.byteLength(command, 'utf8') > MAX_COMMAND_BYTES) {
    const reason = `command is ${Buffer.byteLength(command, 'utf8')} bytes; the limit is ${MAX_COMMAND_BYTES} bytes (the OS refuses a longer single argument to bash -c)`;
    return jsonResult({ allowed: false, decision: 'deny', reason, rule: 'limits.commandBytes' }, true);
  }
  const call = { tool: args.tool_name, input: args.tool_input ?? null };
  const ec = evalContext(ctx);
  let d = evaluateCall(ctx.policy.compiled, call, ec);
  if (d.decision === 'allow') {
    const flow = flowCheck(ctx.policy.compiled, call, ctx.session.heldLabels, ec);
    if (flow.denied) d = { decision: 'deny', reason: `DataFlow policy denied: ${flow.denied.reason}`, rule: flow.denied.rule };
    else ctx.session.addLabels(flow.newLabels);
  }
  return jsonResult({ allowed: d.decision === 'allow', decision: d.decision, reason: d.reason, ...(d.rule ? { rule: d.rule } : {}) }, true);
}

export function getSessionTool(ctx: ServerContext): CallToolResult {
  const s = ctx.session;
  return jsonResult({
    sessionId: s.id,
    startedAt: s.startedAt.toISOString(),
    policyName: ctx.policy.name,
    policyDigest: ctx.policy.digest,
    transport: ctx.transport,
    tokenIssued: ctx.gate.tokenIssued,
    requireToken: ctx.gate.requireToken,
    auditDir: ctx.trail?.dir ?? null,
    ...(ctx.trailError ? { auditError: ctx.trailError } : {}),
    metrics: s.metrics(),
    limits: ctx.limits.report(),
    approvals: ctx.approvals.report(),
    materials: s.materials,
    recentActions: s.recentActions(),
  });
}
