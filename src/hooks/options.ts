// How this server answers Claude Code's hooks: its own name in Claude Code (mcp__aflock__*), and whether native Bash
// is sent into the kernel sandbox (and if not, why not: the record says so).
import type { LoadedPolicy } from '../policy/load.ts';
import { launchCommand } from '../init.ts';
import type { HookOptions } from './answer.ts';

/** The name `init --claude` registers the server under, which its hooks call. */
export const SERVER_NAME = 'aflock';

/** Whether the policy turns the kernel sandbox off (`"sandbox": {"mode": "off"}`, the sandbox's own section). */
export function sandboxTurnedOff(policy: LoadedPolicy['policy']): boolean {
  const s = (policy as { sandbox?: unknown }).sandbox;
  return s !== null && typeof s === 'object' && (s as { mode?: unknown }).mode === 'off';
}

/**
 * `sandboxInBuild`: this executable has the `aflock-mcp sandbox` subcommand (its --help lists it). Until it does,
 * native Bash runs as the `bash` tool does in such a build: decided by the analyzer, not wrapped.
 */
export function hookOptions(policy: LoadedPolicy, sandboxInBuild: boolean, noSandboxFlag = false): HookOptions {
  if (noSandboxFlag) return { serverName: SERVER_NAME, sandbox: { wrap: false, why: 'the server runs with --no-sandbox' } };
  if (sandboxTurnedOff(policy.policy)) return { serverName: SERVER_NAME, sandbox: { wrap: false, why: 'the policy turns the sandbox off (sandbox.mode "off")' } };
  if (!sandboxInBuild) return { serverName: SERVER_NAME, sandbox: { wrap: false, why: "this build has no 'aflock-mcp sandbox' subcommand" } };
  return { serverName: SERVER_NAME, sandbox: { wrap: true, target: { launch: launchCommand(), policyPath: policy.path } } };
}
