// Session tokens: EdDSA JWTs signed with a key made at start-up, non-extractable, never written anywhere.
// Every token has its own jti in an in-memory registry, so tokens can be revoked (and with them every token
// attenuated from them). A restart invalidates every token.
import { randomUUID } from 'node:crypto';
import { generateKeyPair, SignJWT, jwtVerify, errors as joseErrors, type CryptoKey } from 'jose';
import { toolNameMatches } from '../policy/patterns.ts';
import { compilePolicy, type CompiledPolicy } from '../policy/compile.ts';
import { sha256Hex } from '../audit/json.ts';

export const ISSUER = 'aflock';
const ALG = 'EdDSA';
export const DEFAULT_TTL_SECONDS = 3600;

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
    const token = await new SignJWT({ ...claims })
      .setProtectedHeader({ alg: ALG, typ: 'JWT', kid: `session:${this.sessionId}` })
      .sign(this.privateKey);
    this.registry.set(claims.jti, {
      parent: p.parent,
      revoked: false,
      exp: claims.exp,
      scope: compilePolicy({ tools: { ...(claims.allowed_tools ? { allow: claims.allowed_tools } : {}), deny: claims.denied_tools ?? [] } }) as ToolScope,
      ...(p.sublayout ? { sublayout: p.sublayout } : {}),
    });
    return { token, claims };
  }

  async verify(token: string): Promise<VerifyResult> {
    let claims: TokenClaims;
    try {
      const { payload } = await jwtVerify(token, this.publicKey, {
        algorithms: [ALG],
        issuer: ISSUER,
        audience: this.sessionId,
        requiredClaims: ['exp', 'iat', 'jti'],
      });
      claims = payload as unknown as TokenClaims;
    } catch (e) {
      return { ok: false, reason: describeJoseError(e, this.sessionId) };
    }
    if (claims.policy_digest !== this.policyDigest) {
      return { ok: false, reason: `token bound to a different policy version (token=${String(claims.policy_digest).slice(0, 16)}..., current=${this.policyDigest.slice(0, 16)}...)` };
    }
    const entry = this.registry.get(claims.jti);
    if (!entry) return { ok: false, reason: 'token was not issued by this server process' };
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
