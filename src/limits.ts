// Limits in server mode. The server sees two of the six limits itself: tool calls (every guarded call that got past
// authorization, refused ones included) and wall time (the age of the session, or of a token). It checks them
// BEFORE the call: a fail-fast limit that has been reached refuses the call (reaching counts as exceeding, `>=` as
// in aflock); a post-hoc limit lets it run and records the violation. Spend, tokens and turns happen inside the
// agent, out of the server's sight: they are reported as not observed, never as zero.
//
// Counters exist per session and per attenuated token (a token for a sub-agent may carry its own, tighter limits).
// A call made with a token counts against the session, the token and every token it was attenuated from. A refresh
// keeps its token's counters, so re-minting a token never resets a budget. The per-call cost is a few comparisons.
import type { LimitName } from './policy/schema.ts';
import type { NormalLimit, NormalLimits } from './policy/sublayouts.ts';

export const OBSERVED_LIMITS: readonly LimitName[] = ['maxToolCalls', 'maxWallTimeSeconds'];
const NOT_OBSERVED_WHY: Partial<Record<LimitName, string>> = {
  maxSpendUSD: 'spend happens between the agent and its model provider; the server never sees it',
  maxTokensIn: 'model tokens are counted by the agent and its provider; the server never sees them',
  maxTokensOut: 'model tokens are counted by the agent and its provider; the server never sees them',
  maxTurns: 'conversation turns happen inside the agent; the server only sees tool calls',
};
/** How many violation events get_session lists; every one is in the audit trail. */
const MAX_VIOLATION_EVENTS = 100;

export interface LimitHit {
  readonly limit: LimitName;
  readonly scope: string;
  readonly current: number;
  readonly value: number;
  readonly enforcement: 'fail-fast' | 'post-hoc';
  /** One line: `maxToolCalls exceeded: 3 >= 3 (session, fail-fast)`. */
  readonly reason: string;
  /** `limits.maxToolCalls`, for the audit record's rule. */
  readonly rule: string;
}

export interface Admission {
  /** The fail-fast limit that refuses the call, if any. */
  readonly refusal: LimitHit | null;
  /** Post-hoc limits the call exceeds: it runs, and these are recorded. */
  readonly violations: readonly LimitHit[];
}

type LimitEvent = LimitHit & { time: string; tool: string; outcome: 'refused' | 'allowed and recorded' };

class Budget {
  calls = 0;
  readonly violations = new Map<LimitName, number>();
  constructor(
    readonly scope: string,
    readonly limits: NormalLimits,
    readonly startedAtMs: number,
    readonly parent: Budget | null,
    readonly info: { jti?: string; sublayout?: string; exp?: number } = {},
  ) {}
}

/** The subset of token claims the tracker needs. */
export interface TokenLimitsView {
  readonly jti: string;
  readonly parent?: string;
  readonly iat: number;
  readonly exp: number;
  readonly limits?: Record<string, unknown>;
  readonly sublayout?: string;
}

const round = (n: number) => Math.round(n * 100) / 100;

/** Reads a token's `limits` claim back into normal form, ignoring anything malformed. */
export function limitsFromClaim(claim: Record<string, unknown> | undefined): NormalLimits {
  const out: NormalLimits = {};
  for (const [k, v] of Object.entries(claim ?? {})) {
    if (v === null || typeof v !== 'object') continue;
    const { value, enforcement } = v as { value?: unknown; enforcement?: unknown };
    if (typeof value !== 'number' || !Number.isFinite(value)) continue;
    out[k as LimitName] = { value, enforcement: enforcement === 'post-hoc' ? 'post-hoc' : 'fail-fast' };
  }
  return out;
}

export class LimitTracker {
  readonly session: Budget;
  private readonly tokens = new Map<string, Budget>();
  private readonly events: LimitEvent[] = [];
  private droppedEvents = 0;
  /** Limits that no budget ever needs to check: lets the per-call path return at once. */
  private readonly anyObserved: boolean;

  constructor(limits: NormalLimits, startedAt: Date) {
    this.session = new Budget('session', limits, startedAt.getTime(), null);
    this.anyObserved = OBSERVED_LIMITS.some((n) => limits[n] !== undefined);
  }

  /**
   * Gives an attenuated token its own counters (a session token is the session's own and uses its counters).
   * `refreshOf` is the jti of the token a refresh replaces: the new token continues its counters.
   */
  registerToken(claims: TokenLimitsView, refreshOf?: string): void {
    if (refreshOf) {
      const old = this.tokens.get(refreshOf);
      if (old) this.tokens.set(claims.jti, old);
      return;
    }
    if (!claims.parent) return;
    const parent = this.tokens.get(claims.parent) ?? null;
    this.tokens.set(
      claims.jti,
      new Budget(`token ${claims.jti.slice(0, 8)}${claims.sublayout ? ` (sublayout ${claims.sublayout})` : ''}`, limitsFromClaim(claims.limits), claims.iat * 1000, parent, {
        jti: claims.jti,
        sublayout: claims.sublayout,
        exp: claims.exp,
      }),
    );
    this.prune();
  }

