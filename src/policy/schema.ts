// The .aflock policy format: the single source of the policy's types (z.infer) and of its JSON Schema.
// Every section of the reference format is accepted. Objects are strict: an unknown key is far more often a typo
// ("deney", "readonly") than a feature, and a silently ignored deny list is the worst failure a policy can have.
import * as z from 'zod';

const patternList = z.array(z.string().min(1, 'empty pattern')).describe('glob patterns');

const enforcement = z.enum(['fail-fast', 'post-hoc']);

/** A limit: a bare number (fail-fast) or {value, enforcement}. */
export const limitSchema = z.union([
  z.number().nonnegative().finite(),
  z.strictObject({
    value: z.number().nonnegative().finite(),
    enforcement: enforcement.optional(),
  }),
]);

export const limitsSchema = z.strictObject({
  maxSpendUSD: limitSchema.optional(),
  maxTokensIn: limitSchema.optional(),
  maxTokensOut: limitSchema.optional(),
  maxTurns: limitSchema.optional(),
  maxWallTimeSeconds: limitSchema.optional(),
  maxToolCalls: limitSchema.optional(),
});

const toolsSchema = z.strictObject({
  allow: patternList.optional(),
  deny: patternList.optional(),
  requireApproval: patternList.optional(),
});

const filesSchema = z.strictObject({
  allow: patternList.optional(),
  deny: patternList.optional(),
  readOnly: patternList.optional(),
});

const domainsSchema = z.strictObject({
  allow: patternList.optional(),
  deny: patternList.optional(),
});

/** Names of environment variables passed into the sandbox: exact names, or a prefix ending in `*` (`NODE_*`). */
const envNameSchema = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*\*?$/, 'an environment variable name, or a prefix ending in "*" (NODE_*)');

/**
 * The OS sandbox every `bash` command runs in (docs/sandbox.md). It is on unless a policy turns it off explicitly.
 *   mode     "on" (default) or "off" (commands run unconfined; recorded in every audit record)
 *   network  "proxy" (default: HTTP(S) through the server's proxy, which enforces `domains`) or "none"
 *   env      extra environment variables passed in (a name that looks like a credential passes only when named exactly)
 */
const sandboxSchema = z.strictObject({
  mode: z.enum(['on', 'off']).optional(),
  network: z.enum(['proxy', 'none']).optional(),
  env: z.array(envNameSchema).optional(),
});

const flowRuleSchema = z.strictObject({
  deny: z
    .string()
    .regex(/^\s*[^\s>-][^>]*?\s*->\s*[^\s>-][^>]*?\s*$/, 'a flow rule reads "source->sink"'),
  message: z.string().optional(),
});

const dataFlowSchema = z.strictObject({
  classify: z.record(z.string().min(1), patternList).optional(),
  flowRules: z.array(flowRuleSchema).optional(),
});

const identitySchema = z.strictObject({
  allowedModels: z.array(z.string().min(1)).optional(),
  allowedEnvironments: z.array(z.string().min(1)).optional(),
  requiredTools: z.array(z.string().min(1)).optional(),
});

const grantListSchema = z.strictObject({ allow: patternList.optional(), deny: patternList.optional() });
const grantsSchema = z.strictObject({
  secrets: grantListSchema.optional(),
  apis: grantListSchema.optional(),
  storage: grantListSchema.optional(),
});

const hooksSchema = z.strictObject({
  timeout: z.number().nonnegative().optional(),
  onPolicyViolation: z.string().optional(),
  injectContext: z.boolean().optional(),
});

const certConstraintSchema = z.strictObject({
  commonName: z.string().optional(),
  uris: z.array(z.string()).optional(),
  emails: z.array(z.string()).optional(),
  organizations: z.array(z.string()).optional(),
  dnsNames: z.array(z.string()).optional(),
  roots: z.array(z.string()).optional(),
});

const functionarySchema = z.strictObject({
  type: z.string().optional(),
  certConstraint: certConstraintSchema.optional(),
  publickeyid: z.string().optional(),
  issuer: z.string().optional(),
  subject: z.string().optional(),
  fulcioExtensions: z.record(z.string(), z.unknown()).optional(),
  spiffeId: z.string().optional(),
  spiffeIdPattern: z.string().optional(),
  trustDomain: z.string().optional(),
  modelConstraint: z.string().optional(),
  versionConstraint: z.string().optional(),
});

