// The `identity` section: which agents may use this policy at all. Pure: the caller supplies what it discovered.
// Patterns are aflock's identity globs, deliberately simpler than tool globs: `*` matches anything, a trailing `*`
// matches by prefix, anything else must be equal. The model is self-reported (--model or the agent's environment),
// so allowedModels keeps an honest agent on the models it was meant to run, it does not stop a lying one.
import type { Policy } from './schema.ts';

export interface ClaimedIdentity {
  readonly model: string;
  /** 'unknown' when neither --model nor the agent's environment named a model. */
  readonly modelSource: 'flag' | 'environment' | 'unknown';
  readonly environment: { readonly type: string; readonly containerId?: string; readonly namespace?: string };
}

/** aflock's identity glob: `*`, `prefix*`, or equality. Case-sensitive. */
export function identityGlobMatches(pattern: string, value: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('*')) return value.startsWith(pattern.slice(0, -1));
  return pattern === value;
}

/**
 * The names an environment answers to in allowedEnvironments: its type (`local`, `container`, `kubernetes`) and,
 * when known, `container:<id>` or `kubernetes:<namespace>`, so a policy can name one namespace.
 */
export function environmentNames(env: ClaimedIdentity['environment']): string[] {
  const names = [env.type];
  if (env.type === 'container' && env.containerId) names.push(`container:${env.containerId}`);
  if (env.type === 'kubernetes' && env.namespace) names.push(`kubernetes:${env.namespace}`);
  return names;
}

/** Why this identity may not use the policy, or null when it may (or the policy sets no identity lists). */
export function identityRefusal(constraints: Policy['identity'], id: ClaimedIdentity): { reason: string; rule: string } | null {
  const models = constraints?.allowedModels;
  if (models && models.length > 0) {
    if (id.modelSource === 'unknown') {
      return {
        reason: `identity.allowedModels is set and the agent's model is unknown (start the server with --model NAME or set ANTHROPIC_MODEL); refusing rather than guessing`,
        rule: 'identity.allowedModels',
      };
    }
    if (!models.some((p) => identityGlobMatches(p, id.model))) {
      return { reason: `model '${id.model}' (self-reported) is not in identity.allowedModels [${models.join(', ')}]`, rule: 'identity.allowedModels' };
    }
  }
  const envs = constraints?.allowedEnvironments;
  if (envs && envs.length > 0) {
    if (id.environment.type === 'unknown') {
      return {
        reason: `identity.allowedEnvironments is set and the environment could not be inspected (no permission to read its markers); refusing rather than guessing`,
        rule: 'identity.allowedEnvironments',
      };
    }
    const names = environmentNames(id.environment);
    if (!envs.some((p) => names.some((n) => identityGlobMatches(p, n)))) {
      return { reason: `environment '${names[names.length - 1]}' is not in identity.allowedEnvironments [${envs.join(', ')}]`, rule: 'identity.allowedEnvironments' };
    }
  }
  return null;
}
