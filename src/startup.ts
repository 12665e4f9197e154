// Builds the shared server context: policy, session, keys, audit trail, identity. Transport-independent.
import type { ServerContext } from './context.ts';
import type { LoadedPolicy } from './policy/load.ts';
import { Session } from './session.ts';
import { TokenAuthority } from './auth/tokens.ts';
import { AuthGate } from './auth/gate.ts';
import { AuditTrail, aflockHome } from './audit/trail.ts';
import { IdentityProvider } from './identity.ts';
import { LimitTracker } from './limits.ts';
import { ApprovalStore } from './approval.ts';
import { normalizeLimits } from './policy/sublayouts.ts';
import { log } from './log.ts';
import { killProcessGroup } from './tools/bash.ts';
import type { BootstrapSecret } from './auth/bootstrap.ts';
import { SandboxService } from './sandbox/service.ts';
import { hookSocketDir } from './hooks/socket-path.ts';

export async function createContext(opts: { policy: LoadedPolicy; transport: 'stdio' | 'http'; modelFlag?: string; requireToken: boolean; bootstrap?: BootstrapSecret; noSandbox?: boolean }): Promise<ServerContext> {
  const session = new Session();
  const tokens = await TokenAuthority.create(session.id, opts.policy.digest);
  // Commands never see the trails (they could not forge a signature, but they could delete or read them) nor the
  // bootstrap secret.
  const alwaysHide: string[] = [];
  try {
    alwaysHide.push(aflockHome());
  } catch {
    // no home: no trail to hide
  }
  if (opts.bootstrap) alwaysHide.push(opts.bootstrap.path);
  // The command hooks' sockets: usually out of sight already (/run, /tmp are the sandbox's own), unless TMPDIR or
  // XDG_RUNTIME_DIR points into the project or a re-exposed directory.
  try {
    alwaysHide.push(hookSocketDir());
  } catch {
    // Deno without --allow-env: no environment to place the sockets by, and no hook sockets either
  }
  const sandbox = new SandboxService(opts.policy, { noSandbox: opts.noSandbox === true, alwaysHide });
  let trail: AuditTrail | null = null;
  let trailError: string | undefined;
  try {
    trail = AuditTrail.open({ home: aflockHome(), sessionId: session.id });
  } catch (e) {
    trailError = (e as Error).message;
    log(`audit trail unavailable: ${trailError}; guarded tools will refuse every call`);
  }
  for (const section of unenforcedRestrictions(opts.policy.policy)) {
    log(`policy section '${section}' restricts the agent but is not enforced by this server (see the README's policy reference)`);
  }
  return {
    policy: opts.policy,
    session,
    tokens,
    gate: new AuthGate(tokens, opts.requireToken),
    trail,
    trailError,
    identity: new IdentityProvider({ modelFlag: opts.modelFlag, policyDigest: opts.policy.digest }),
    limits: new LimitTracker(normalizeLimits(opts.policy.policy.limits), session.startedAt),
    approvals: new ApprovalStore(),
    transport: opts.transport,
    ...(opts.bootstrap ? { bootstrap: opts.bootstrap } : {}),
    inflight: { count: 0, idle: [] },
    sandbox,
    children: new Set(),
  };
}

/** Sections that read like restrictions but that the server cannot enforce: said once at start, never silently. */
function unenforcedRestrictions(p: LoadedPolicy['policy']): string[] {
  const out: string[] = [];
  if (p.grants) out.push('grants');
  if (p.identity?.requiredTools?.length) out.push('identity.requiredTools');
  if (p.evaluators) out.push('evaluators');
  if (p.requiredAttestations?.length) out.push('requiredAttestations');
  return out;
}

/** Resolves when no tool call is in flight, or after `ms` at the latest. */
export function drained(ctx: ServerContext, ms: number): Promise<void> {
  if (ctx.inflight.count === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    ctx.inflight.idle.push(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export function killChildren(ctx: ServerContext): void {
  for (const child of ctx.children) killProcessGroup(child);
}
