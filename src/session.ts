// The session: identity of this server run, its counters and what it has seen, in memory for the life of the process.
import { randomUUID } from 'node:crypto';
import type { Verdict } from './policy/evaluate.ts';

export interface ActionSummary {
  timestamp: string;
  tool: string;
  decision: Verdict | 'approved' | 'declined';
  reason?: string;
}

/** How many recent actions `get_session` lists; the audit trail keeps all of them. */
const RECENT_ACTIONS = 200;

export class Session {
  readonly id = `mcp-${randomUUID()}`;
  readonly startedAt = new Date();
  toolCalls = 0;
  readonly perTool = new Map<string, number>();
  readonly filesRead = new Set<string>();
  readonly filesWritten = new Set<string>();
  readonly decisions = { allow: 0, deny: 0, ask: 0 };
  private readonly recent: ActionSummary[] = [];
  /** Data-flow labels the session holds, with where each came from. Never cleared. */
  readonly materials: { label: string; source: string; timestamp: string }[] = [];
  readonly heldLabels = new Set<string>();

  recordAction(tool: string, decision: ActionSummary['decision'], reason?: string): void {
    this.toolCalls++;
    this.perTool.set(tool, (this.perTool.get(tool) ?? 0) + 1);
    if (decision === 'allow' || decision === 'approved') this.decisions.allow++;
    else if (decision === 'ask') this.decisions.ask++;
    else this.decisions.deny++;
    this.recent.push({ timestamp: new Date().toISOString(), tool, decision, ...(reason ? { reason } : {}) });
    if (this.recent.length > RECENT_ACTIONS) this.recent.splice(0, this.recent.length - RECENT_ACTIONS);
  }

  addLabels(labels: readonly { label: string; source: string }[]): void {
    for (const { label, source } of labels) {
      if (this.heldLabels.has(label)) continue;
      this.heldLabels.add(label);
      this.materials.push({ label, source, timestamp: new Date().toISOString() });
    }
  }

  metrics() {
    return {
      toolCalls: this.toolCalls,
      tools: Object.fromEntries(this.perTool),
      filesRead: this.filesRead.size,
      filesWritten: this.filesWritten.size,
      decisions: { ...this.decisions },
    };
  }

  recentActions(): readonly ActionSummary[] {
    return this.recent;
  }
}
