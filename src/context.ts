// Everything a tool handler needs, built once at start-up by the transport and shared by every call.
import type { LoadedPolicy } from './policy/load.ts';
import type { Session } from './session.ts';
import type { TokenAuthority } from './auth/tokens.ts';
import type { AuthGate } from './auth/gate.ts';
import type { AuditTrail } from './audit/trail.ts';
import type { IdentityProvider } from './identity.ts';
import type { LimitTracker } from './limits.ts';
import type { ApprovalStore } from './approval.ts';
import type { BootstrapSecret } from './auth/bootstrap.ts';

export interface ServerContext {
  readonly policy: LoadedPolicy;
  readonly session: Session;
  readonly tokens: TokenAuthority;
  readonly gate: AuthGate;
  /** null when the trail could not be opened: guarded calls are then refused (trailError says why). */
  readonly trail: AuditTrail | null;
  readonly trailError?: string;
  readonly identity: IdentityProvider;
  /** Tool-call and wall-time counters of the session and of attenuated tokens (src/limits.ts). */
  readonly limits: LimitTracker;
  /** Human approvals given through elicitation, and the exact calls remembered (src/approval.ts). */
  readonly approvals: ApprovalStore;
  readonly transport: 'stdio' | 'http';
  /** HTTP only: the one-time secret that buys the session token (src/auth/bootstrap.ts). */
  readonly bootstrap?: BootstrapSecret;
  /** Counts tool calls in flight, so shutdown can wait for their responses. */
  readonly inflight: { count: number; idle: Array<() => void> };
  /** The OS sandbox every `bash` command runs in (src/sandbox), or its explicit absence. */
  readonly sandbox: import('./sandbox/service.ts').SandboxService;
  /** Child processes started by `bash`, killed at shutdown. */
  readonly children: Set<import('node:child_process').ChildProcess>;
}
