// The environment of a sandboxed command: bubblewrap starts from an empty one (--clearenv) and we set only what is
// listed here. Whatever the server inherited (ANTHROPIC_API_KEY from Claude Code, GITHUB_TOKEN from a shell, cloud
// credentials) stays out unless the policy's `sandbox.env` names it, and a name that looks like a credential passes
// only when it is named exactly (a prefix such as `GH_*` never lets `GH_TOKEN` through).

/** Always passed through when set: what programs need to find themselves, speak the user's language and draw text. */
export const BASE_ENV_NAMES = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LANGUAGE', 'TERM', 'COLORTERM', 'TZ', 'NO_COLOR'] as const;
const BASE_PREFIXES = ['LC_'] as const;

/** Names that look like credentials. Matched case-insensitively on the whole name. */
const CREDENTIAL_LIKE = /(KEY|TOKEN|SECRET|PASSW|PASSPHRASE|CREDENTIAL|AUTH|COOKIE|SESSION|PRIVATE|CERT|^AWS_|^AZURE_|^GCP_|^GOOGLE_|^ANTHROPIC_|^OPENAI_|^AFLOCK_|^SSH_|^GPG_|_PAT$|_DSN$|^DATABASE_URL$)/i;

export function looksLikeCredential(name: string): boolean {
  return CREDENTIAL_LIKE.test(name);
}

/** Whether `name` passes: base names, then the policy's list (exact names always; prefixes never for credential-like names). */
export function envNameAllowed(name: string, policyNames: readonly string[]): boolean {
  if (policyNames.includes(name)) return true;
  if (looksLikeCredential(name)) return false;
  if ((BASE_ENV_NAMES as readonly string[]).includes(name)) return true;
  if (BASE_PREFIXES.some((p) => name.startsWith(p))) return true;
  return policyNames.some((p) => p.endsWith('*') && name.startsWith(p.slice(0, -1)));
}

/** The environment a command starts with: the allowed part of `from`, then `fixed` (TMPDIR, the proxy) on top. */
export function sandboxEnv(from: NodeJS.ProcessEnv, policyNames: readonly string[], fixed: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(from)) {
    if (value === undefined || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) continue;
    if (envNameAllowed(name, policyNames)) out[name] = value;
  }
  if (!out.PATH) out.PATH = '/usr/local/bin:/usr/bin:/bin';
  return { ...out, ...fixed };
}
