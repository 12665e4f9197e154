// The server's one sandbox: started at start-up (in the background, so `initialize` does not wait for bubblewrap's
// probe), awaited by the first command, closed at shutdown. Its state is what get_policy, get_identity and every
// audit record report.
import type { LoadedPolicy } from '../policy/load.ts';
import { log } from '../log.ts';
import { describeMode, Sandbox, SandboxUnavailable, sandboxModeOf, type SandboxMode } from './sandbox.ts';

export interface SandboxStatus {
  mode: 'on' | 'off';
  /** "bubblewrap", "off (--no-sandbox)", "off (policy sandbox.mode)". */
  kind: string;
  /** on: "starting" | "ready" | "unavailable". */
  state?: 'starting' | 'ready' | 'unavailable';
  reason?: string;
  network?: 'proxy' | 'none';
}

export class SandboxService {
  readonly mode: SandboxMode;
  readonly #network: 'proxy' | 'none';
  #sandbox: Sandbox | null = null;
  #failure: SandboxUnavailable | null = null;
  readonly #ready: Promise<void>;

  constructor(policy: LoadedPolicy, opts: { noSandbox: boolean; alwaysHide: string[] }) {
    this.mode = sandboxModeOf(policy.policy.sandbox, opts.noSandbox);
    this.#network = policy.policy.sandbox?.network ?? 'proxy';
    if (this.mode.mode === 'off') {
      log(`sandbox OFF (${describeMode(this.mode)}): commands run unconfined, and every audit record says so`);
      this.#ready = Promise.resolve();
      return;
    }
    this.#ready = Sandbox.create({ policy, alwaysHide: opts.alwaysHide }).then(
      (s) => {
        this.#sandbox = s;
      },
      (e) => {
        this.#failure = e instanceof SandboxUnavailable ? e : new SandboxUnavailable((e as Error).message);
        log(`${this.#failure.message}; every bash command will be refused`);
      },
    );
  }

  /** Resolves once the sandbox is made or known to be unavailable. */
  ready(): Promise<void> {
    return this.#ready;
  }

  /** The sandbox, or null when off; throws SandboxUnavailable when it should be on but cannot be made. */
  async get(): Promise<Sandbox | null> {
    await this.#ready;
    if (this.mode.mode === 'off') return null;
    if (this.#failure) throw this.#failure;
    return this.#sandbox;
  }

  status(): SandboxStatus {
    if (this.mode.mode === 'off') return { mode: 'off', kind: describeMode(this.mode) };
    const state = this.#failure ? 'unavailable' : this.#sandbox ? 'ready' : 'starting';
    return { mode: 'on', kind: 'bubblewrap', state, network: this.#network, ...(this.#failure ? { reason: this.#failure.why } : {}) };
  }

  /** One word for the audit record: "bubblewrap", "unavailable", "off (...)". */
  label(): string {
    const s = this.status();
    return s.mode === 'off' ? s.kind : s.state === 'unavailable' ? 'bubblewrap unavailable' : 'bubblewrap';
  }

  async close(): Promise<void> {
    await this.#ready;
    await this.#sandbox?.close();
  }
}