const stepSchema = z.strictObject({
  name: z.string().optional(),
  functionaries: z.array(functionarySchema).optional(),
  attestations: z
    .array(
      z.strictObject({
        type: z.string(),
        regopolicies: z.array(z.strictObject({ name: z.string(), module: z.string() })).optional(),
      }),
    )
    .optional(),
  artifactsFrom: z.array(z.string()).optional(),
  /** Files (path globs relative to the bash workdir) whose SHA-256 a step attestation records. */
  products: patternList.optional(),
});

const sublayoutSchema = z.strictObject({
  name: z.string().min(1).regex(/^[A-Za-z0-9_.-]+$/, 'sublayout names use letters, digits, ".", "_" and "-"'),
  policy: z.string().min(1).optional(),
  policyDigest: z.record(z.string(), z.string()).optional(),
  functionaries: z.array(functionarySchema).optional(),
  limits: limitsSchema.optional(),
  inherit: z.array(z.string()).optional(),
  attestationPrefix: z.string().optional(),
  /** Inline sub-policy: the tools a sub-agent holding this sublayout's token may use (intersected with the parent). */
  tools: toolsSchema.optional(),
});

const materialsFromSchema = z.strictObject({
  session: z
    .strictObject({ path: z.string().optional(), merkleRoot: z.string().optional(), algorithm: z.string().optional() })
    .optional(),
  git: z.strictObject({ treeHash: z.string().optional(), branch: z.string().optional() }).optional(),
  artifacts: z
    .array(z.strictObject({ name: z.string(), digest: z.string().optional(), uri: z.string().optional() }))
    .optional(),
});

const evaluatorsSchema = z.strictObject({
  rego: z.array(z.strictObject({ name: z.string(), policy: z.string() })).optional(),
  ai: z
    .array(
      z.strictObject({
        name: z.string(),
        prompt: z.string().optional(),
        model: z.string().optional(),
        backend: z.string().optional(),
        endpoint: z.string().optional(),
      }),
    )
    .optional(),
  grpc: z.array(z.strictObject({ name: z.string(), endpoint: z.string() })).optional(),
});

const rfc3339 = z
  .string()
  .regex(
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i,
    'expires must be an RFC 3339 timestamp such as 2026-12-31T23:59:59Z',
  )
  .refine((s) => !Number.isNaN(Date.parse(s)), 'expires is not a real date');

export const policySchema = z.strictObject({
  $schema: z.string().optional(),
  version: z.string().optional(),
  name: z.string().optional(),
  expires: rfc3339.optional(),
  roots: z.record(z.string(), z.strictObject({ certificate: z.string() })).optional(),
  steps: z.record(z.string(), stepSchema).optional(),
  identity: identitySchema.optional(),
  grants: grantsSchema.optional(),
  limits: limitsSchema.optional(),
  tools: toolsSchema.optional(),
  files: filesSchema.optional(),
  domains: domainsSchema.optional(),
  sandbox: sandboxSchema.optional(),
  dataFlow: dataFlowSchema.optional(),
  hooks: hooksSchema.optional(),
  sublayouts: z.array(sublayoutSchema).optional(),
  // Legacy sections of the reference format, accepted so that existing policies load.
  requiredAttestations: z.array(z.string()).optional(),
  attestationDir: z.string().optional(),
  attestationsFrom: z.array(z.string()).optional(),
  materialsFrom: materialsFromSchema.optional(),
  evaluators: evaluatorsSchema.optional(),
  functionaries: z.array(functionarySchema).optional(),
});

export type Policy = z.infer<typeof policySchema>;
export type Limit = z.infer<typeof limitSchema>;
export type Limits = z.infer<typeof limitsSchema>;
export type LimitName = keyof Limits;
export type Sublayout = z.infer<typeof sublayoutSchema>;
export type SandboxSettings = z.infer<typeof sandboxSchema>;

/** A limit in object form, enforcement defaulted as the reference does (fail-fast). */
export function normalizeLimit(limit: Limit): { value: number; enforcement: 'fail-fast' | 'post-hoc' } {
  if (typeof limit === 'number') return { value: limit, enforcement: 'fail-fast' };
  return { value: limit.value, enforcement: limit.enforcement ?? 'fail-fast' };
}

/** JSON Schema (draft 2020-12) of the policy file, for editors. */
export function policyJsonSchema(): unknown {
  return z.toJSONSchema(policySchema, { target: 'draft-2020-12', unrepresentable: 'any' });
}
