// Session tokens: short EdDSA JWTs signed with a key made at start-up, non-extractable, never written anywhere.
// The token only finds and authenticates its claims: it carries iss, aud (the session), exp and jti, 278
// characters. Everything the server decides with (subject, identity hash, tool scope, limits, parent chain,
// sublayout, policy digest) stays in an in-memory registry keyed by jti, with the SHA-256 of the exact token issued
// under it. So a token is accepted only if it is byte for byte the one handed out, under a live jti, signed by
// this process (another session or a restart has another key); revoking a jti revokes every token attenuated from
// it; a restart invalidates every token.
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { generateKeyPair, SignJWT, jwtVerify, errors as joseErrors, type CryptoKey } from 'jose';
import { toolNameMatches } from '../policy/patterns.ts';
import { compilePolicy, type CompiledPolicy } from '../policy/compile.ts';
import { sha256Hex } from '../audit/json.ts';

export const ISSUER = 'aflock';
const ALG = 'EdDSA';
export const DEFAULT_TTL_SECONDS = 3600;

/** A token's claims as the server keeps them (only iss, aud, exp and jti travel in the token). */
export interface TokenClaims {
  iss: string;
  sub: string;
  aud: string[];
  iat: number;
  exp: number;
  jti: string;
  agent_id: string;
  identity_hash: string;
  allowed_tools?: string[];
  denied_tools?: string[];
  limits?: Record<string, unknown>;
  policy_digest: string;
  /** jti of the token this one was attenuated from. */
  parent?: string;
  sublayout?: string;
}

/** A token's own tool lists as a policy of one section, compiled once when the token is issued. */
export type ToolScope = CompiledPolicy & { readonly tools: NonNullable<CompiledPolicy['tools']> };

interface Registered {
  /** SHA-256 of the token string issued under this jti: any other string with this jti is refused. */
  tokenHash: Buffer;
  claims: Readonly<TokenClaims>;
  parent?: string;
  revoked: boolean;
  exp: number;
  scope: ToolScope;
  sublayout?: string;
}

export type VerifyResult = { ok: true; claims: TokenClaims } | { ok: false; reason: string };

/** What the trail records of a token: its SHA-256, never the token. */
export function tokenSha256(token: string): string {
  return sha256Hex(token);
}

export interface IssueParams {
  sub: string;
  identityHash: string;
  allowedTools?: string[];
  deniedTools?: string[];
  limits?: Record<string, unknown>;
  ttlSeconds: number;
  parent?: string;
  sublayout?: string;
}

export class TokenAuthority {
  private readonly registry = new Map<string, Registered>();

  private constructor(
    private readonly privateKey: CryptoKey,
    private readonly publicKey: CryptoKey,
    readonly sessionId: string,
    readonly policyDigest: string,
  ) {}

  static async create(sessionId: string, policyDigest: string): Promise<TokenAuthority> {
    const { privateKey, publicKey } = await generateKeyPair(ALG, { crv: 'Ed25519', extractable: false });
    return new TokenAuthority(privateKey, publicKey, sessionId, policyDigest);
  }

  async issue(p: IssueParams): Promise<{ token: string; claims: TokenClaims }> {
    const now = Math.floor(Date.now() / 1000);
    const ttl = Math.max(0, Math.floor(p.ttlSeconds));
    const claims: TokenClaims = {
      iss: ISSUER,
      sub: p.sub,
      aud: [this.sessionId],
      iat: now,
      exp: now + ttl,
      jti: randomUUID(),
      agent_id: p.sub,
      identity_hash: p.identityHash,
      ...(p.allowedTools && p.allowedTools.length > 0 ? { allowed_tools: p.allowedTools } : {}),
      ...(p.deniedTools && p.deniedTools.length > 0 ? { denied_tools: p.deniedTools } : {}),
      ...(p.limits ? { limits: p.limits } : {}),
      policy_digest: this.policyDigest,
      ...(p.parent ? { parent: p.parent } : {}),
      ...(p.sublayout ? { sublayout: p.sublayout } : {}),
    };
    // What travels: enough to find the claims (jti) and to refuse a token from elsewhere or out of date without a
    // look-up (iss, aud, exp). The header names the algorithm only: there is one key.
    const token = await new SignJWT({ iss: claims.iss, aud: this.sessionId, exp: claims.exp, jti: claims.jti })
      .setProtectedHeader({ alg: ALG })
      .sign(this.privateKey);
    this.registry.set(claims.jti, {
      tokenHash: Buffer.from(tokenSha256(token), 'hex'),
      claims: Object.freeze(claims),
      parent: p.parent,
      revoked: false,
      exp: claims.exp,
      scope: compilePolicy({ tools: { ...(claims.allowed_tools ? { allow: claims.allowed_tools } : {}), deny: claims.denied_tools ?? [] } }) as ToolScope,
      ...(p.sublayout ? { sublayout: p.sublayout } : {}),
    });
    return { token, claims };
  }

