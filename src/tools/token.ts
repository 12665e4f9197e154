// `get_token`. On stdio the first call answers the parent without ceremony (it holds our pipes). On HTTP the first
// token is bought with the one-time bootstrap secret (`_bootstrap`), and nothing else buys one. After that, a
// token is needed to get a token: without `scope` it refreshes the caller's token (the old one is revoked); with
// `scope` it returns an attenuated token that can never do more than the caller's.
import { randomUUID } from 'node:crypto';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ServerContext } from '../context.ts';
import { DEFAULT_TTL_SECONDS, tokenSha256, type TokenClaims } from '../auth/tokens.ts';
import { log } from '../log.ts';
import { normalizeLimit } from '../policy/schema.ts';
import { errorResult, jsonResult, PREFIX } from './result.ts';
import { identityGate } from './guard.ts';
import { identityRefusal } from '../policy/identity.ts';
import { narrowLimits, normalizeLimits, tightestLimits, validToolPatterns, type NormalLimits, type SublayoutScope } from '../policy/sublayouts.ts';
import { limitsFromClaim } from '../limits.ts';
import type { Limits } from '../policy/schema.ts';

export interface TokenScopeArg {
  tools?: string[];
  deny?: string[];
  ttl_seconds?: number;
  /** A policy sublayout: the new token holds the intersection of the caller's rights and the sub-policy's. */
  sublayout?: string;
  /** Limits of the new token, no looser than the caller's. */
  limits?: Limits;
}

/** A fail-fast wall-time limit bounds the session token's life; a post-hoc one must not end it early. */
export function sessionTtlSeconds(ctx: ServerContext): number {
  const wall = ctx.policy.policy.limits?.maxWallTimeSeconds;
  if (wall === undefined) return DEFAULT_TTL_SECONDS;
  const l = normalizeLimit(wall);
  return l.enforcement === 'fail-fast' ? l.value : Math.max(l.value, DEFAULT_TTL_SECONDS);
}

/** Issues the session token: the policy's full scope. Throws when the identity may not use the policy. */
export async function issueSessionToken(ctx: ServerContext): Promise<{ token: string; claims: TokenClaims }> {
  const refusal = identityGate(ctx);
  if (refusal) throw new Error(`identity: ${refusal.reason}`);
  const id = await ctx.identity.get();
  const tools = ctx.policy.policy.tools;
  const issued = await ctx.tokens.issue({
    sub: id.spiffeId,
    identityHash: id.identityHash,
    allowedTools: tools?.allow,
    deniedTools: tools?.deny,
    limits: ctx.policy.policy.limits ? normalizeLimits(ctx.policy.policy.limits) : undefined,
    ttlSeconds: sessionTtlSeconds(ctx),
  });
  ctx.gate.markIssued(); // same tick as the token leaves: no call can see "issued" without a token existing
  return issued;
}

function describe(ctx: ServerContext, token: string, claims: TokenClaims): CallToolResult {
  const seconds = claims.exp - claims.iat;
  return jsonResult({
    token,
    sessionId: ctx.session.id,
    jti: claims.jti,
    identityHash: claims.identity_hash, // the identity the token is bound to (held by the server, not in the token)
    expiresIn: `${seconds}s`,
    expiresAt: new Date(claims.exp * 1000).toISOString(),
    ...(claims.parent ? { parent: claims.parent } : {}),
    ...(claims.allowed_tools ? { allowedTools: claims.allowed_tools } : {}),
    ...(claims.denied_tools ? { deniedTools: claims.denied_tools } : {}),
    ...(claims.sublayout ? { sublayout: claims.sublayout } : {}),
    ...(claims.limits ? { limits: claims.limits } : {}),
    usage: 'pass this token as the _token argument of bash, read_file, write_file and sign_attestation',
  });
}

/** Who is asking, as the HTTP transport knows it (passed to the handler in the request's authInfo). */
export interface TokenCaller {
  /** Key for throttling failed bootstrap attempts: remote address and socket owner uid. */
  readonly source: string;
  /** For the audit trail: address, port, uid, and pid when it can be found. */
  describe(): Record<string, unknown>;
}

/**
 * Every token handed out or refused is a decision: it goes to the session and the signed trail with the token's jti
 * and SHA-256, never the token or a secret. A trail failure is logged, not thrown (the answer is already decided).
 */
function recordTokenDecision(
  ctx: ServerContext,
  decision: 'allow' | 'deny',
  reason: string,
  input: Record<string, unknown>,
  rule: string,
  caller?: TokenCaller,
  issued?: { token: string; claims: TokenClaims },
) {
  ctx.session.recordAction('get_token', decision, reason);
  try {
    ctx.trail?.recordAction({
      tool: 'get_token',
      toolUseId: randomUUID(),
      input,
      decision,
      rule,
      reason,
      identity: caller ? { http: caller.describe() } : { transport: ctx.transport },
      ...(issued ? { token: { jti: issued.claims.jti, sha256: tokenSha256(issued.token) } } : {}),
      sandbox: ctx.sandbox.label(),
    });
  } catch (e) {
    log(`could not record a get_token decision in the audit trail: ${(e as Error).message}`);
  }
}

