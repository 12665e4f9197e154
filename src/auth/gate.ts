// Who may make a guarded call. stdio: the spawning parent holds our pipes and is the one client, so until a token
// has been issued, calls without one act as the parent with the policy's full scope. From the moment a token is
// issued (or from the start with AFLOCK_REQUIRE_TOKEN=1) every guarded call must carry a valid one: that is what
// gives a narrower token handed to a sub-agent its meaning.
import { tokenSha256, type TokenAuthority, type TokenClaims } from './tokens.ts';

export type GateResult =
  | { ok: true; claims: TokenClaims | null; tokenHash?: string }
  | { ok: false; reason: string };

export class AuthGate {
  private issued = false;

  constructor(
    readonly tokens: TokenAuthority,
    readonly requireToken: boolean,
  ) {}

  /** Called in the same synchronous step that hands a token out, so no call can slip between issuance and the switch. */
  markIssued(): void {
    this.issued = true;
  }

  get tokenIssued(): boolean {
    return this.issued;
  }

  async authorize(tool: string, token: unknown): Promise<GateResult> {
    if (token === undefined || token === null || token === '') {
      if (this.requireToken) return { ok: false, reason: 'missing auth token (_token parameter); server is in require-token mode' };
      if (this.issued) return { ok: false, reason: 'missing auth token (_token parameter); a token has been issued in this session, pass it as _token' };
      return { ok: true, claims: null };
    }
    if (typeof token !== 'string') return { ok: false, reason: '_token must be a string' };
    const v = await this.tokens.verify(token);
    if (!v.ok) return { ok: false, reason: `auth failed: ${v.reason}` };
    if (!this.tokens.scopeAllows(v.claims, tool)) return { ok: false, reason: `tool '${tool}' not permitted by token scope` };
    return { ok: true, claims: v.claims, tokenHash: tokenSha256(token) };
  }
}
