// Compiles a validated policy once at load: every glob is compiled here, so a malformed one is a load error that
// names its place in the file, and the per-call path only runs matchers.
import type { Policy } from './schema.ts';
import { compileToolPattern, GlobError, toolNameMatches, type ToolPattern } from './patterns.ts';
import { compilePathRule, type PathRule } from './paths.ts';
import { compileDomainRules, type DomainRules } from './domains.ts';
import { compileDataFlow, type DataFlowRules } from './dataflow.ts';

export interface CompiledPolicy {
  readonly policy: Policy;
  readonly tools: { allow: ToolPattern[] | null; deny: ToolPattern[]; ask: ToolPattern[] } | null;
  readonly files: { allow: PathRule[] | null; deny: PathRule[]; readOnly: PathRule[] } | null;
  readonly domains: DomainRules | null;
  readonly dataFlow: DataFlowRules | null;
  /** Deny entries that restrict Bash commands (`Bash:...`): their presence turns on the strict analysis. */
  readonly hasBashDenyRules: boolean;
}

export class PolicyCompileError extends Error {
  constructor(readonly jsonPath: string, message: string) {
    super(`${jsonPath}: ${message}`);
    this.name = 'PolicyCompileError';
  }
}

function each<T>(list: string[] | undefined, at: string, fn: (s: string) => T): T[] {
  return (list ?? []).map((s, i) => {
    try {
      return fn(s);
    } catch (e) {
      if (e instanceof GlobError) throw new PolicyCompileError(`${at}[${i}]`, e.message);
      throw e;
    }
  });
}

export function compilePolicy(policy: Policy): CompiledPolicy {
  const tools = policy.tools
    ? (() => {
        const allow = each(policy.tools.allow, 'tools.allow', compileToolPattern);
        return {
          allow: allow.length > 0 ? allow : null,
          deny: each(policy.tools.deny, 'tools.deny', compileToolPattern),
          ask: each(policy.tools.requireApproval, 'tools.requireApproval', compileToolPattern),
        };
      })()
    : null;
  const files = policy.files
    ? (() => {
        const allow = each(policy.files.allow, 'files.allow', compilePathRule);
        return {
          allow: allow.length > 0 ? allow : null,
          deny: each(policy.files.deny, 'files.deny', compilePathRule),
          readOnly: each(policy.files.readOnly, 'files.readOnly', compilePathRule),
        };
      })()
    : null;
  let domains: DomainRules | null = null;
  if (policy.domains) {
    each(policy.domains.allow, 'domains.allow', (s) => compileDomainRules([s], []));
    each(policy.domains.deny, 'domains.deny', (s) => compileDomainRules([], [s]));
    domains = compileDomainRules(policy.domains.allow, policy.domains.deny);
  }
  let dataFlow: DataFlowRules | null = null;
  if (policy.dataFlow) {
    for (const [label, patterns] of Object.entries(policy.dataFlow.classify ?? {})) {
      each(patterns, `dataFlow.classify.${label}`, compileToolPattern);
    }
    dataFlow = compileDataFlow(policy.dataFlow);
  }
  const hasBashDenyRules = (tools?.deny ?? []).some((p) => p.subject !== null && toolNameMatches(p, 'Bash', true));
  return { policy, tools, files, domains, dataFlow, hasBashDenyRules };
}