/** Records a bootstrap attempt (HTTP); `bootstrap` says only whether a secret was presented. */
function recordBootstrap(ctx: ServerContext, decision: 'allow' | 'deny', reason: string, args: { _bootstrap?: string; scope?: TokenScopeArg }, caller?: TokenCaller, issued?: { token: string; claims: TokenClaims }) {
  const input = { bootstrap: args._bootstrap === undefined ? 'missing' : 'presented', ...(args.scope ? { scope: args.scope } : {}) };
  recordTokenDecision(ctx, decision, reason, input, 'bootstrap', caller ?? { source: 'unknown', describe: () => ({ transport: 'http' }) }, issued);
}

/**
 * HTTP: the first token, for the holder of the bootstrap secret. The secret is checked and burnt in one synchronous
 * step (src/auth/bootstrap.ts), so it buys exactly one token; failures are recorded and, after a few, delayed.
 */
async function bootstrapToken(ctx: ServerContext, args: { _bootstrap?: string; scope?: TokenScopeArg }, caller?: TokenCaller): Promise<CallToolResult> {
  const secret = ctx.bootstrap;
  if (!secret) return errorResult(`${PREFIX.auth} this HTTP server has no bootstrap secret`);
  if (args.scope) {
    const reason = 'a scoped token is attenuated from a token: bootstrap first, then pass the session token as _token';
    recordBootstrap(ctx, 'deny', reason, args, caller);
    return errorResult(`${PREFIX.auth} ${reason}`);
  }
  const r = secret.redeem(args._bootstrap, caller?.source ?? 'unknown');
  if (!r.ok) {
    if (r.retryAfterMs === undefined) recordBootstrap(ctx, 'deny', r.reason, args, caller); // throttled attempts are not compared and not recorded
    if (r.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, r.delayMs));
    return errorResult(`${PREFIX.auth} ${r.reason}`);
  }
  const unlinkProblem = secret.unlinkFile();
  if (unlinkProblem) log(`bootstrap secret used, but ${unlinkProblem}; delete it by hand`);
  let issued: { token: string; claims: TokenClaims };
  try {
    issued = await issueSessionToken(ctx);
  } catch (e) {
    recordBootstrap(ctx, 'deny', `token issuance failed after the bootstrap: ${(e as Error).message}`, args, caller);
    return errorResult(`Failed to issue token: ${(e as Error).message}`);
  }
  recordBootstrap(ctx, 'allow', 'bootstrap secret redeemed; session token issued', args, caller, issued);
  log('bootstrap secret redeemed: session token issued, secret wiped from memory and its file removed');
  return describe(ctx, issued.token, issued.claims);
}

/** What a get_token call asked for, as the trail records it (no token, no secret). */
function tokenRequest(args: { _token?: string; scope?: TokenScopeArg }): { kind: string; scope?: TokenScopeArg } {
  return { kind: !args._token ? 'session' : args.scope ? 'attenuate' : 'refresh', ...(args.scope ? { scope: args.scope } : {}) };
}

export async function getTokenTool(ctx: ServerContext, args: { _token?: string; _bootstrap?: string; scope?: TokenScopeArg }, caller?: TokenCaller): Promise<CallToolResult> {
  if (ctx.transport === 'http' && !args._token) return bootstrapGate(ctx, args, caller); // records its own decisions
  const outcome = await decideToken(ctx, args);
  const input = { ...tokenRequest(args), ...(outcome.parentJti ? { parentJti: outcome.parentJti } : {}) };
  const rule = `get_token:${input.kind}`;
  if (outcome.issued) {
    recordTokenDecision(ctx, 'allow', outcome.reason, input, rule, caller, outcome.issued);
    return describe(ctx, outcome.issued.token, outcome.issued.claims);
  }
  recordTokenDecision(ctx, 'deny', outcome.reason, input, rule, caller);
  return errorResult(outcome.text);
}

async function bootstrapGate(ctx: ServerContext, args: { _bootstrap?: string; scope?: TokenScopeArg }, caller?: TokenCaller): Promise<CallToolResult> {
  const refusal = identityGate(ctx);
  if (refusal) return errorResult(`${PREFIX.auth} identity: ${refusal.reason}`);
  return bootstrapToken(ctx, args, caller);
}

type TokenOutcome =
  | { issued: { token: string; claims: TokenClaims }; reason: string; parentJti?: string; text?: undefined }
  | { issued?: undefined; reason: string; text: string; parentJti?: string };

const refused = (text: string, reason: string = text.replace(/^[A-Za-z ]+: /, ''), parentJti?: string): TokenOutcome => ({ reason, text, parentJti });

