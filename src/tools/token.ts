// `get_token`. On stdio the first call answers the parent without ceremony (it holds our pipes). After that, a
// token is needed to get a token: without `scope` it refreshes the caller's token (the old one is revoked); with
// `scope` it returns an attenuated token that can never do more than the caller's.
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ServerContext } from '../context.ts';
import { DEFAULT_TTL_SECONDS, type TokenClaims } from '../auth/tokens.ts';
import { normalizeLimit } from '../policy/schema.ts';
import { normalizedLimits } from './info.ts';
import { errorResult, jsonResult, PREFIX } from './result.ts';

export interface TokenScopeArg {
  tools?: string[];
  deny?: string[];
  ttl_seconds?: number;
}

export function sessionTtlSeconds(ctx: ServerContext): number {
  const wall = ctx.policy.policy.limits?.maxWallTimeSeconds;
  return wall !== undefined ? normalizeLimit(wall).value : DEFAULT_TTL_SECONDS;
}

/** Issues the session token: the policy's full scope. */
export async function issueSessionToken(ctx: ServerContext): Promise<{ token: string; claims: TokenClaims }> {
  const id = await ctx.identity.get();
  const tools = ctx.policy.policy.tools;
  const issued = await ctx.tokens.issue({
    sub: id.spiffeId,
    identityHash: id.identityHash,
    allowedTools: tools?.allow,
    deniedTools: tools?.deny,
    limits: normalizedLimits(ctx.policy.policy.limits),
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
    expiresIn: `${seconds}s`,
    expiresAt: new Date(claims.exp * 1000).toISOString(),
    ...(claims.parent ? { parent: claims.parent } : {}),
    ...(claims.allowed_tools ? { allowedTools: claims.allowed_tools } : {}),
    ...(claims.denied_tools ? { deniedTools: claims.denied_tools } : {}),
    usage: 'pass this token as the _token argument of bash, read_file, write_file and sign_attestation',
  });
}

export async function getTokenTool(ctx: ServerContext, args: { _token?: string; scope?: TokenScopeArg }): Promise<CallToolResult> {
  if (!args._token) {
    if (ctx.gate.tokenIssued || ctx.gate.requireToken) {
      return errorResult(`${PREFIX.auth} a token has already been issued in this session; pass it as _token to refresh it or to get a narrower one`);
    }
    if (args.scope) return errorResult(`${PREFIX.auth} a scoped token is attenuated from a token: pass the session token as _token`);
    try {
      const { token, claims } = await issueSessionToken(ctx);
      return describe(ctx, token, claims);
    } catch (e) {
      return errorResult(`Failed to issue token: ${(e as Error).message}`);
    }
  }
  const v = await ctx.tokens.verify(args._token);
  if (!v.ok) return errorResult(`${PREFIX.auth} auth failed: ${v.reason}`);
  const parent = v.claims;
  const remaining = parent.exp - Math.floor(Date.now() / 1000);
  if (!args.scope) {
    // Refresh: same scope, new jti, the old token stops working.
    const { token, claims } = await ctx.tokens.issue({
      sub: parent.sub,
      identityHash: parent.identity_hash,
      allowedTools: parent.allowed_tools,
      deniedTools: parent.denied_tools,
      limits: parent.limits,
      ttlSeconds: parent.parent ? remaining : sessionTtlSeconds(ctx),
      parent: parent.parent,
      sublayout: parent.sublayout,
    });
    ctx.tokens.revoke(parent.jti);
    return describe(ctx, token, claims);
  }
  const ttl = args.scope.ttl_seconds ?? remaining;
  if (ttl > remaining) return errorResult(`${PREFIX.auth} ttl_seconds ${ttl} is longer than the caller's token has left (${remaining}s)`);
  const { token, claims } = await ctx.tokens.issue({
    sub: parent.sub,
    identityHash: parent.identity_hash,
    allowedTools: args.scope.tools,
    deniedTools: args.scope.deny,
    limits: parent.limits,
    ttlSeconds: ttl,
    parent: parent.jti,
  });
  return describe(ctx, token, claims);
}