  async verify(token: string): Promise<VerifyResult> {
    let jtiClaim: unknown;
    try {
      const { payload } = await jwtVerify(token, this.publicKey, {
        algorithms: [ALG],
        issuer: ISSUER,
        audience: this.sessionId,
        requiredClaims: ['exp', 'jti'],
      });
      jtiClaim = payload.jti;
    } catch (e) {
      return { ok: false, reason: describeJoseError(e, this.sessionId) };
    }
    const entry = typeof jtiClaim === 'string' ? this.registry.get(jtiClaim) : undefined;
    if (!entry) return { ok: false, reason: 'token was not issued by this server process' };
    // The exact string issued: a token re-signed or re-encoded under a real jti (only this process's key could
    // sign it, but a base64url signature has spare bits that decode to the same bytes) is not that token.
    if (!timingSafeEqual(Buffer.from(tokenSha256(token), 'hex'), entry.tokenHash)) {
      return { ok: false, reason: 'token does not match the one issued under its jti' };
    }
    const claims = entry.claims;
    if (claims.policy_digest !== this.policyDigest) {
      return { ok: false, reason: `token bound to a different policy version (token=${String(claims.policy_digest).slice(0, 16)}..., current=${this.policyDigest.slice(0, 16)}...)` };
    }
    if (claims.exp <= Math.floor(Date.now() / 1000)) return { ok: false, reason: 'token has expired' };
    for (let jti: string | undefined = claims.jti; jti; jti = this.registry.get(jti)?.parent) {
      const e = this.registry.get(jti);
      if (!e || e.revoked) return { ok: false, reason: jti === claims.jti ? 'token has been revoked' : `token's parent ${jti} has been revoked` };
    }
    return { ok: true, claims };
  }

  /** Revokes a token; tokens attenuated from it fail verification from now on. */
  revoke(jti: string): void {
    const e = this.registry.get(jti);
    if (e) e.revoked = true;
    this.prune();
  }

  /**
   * Whether a token (and every token it was attenuated from) lets `tool` be called at all. Tool patterns are read
   * with the policy's own matcher: `Bash:git *` admits the tool Bash (the evaluator then checks the command),
   * `*` admits everything; only a bare pattern (`Bash`, `mcp__*`) in denied_tools refuses the whole tool.
   */
  scopeAllows(claims: TokenClaims, tool: string): boolean {
    for (let jti: string | undefined = claims.jti; jti; jti = this.registry.get(jti)?.parent) {
      const e = this.registry.get(jti);
      if (!e) return false;
      const { allow, deny } = e.scope.tools;
      if (deny.some((p) => p.subject === null && toolNameMatches(p, tool, true))) return false;
      if (allow && !allow.some((p) => toolNameMatches(p, tool))) return false;
    }
    return true;
  }

  /**
   * The compiled tool scopes (and sublayout, if any) of a token's chain, innermost first: each must allow a call
   * (attenuation intersects).
   */
  scopeChain(claims: TokenClaims): { scope: ToolScope; sublayout?: string }[] {
    const out: { scope: ToolScope; sublayout?: string }[] = [];
    for (let jti: string | undefined = claims.jti; jti; jti = this.registry.get(jti)?.parent) {
      const e = this.registry.get(jti);
      if (!e) break;
      out.push({ scope: e.scope, ...(e.sublayout ? { sublayout: e.sublayout } : {}) });
    }
    return out;
  }

  /** Drops expired entries that no live token depends on, so the registry does not grow without bound. */
  private prune(): void {
    const now = Math.floor(Date.now() / 1000);
    if (this.registry.size < 1024) return;
    const parents = new Set<string>();
    for (const e of this.registry.values()) if (e.parent) parents.add(e.parent);
    for (const [jti, e] of this.registry) if (e.exp < now && !parents.has(jti)) this.registry.delete(jti);
  }
}

function describeJoseError(e: unknown, sessionId: string): string {
  if (e instanceof joseErrors.JWTExpired) return 'token has expired';
  if (e instanceof joseErrors.JOSEAlgNotAllowed) return 'token algorithm not allowed (only EdDSA tokens from this server)';
  if (e instanceof joseErrors.JWSSignatureVerificationFailed) return 'token signature is invalid (not issued by this server process)';
  if (e instanceof joseErrors.JWTClaimValidationFailed) {
    if (e.claim === 'aud') return `token not valid for session ${sessionId}`;
    if (e.claim === 'iss') return `token issuer is not '${ISSUER}'`;
    return `token claim '${e.claim}' is invalid: ${e.reason}`;
  }
  if (e instanceof joseErrors.JOSEError) return `malformed token (${e.code})`;
  return 'malformed token';
}