  /** The budgets a call counts against: the token's chain, innermost first, then the session. */
  private chain(jti: string | undefined): Budget[] {
    const out: Budget[] = [];
    for (let b = jti ? this.tokens.get(jti) ?? null : null; b; b = b.parent) out.push(b);
    out.push(this.session);
    return out;
  }

  /** Checks the call against every budget it counts against, then counts it. */
  admit(jti: string | undefined, tool: string, now = Date.now()): Admission {
    const budgets = this.chain(jti);
    let refusal: LimitHit | null = null;
    const violations: LimitHit[] = [];
    if (this.anyObserved || budgets.length > 1) {
      for (const b of budgets) {
        for (const [limit, current] of [
          ['maxToolCalls', b.calls],
          ['maxWallTimeSeconds', (now - b.startedAtMs) / 1000],
        ] as [LimitName, number][]) {
          const l = b.limits[limit];
          if (!l || current < l.value) continue;
          const hit = describeHit(limit, b.scope, current, l);
          if (l.enforcement === 'fail-fast') refusal ??= hit;
          else violations.push(hit);
          b.violations.set(limit, (b.violations.get(limit) ?? 0) + 1);
        }
      }
    }
    for (const b of budgets) b.calls++;
    const time = new Date(now).toISOString();
    if (refusal) this.remember({ ...refusal, time, tool, outcome: 'refused' });
    else for (const v of violations) this.remember({ ...v, time, tool, outcome: 'allowed and recorded' });
    return { refusal, violations: refusal ? [] : violations };
  }

  private remember(e: LimitEvent): void {
    if (this.events.length < MAX_VIOLATION_EVENTS) this.events.push(e);
    else this.droppedEvents++;
  }

  /** For get_session: every limit with its counter and state, per session and per live attenuated token. */
  report(now = Date.now()): Record<string, unknown> {
    const seen = new Set<Budget>();
    const tokens: Record<string, unknown>[] = [];
    const nowSec = Math.floor(now / 1000);
    for (const b of this.tokens.values()) {
      if (seen.has(b) || (b.info.exp !== undefined && b.info.exp < nowSec)) continue;
      seen.add(b);
      tokens.push({
        jti: b.info.jti,
        ...(b.info.sublayout ? { sublayout: b.info.sublayout } : {}),
        ...(b.parent?.info.jti ? { parent: b.parent.info.jti } : {}),
        toolCalls: b.calls,
        limits: describeBudget(b, now),
      });
    }
    return {
      session: { toolCalls: this.session.calls, wallTimeSeconds: round((now - this.session.startedAtMs) / 1000), limits: describeBudget(this.session, now) },
      ...(tokens.length > 0 ? { tokens } : {}),
      violations: this.events,
      ...(this.droppedEvents > 0 ? { violationsNotListed: this.droppedEvents } : {}),
    };
  }

  /** Forgets budgets of expired tokens once there are many (children keep their parent by reference). */
  private prune(): void {
    if (this.tokens.size < 1024) return;
    const nowSec = Math.floor(Date.now() / 1000);
    for (const [jti, b] of this.tokens) if (b.info.exp !== undefined && b.info.exp < nowSec) this.tokens.delete(jti);
  }
}

function describeHit(limit: LimitName, scope: string, current: number, l: NormalLimit): LimitHit {
  const cur = limit === 'maxWallTimeSeconds' ? round(current) : current;
  return {
    limit,
    scope,
    current: cur,
    value: l.value,
    enforcement: l.enforcement,
    reason: `${limit} exceeded: ${cur} >= ${l.value} (${scope}, ${l.enforcement})`,
    rule: `limits.${limit}`,
  };
}

function describeBudget(b: Budget, now: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, l] of Object.entries(b.limits) as [LimitName, NormalLimit][]) {
    const why = NOT_OBSERVED_WHY[name];
    if (why) {
      out[name] = { value: l.value, enforcement: l.enforcement, observed: false, state: 'not observed', why };
      continue;
    }
    const current = name === 'maxToolCalls' ? b.calls : round((now - b.startedAtMs) / 1000);
    const exceeded = current >= l.value;
    out[name] = {
      value: l.value,
      enforcement: l.enforcement,
      observed: true,
      current,
      state: exceeded ? 'exceeded' : 'within',
      ...(exceeded ? { effect: l.enforcement === 'fail-fast' ? 'guarded calls are refused' : 'guarded calls run; each is recorded as a violation' } : {}),
      violations: b.violations.get(name) ?? 0,
    };
  }
  return out;
}