async function decideToken(ctx: ServerContext, args: { _token?: string; _bootstrap?: string; scope?: TokenScopeArg }): Promise<TokenOutcome> {
  if (ctx.transport === 'http' && args._bootstrap !== undefined && args._token) {
    return refused(`${PREFIX.auth} pass either _bootstrap (for the first token) or _token (to refresh or attenuate it), not both`);
  }
  // An agent outside identity.allowedModels / allowedEnvironments gets no token of any kind (checked before a
  // bootstrap secret could be spent).
  const refusal = identityGate(ctx);
  if (refusal) return refused(`${PREFIX.auth} identity: ${refusal.reason}`);
  if (!args._token) {
    if (ctx.gate.tokenIssued || ctx.gate.requireToken) {
      return refused(`${PREFIX.auth} a token has already been issued in this session; pass it as _token to refresh it or to get a narrower one`);
    }
    if (args.scope) return refused(`${PREFIX.auth} a scoped token is attenuated from a token: pass the session token as _token`);
    try {
      return { issued: await issueSessionToken(ctx), reason: 'session token issued to the parent process (stdio)' };
    } catch (e) {
      return refused(`Failed to issue token: ${(e as Error).message}`);
    }
  }
  const v = await ctx.tokens.verify(args._token);
  if (!v.ok) return refused(`${PREFIX.auth} auth failed: ${v.reason}`);
  const parent = v.claims;
  const remaining = parent.exp - Math.floor(Date.now() / 1000);
  if (!args.scope) {
    // Refresh: same scope, new jti, the old token stops working.
    const issued = await ctx.tokens.issue({
      sub: parent.sub,
      identityHash: parent.identity_hash,
      allowedTools: parent.allowed_tools,
      deniedTools: parent.denied_tools,
      limits: parent.limits,
      ttlSeconds: parent.parent ? remaining : sessionTtlSeconds(ctx),
      parent: parent.parent,
      sublayout: parent.sublayout,
    });
    ctx.limits.registerToken(issued.claims, parent.jti); // a refresh continues its token's counters
    ctx.tokens.revoke(parent.jti);
    return { issued, reason: `token ${parent.jti} refreshed and revoked`, parentJti: parent.jti };
  }
  const r = await attenuatedToken(ctx, parent, args.scope, remaining);
  return 'text' in r ? refused(r.text, undefined, parent.jti) : { issued: r, reason: `attenuated from token ${parent.jti}`, parentJti: parent.jti };
}

/**
 * A narrower token for a sub-agent: its tools intersected with the caller's (and with a sublayout's sub-policy),
 * its limits the tightest of the caller's, the sublayout's and the requested ones, its life no longer.
 */
async function attenuatedToken(ctx: ServerContext, parent: TokenClaims, scope: TokenScopeArg, remaining: number): Promise<{ token: string; claims: TokenClaims } | { text: string }> {
  const bad = validToolPatterns([...(scope.tools ?? []), ...(scope.deny ?? [])]);
  if (bad) return { text: `${PREFIX.auth} scope: ${bad}` };
  let ttl = scope.ttl_seconds ?? remaining;
  if (ttl > remaining) return { text: `${PREFIX.auth} ttl_seconds ${ttl} is longer than the caller's token has left (${remaining}s)` };
  let limits: NormalLimits = limitsFromClaim(parent.limits);
  let sub: SublayoutScope | undefined;
  if (scope.sublayout !== undefined) {
    sub = ctx.policy.sublayouts?.get(scope.sublayout);
    if (!sub) {
      const known = [...(ctx.policy.sublayouts?.keys() ?? [])];
      return { text: `${PREFIX.auth} the policy has no sublayout '${scope.sublayout}' (${known.length > 0 ? `it has: ${known.join(', ')}` : 'it declares none'})` };
    }
    const subIdentity = sub.policy?.identity ? identityRefusal(sub.policy.identity, ctx.identity.claimed()) : null;
    if (subIdentity) return { text: `${PREFIX.auth} identity: sublayout '${sub.name}': ${subIdentity.reason}` };
    if (sub.expiresMs !== undefined) {
      const left = Math.floor((sub.expiresMs - Date.now()) / 1000);
      if (left <= 0) return { text: `${PREFIX.auth} sublayout '${sub.name}': its policy expired at ${sub.policy?.expires}` };
      ttl = Math.min(ttl, left);
    }
    limits = tightestLimits(limits, sub.limits);
  }
  if (scope.limits) {
    const r = narrowLimits(limits, normalizeLimits(scope.limits), 'scope.limits');
    if (!r.ok) return { text: `${PREFIX.auth} ${r.reason}` };
    limits = r.limits;
  }
  const wall = limits.maxWallTimeSeconds;
  if (wall?.enforcement === 'fail-fast') ttl = Math.min(ttl, wall.value);
  const denied = [...(scope.deny ?? []), ...(sub?.deniedTools ?? [])];
  const { token, claims } = await ctx.tokens.issue({
    sub: parent.sub,
    identityHash: parent.identity_hash,
    allowedTools: scope.tools ?? sub?.allowedTools,
    deniedTools: denied.length > 0 ? [...new Set(denied)] : undefined,
    limits: Object.keys(limits).length > 0 ? limits : undefined,
    ttlSeconds: ttl,
    parent: parent.jti,
    ...(sub ? { sublayout: sub.name } : {}),
  });
  ctx.limits.registerToken(claims);
  return { token, claims };
}
