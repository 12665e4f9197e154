// Data flow: `classify` gives calls labels, `flowRules` forbid a sink label once the session holds a source label.
// Unlike the reference, a call can carry several labels, a Bash command that reads a classified file is a source,
// and a rule may use `*` for "any label".
import { compileToolPattern, toolPatternMatches, type ToolPattern } from './patterns.ts';

export interface Material {
  label: string;
  source: string;
  timestamp: string;
}

export interface FlowRule {
  readonly source: string;
  readonly sink: string;
  readonly message?: string;
  readonly text: string;
}

export interface DataFlowRules {
  readonly classify: { label: string; patterns: ToolPattern[] }[];
  readonly rules: FlowRule[];
}

export function compileDataFlow(df: { classify?: Record<string, string[]>; flowRules?: { deny: string; message?: string }[] }): DataFlowRules {
  const classify = Object.entries(df.classify ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([label, patterns]) => ({ label, patterns: patterns.map(compileToolPattern) }));
  const rules = (df.flowRules ?? []).map((r) => {
    const [source, sink] = r.deny.split('->').map((s) => s.trim());
    return { source, sink, message: r.message, text: r.deny };
  });
  return { classify, rules };
}

/** Labels whose classify patterns match any of the (tool, subject) views of one call. */
export function labelsFor(df: DataFlowRules, views: readonly { tool: string; subject: string }[]): string[] {
  const out: string[] = [];
  for (const { label, patterns } of df.classify) {
    if (patterns.some((p) => views.some((v) => toolPatternMatches(p, v.tool, v.subject)))) out.push(label);
  }
  return out;
}

const READ_TOOLS = new Set(['Read', 'Glob', 'Grep', 'WebFetch', 'WebSearch', 'NotebookRead']);
const WRITE_TOOLS = new Set(['Write', 'Edit', 'MultiEdit', 'NotebookEdit', 'Bash']);

/** Whether a call can take data in (source), send data out (sink), or both (Bash reads files and talks to the world). */
export function flowRole(tool: string): { source: boolean; sink: boolean } {
  // WebFetch brings data in and sends its URL (and whatever the URL carries) out.
  if (tool === 'Bash' || tool === 'WebFetch') return { source: true, sink: true };
  if (READ_TOOLS.has(tool)) return { source: true, sink: false };
  if (WRITE_TOOLS.has(tool)) return { source: false, sink: true };
  if (tool.startsWith('mcp__')) {
    // An MCP tool is a sink unless its name says it only reads: a list of READ verbs, because the verbs that send
    // data out are open-ended (add_issue_comment, push_files, reply_to_thread, merge, fork, ...).
    return mcpOnlyReads(tool) ? { source: true, sink: false } : { source: true, sink: true };
  }
  return { source: false, sink: false };
}

/** Verbs that name a tool which only reads (`get_file_contents`, `list_issues`, `searchCode`). */
export const MCP_READ_VERBS: ReadonlySet<string> = new Set([
  'get', 'list', 'read', 'search', 'fetch', 'query', 'describe', 'show', 'view', 'find', 'lookup', 'look', 'count',
  'inspect', 'stat', 'browse', 'retrieve', 'download', 'explain', 'whoami', 'check', 'preview', 'peek', 'cat', 'head',
  'tail', 'diff', 'compare', 'summarize', 'status', 'info', 'ls', 'grep',
]);
const CONJUNCTIONS = new Set(['and', 'or', 'then', 'plus']);

/** Whether an `mcp__server__tool` name says the tool only reads: its first word is a read verb, and it names one act. */
export function mcpOnlyReads(tool: string): boolean {
  const name = tool.slice(tool.lastIndexOf('__') + 2);
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);
  return words.length > 0 && MCP_READ_VERBS.has(words[0]) && !words.some((w) => CONJUNCTIONS.has(w));
}

/** The first flow rule that a sink with `sinkLabels` would break, given the labels the session holds. */
export function violatedRule(df: DataFlowRules, held: ReadonlySet<string>, sinkLabels: readonly string[]): FlowRule | undefined {
  for (const rule of df.rules) {
    const sinkHit = rule.sink === '*' ? sinkLabels.length > 0 : sinkLabels.includes(rule.sink);
    if (!sinkHit) continue;
    const sourceHit = rule.source === '*' ? held.size > 0 : held.has(rule.source);
    if (sourceHit) return rule;
  }
  return undefined;
}
