// The evaluator: a pure function of (compiled policy, tool call, context) -> decision with the rule that decided.
// Order as the reference: tools.deny -> requireApproval -> files -> domains -> tools.allow. Data flow is a separate
// step (flowCheck) because it depends on what the session has already read.
import type { CompiledPolicy } from './compile.ts';
import { toolNameMatches, toolPatternMatches, type ToolPattern } from './patterns.ts';
import { firstMatch, pathViews, resolvePath, viewPath, type PathView } from './paths.ts';
import { checkHost, hostOf, hostOfAddress } from './domains.ts';
import { flowRole, labelsFor, violatedRule } from './dataflow.ts';
import { argumentPaths, bashWritesProtected, checkBashFiles, codePaths, IGNORED_PATHS, unknownTreeWrite } from './bash-files.ts';
import { analyzeShell, commandMatches, hiddenCode, namesOnly, type ShellAnalysis } from './shell/index.ts';

export type Verdict = 'allow' | 'deny' | 'ask';

export interface Decision {
  readonly decision: Verdict;
  readonly reason: string;
  /** The policy entry that decided, when one did. */
  readonly rule?: string;
}

export interface EvalContext {
  /** Project root: absolute, symlinks resolved. */
  readonly root: string;
  /** Directory relative paths and Bash commands are resolved against (defaults to the root). */
  readonly cwd?: string;
  /**
   * Resolves symbolic links of an absolute path; a path that does not exist yet resolves through its existing
   * ancestors (null when it cannot be resolved). Supplied by the caller: no I/O here.
   */
  readonly realpath?: (abs: string) => string | null;
  /**
   * The existing paths a shell glob in a Bash file argument would expand to (null: too many, or unreadable), so that
   * `cat .en?` is checked as `cat .env`. Without it, a globbed path that could touch a file is refused.
   */
  readonly expandGlob?: (absPattern: string) => string[] | null;
  /**
   * Walks the tree under a directory (walkTree in src/fstree.ts), for a tree write (`rm -r dir`) that may reach a
   * protected path under it. Without it, a tree write of an existing directory under file rules is refused.
   */
  readonly walkTree?: (dir: string, visit: (abs: string, dir: boolean) => 'stop' | 'skip' | 'go', limit?: number, followLinks?: boolean) => 'done' | 'stopped' | 'too-large' | 'unreadable';
  /** What is at a path (fileKind in src/fstree.ts): whether a copy's destination is a directory, an operand a link. */
  readonly fileKind?: (abs: string, follow: boolean) => 'dir' | 'file' | 'link' | 'none' | 'unknown';
  /** The home directory `~` expands to in Bash file arguments. */
  readonly home?: string;
  /**
   * Absolute paths no file tool may write whatever the policy says: the policy file and its sub-policy files (an
   * agent that rewrites them rewrites its own rules for the next session), and a `.git` file naming the repository.
   */
  readonly protectedFiles?: readonly string[];
}

export interface ToolCall {
  /** Claude Code tool name (`Bash`, `Read`, ...). */
  readonly tool: string;
  readonly input: unknown;
}

const FILE_TOOLS = new Set(['Read', 'Write', 'Edit', 'MultiEdit', 'NotebookEdit', 'NotebookRead', 'Glob', 'Grep']);
const WRITE_TOOLS = new Set(['Write', 'Edit', 'MultiEdit', 'NotebookEdit']);
const READ_ONLY_ADMITS = new Set(['Read', 'NotebookRead', 'Glob', 'Grep']);

function field(input: unknown, name: string): unknown {
  return input !== null && typeof input === 'object' && !Array.isArray(input) ? (input as Record<string, unknown>)[name] : undefined;
}

function str(input: unknown, name: string): string {
  const v = field(input, name);
  return typeof v === 'string' ? v : '';
}

/** The string `Tool:glob` patterns are matched against (the reference's "input for matching"). */
export function subjectOf(tool: string, input: unknown): string {
  switch (tool) {
    case 'Bash':
      return str(input, 'command');
    case 'Read':
    case 'Write':
    case 'Edit':
    case 'MultiEdit':
      return str(input, 'file_path');
    case 'NotebookEdit':
    case 'NotebookRead':
      return str(input, 'notebook_path');
    case 'Glob':
      return str(input, 'path') || str(input, 'pattern');
    case 'Grep':
      return str(input, 'pattern');
    case 'Task':
      return str(input, 'prompt');
    case 'WebFetch':
      return str(input, 'url');
    case 'WebSearch':
      return str(input, 'query');
    default:
      return '';
  }
}

const allow: Decision = { decision: 'allow', reason: '' };
const deny = (reason: string, rule?: string): Decision => ({ decision: 'deny', reason, rule });

/**
 * Recent Bash analyses by command text. analyzeShell is a pure function of the command and costs 30-400 µs for an
 * ordinary command, most of a decision; a guarded call used to analyse its command twice (evaluateCall, then
 * flowCheck), and agents repeat commands (git status, npm test) and often check them (check_tool) before running
 * them (bash). Bounded in entries and in command length. The analyses are shared, so they are frozen.
 */
const ANALYSIS_CACHE_ENTRIES = 128;
const ANALYSIS_CACHE_MAX_CHARS = 16 * 1024;
const analyses = new Map<string, ShellAnalysis>();
let lastLarge: { command: string; analysis: ShellAnalysis } | null = null;

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

export function analyzeBash(command: string): ShellAnalysis {
  const hit = analyses.get(command);
  if (hit) {
    analyses.delete(command); // most recently used last
    analyses.set(command, hit);
    return hit;
  }
  if (lastLarge?.command === command) return lastLarge.analysis;
  const a = deepFreeze(analyzeShell(command));
  if (command.length <= ANALYSIS_CACHE_MAX_CHARS) {
    if (analyses.size >= ANALYSIS_CACHE_ENTRIES) analyses.delete(analyses.keys().next().value as string);
    analyses.set(command, a);
  } else {
    lastLarge = { command, analysis: a }; // only the latest: evaluateCall and flowCheck of the same call share it
  }
  return a;
}

/** Forgets the cached analyses (for benchmarks and tests that time or count analyses). */
export function clearAnalysisCache(): void {
  analyses.clear();
  lastLarge = null;
}

/** Lazily analysed Bash command, shared by every step of one evaluation. */
class BashView {
  private analysis: ShellAnalysis | null = null;
  constructor(readonly command: string) {}
  get(): ShellAnalysis {
    return (this.analysis ??= analyzeBash(this.command));
  }
}

/** A Bash deny/approval rule matches if the whole command or ANY command it can run matches. */
function bashRuleHit(p: ToolPattern, bash: BashView): string | null {
  if (p.subject === null) return bash.command;
  if (p.subject.matches(bash.command.trim())) return bash.command;
  for (const c of bash.get().commands) if (commandMatches(p.subject.matches, p.source, c)) return c.text;
  return null;
}

function ruleHit(p: ToolPattern, call: ToolCall, subject: string, bash: BashView | null): string | null {
  if (!toolNameMatches(p, call.tool, true)) return null;
  if (bash) return bashRuleHit(p, bash);
  if (p.subject === null || p.subject.matches(subject)) return subject;
  return null;
}

export function evaluateCall(policy: CompiledPolicy, call: ToolCall, ctx: EvalContext): Decision {
  const { tool, input } = call;
  const subject = subjectOf(tool, input);
  const isBash = tool === 'Bash';
  // No path or command can hold a NUL byte: the tools refuse one before anything else, and so does every answer.
  if (subject.includes('\0')) return deny(`Tool '${tool}' input contains a NUL byte, which no path or command can hold`, 'nul-byte');
  const bash = isBash ? new BashView(subject) : null;

  // 0. What is never the agent's to write (the sandbox holds the same for commands).
  if (WRITE_TOOLS.has(tool) && ctx.protectedFiles && ctx.protectedFiles.length > 0) {
    const raw = field(input, tool === 'NotebookEdit' ? 'notebook_path' : 'file_path');
    if (typeof raw === 'string' && raw !== '') {
      const hit = pathViews(raw, ctx).find((v) => ctx.protectedFiles!.includes(v.abs));
      if (hit) return deny(`File '${hit.abs}' is always read-only (the policy, a sub-policy, or the .git file naming the repository)`, 'protected-file');
    }
  }

  // Steps 1-2 and 4-5 depend on the policy and the call alone; step 3 (files) also on the file system, so only it
  // is decided afresh for a Bash command seen before (ruleSteps).
  const steps = bash ? bashRuleSteps(policy, call, subject, bash) : { before: rulesBeforeFiles(policy, call, subject, null), after: null };
  if (steps.before) return steps.before;

  // Under files rules, what a Bash command writes, a tree write (`rm -r dir`) included, may not be the policy file
  // either, whatever the rules list (after the rules: a command they refuse does not pay for the look-up). Without
  // files rules the analysis checks no file a command touches (an empty policy allows `rm -rf /`: the conformance
  // corpus); the kernel sandbox keeps the policy file read-only for every command this server runs.
  if (bash && policy.files) {
    const a = bash.get();
    if ((a.code?.length || a.files.some((f) => f.mode === 'write')) && ctx.protectedFiles && ctx.protectedFiles.length > 0) {
      const d = unknownTreeWrite(a) ?? bashWritesProtected(a, ctx.protectedFiles, ctx);
      if (d) return d;
    }
  }

  // 3. files
  if (policy.files) {
    if (FILE_TOOLS.has(tool)) {
      const d = checkFileTool(policy, call, ctx);
      if (d) return d;
    } else if (bash && (policy.files.deny.length > 0 || policy.files.readOnly.length > 0)) {
      const d = checkBashFiles(policy, bash.get(), ctx);
      if (d) return d;
    }
  }
  return steps.after ?? rulesAfterFiles(policy, call, subject, null);
}

interface RuleSteps {
  /** What steps 1-2 (deny, strict analysis, approval, hidden code) decide, if anything. */
  readonly before: Decision | null;
  /** What steps 4-5 (domains, allow list) decide; null: not computed yet. */
  readonly after: Decision | null;
}

const RULE_CACHE_ENTRIES = 256;
const ruleCache = new WeakMap<CompiledPolicy, Map<string, RuleSteps>>();

/**
 * The policy-only steps of a Bash call, remembered per policy for recent commands (as the analysis is): a command an
 * agent runs again (`git status`, `npm test`) pays for its file check only. Nothing here reads the file system or the
 * session, so the answer for the same policy, tool name and command cannot change.
 */
function bashRuleSteps(policy: CompiledPolicy, call: ToolCall, subject: string, bash: BashView): RuleSteps {
  const cacheable = subject.length <= ANALYSIS_CACHE_MAX_CHARS;
  let byCommand = ruleCache.get(policy);
  if (!byCommand) ruleCache.set(policy, (byCommand = new Map()));
  const key = `${call.tool}\0${subject}`;
  const hit = cacheable ? byCommand.get(key) : undefined;
  if (hit) return hit;
  const before = rulesBeforeFiles(policy, call, subject, bash);
  const steps: RuleSteps = Object.freeze({ before: before && Object.freeze(before), after: before ? null : Object.freeze(rulesAfterFiles(policy, call, subject, bash)) });
  if (cacheable) {
    if (byCommand.size >= RULE_CACHE_ENTRIES) byCommand.delete(byCommand.keys().next().value as string);
    byCommand.set(key, steps);
  }
  return steps;
}

/** Steps 1-2: tools.deny, what the strict Bash analysis cannot see through, requireApproval; then hidden code. */
function rulesBeforeFiles(policy: CompiledPolicy, call: ToolCall, subject: string, bash: BashView | null): Decision | null {
  const { tool } = call;
  if (policy.tools) {
    for (const p of policy.tools.deny) {
      const hit = ruleHit(p, call, subject, bash);
      if (hit === null) continue;
      const found = bash && hit !== subject ? ` (found: '${hit}')` : '';
      return deny(`Tool '${tool}' matches deny pattern '${p.source}'${found}`, p.source);
    }
    if (bash && policy.hasBashDenyRules) {
      const u = bash.get().unresolvable[0];
      if (u) return deny(`Bash command uses ${u.construct} (${u.detail}), which deny rules cannot be checked against`, `unresolvable:${u.construct}`);
    }
    for (const p of policy.tools.ask) {
      if (ruleHit(p, call, subject, bash) !== null) {
        return { decision: 'ask', reason: `Tool '${tool}' requires approval (matches '${p.source}')`, rule: p.source };
      }
    }
  }

  // Principle (issue 13, class 4): under file, domain and data-flow rules too, a command whose code is decided at
  // run time (a dynamic command name, a string evaluated as commands, a line that could not be analysed) is refused
  // with the same named reason: what it reads, where it connects and what it carries cannot be known.
  if (bash && !(policy.tools && policy.hasBashDenyRules) && guardsContent(policy)) {
    const u = hiddenCode(bash.get());
    if (u) return deny(`Bash command uses ${u.construct} (${u.detail}), which file, domain and data-flow rules cannot be checked against`, `unresolvable:${u.construct}`);
  }
  return null;
}

/** Steps 4-5: domains, then tools.allow. */
function rulesAfterFiles(policy: CompiledPolicy, call: ToolCall, subject: string, bash: BashView | null): Decision {
  const { tool, input } = call;
  if (policy.domains) {
    if (tool === 'WebFetch') {
      const url = field(input, 'url');
      const raw = typeof url === 'string' ? url : '';
      const v = checkHost(policy.domains, hostOf(raw), raw);
      if (!v.ok) return deny(v.reason, v.rule);
    } else if (bash) {
      for (const t of bash.get().network) {
        const v = checkHost(policy.domains, hostOfAddress(t.target), t.target);
        if (!v.ok) return deny(`${v.reason} (${t.command} ${t.target})`, v.rule);
      }
    }
  }

  if (policy.tools?.allow) {
    const patterns = policy.tools.allow;
    if (!bash) {
      const p = patterns.find((q) => toolPatternMatches(q, tool, subject));
      return p ? allow : deny(`Tool '${tool}' not in allow list`);
    }
    const relevant = patterns.filter((q) => toolNameMatches(q, 'Bash'));
    if (relevant.some((q) => q.subject === null)) return allow;
    if (relevant.length === 0) return deny(`Tool '${tool}' not in allow list`);
    const a = bash.get();
    if (a.unresolvable.length > 0) {
      const u = a.unresolvable[0];
      return deny(`Bash command uses ${u.construct} (${u.detail}); an allow list of commands cannot vouch for it`);
    }
    const commands = a.commands.length > 0 ? a.commands.map((c) => c.text) : [subject.trim()];
    for (const text of commands) {
      if (!relevant.some((q) => q.subject!.matches(text))) {
        return deny(`Bash command '${text}' is not in the allow list`);
      }
    }
  }
  return allow;
}

/** Whether the policy has rules about what a command touches: files, hosts, or data flow. */
function guardsContent(policy: CompiledPolicy): boolean {
  const f = policy.files;
  const files = f !== null && (f.deny.length > 0 || f.readOnly.length > 0 || f.allow !== null);
  return files || policy.domains !== null || (policy.dataFlow !== null && policy.dataFlow.rules.length > 0);
}

function checkFileTool(policy: CompiledPolicy, call: ToolCall, ctx: EvalContext): Decision | null {
  const files = policy.files!;
  const { tool, input } = call;
  const isSearch = tool === 'Glob' || tool === 'Grep';
  const key = tool === 'NotebookEdit' || tool === 'NotebookRead' ? 'notebook_path' : isSearch ? 'path' : 'file_path';
  const raw = field(input, key);
  if (input === null || typeof input !== 'object' || Array.isArray(input) || (raw !== undefined && raw !== null && typeof raw !== 'string')) {
    return deny(`failed to parse file tool input: ${key} must be a string`);
  }
  const p = typeof raw === 'string' ? raw : '';
  if (p === '') {
    if (isSearch) return null; // a search of the working directory
    return files.allow || files.deny.length > 0 || files.readOnly.length > 0 ? deny(`${tool} needs a ${key}`) : null;
  }
  const views = pathViews(p, ctx);
  const shown = views[0].abs;
  // A directory operand of a protected tree is inside it: `.git` itself for `.git/**`, `secrets` for `secrets/**`.
  const asTree = [...views, ...views.map((v) => viewPath(`${v.abs}/aflock-probe-child`, ctx.root))];
  const denied = firstMatch(files.deny, asTree, 'deny');
  if (denied) return deny(`File '${shown}' matches deny pattern '${denied.source}'`, denied.source);
  if (isSearch) {
    const children = views.map((v) => viewPath(`${v.abs}/aflock-probe-child`, ctx.root));
    const inner = firstMatch(files.deny, children, 'deny');
    if (inner) return deny(`Directory '${shown}' contains denied files (matches '${inner.source}')`, inner.source);
  }
  if (WRITE_TOOLS.has(tool)) {
    const ro = firstMatch(files.readOnly, asTree, 'deny');
    if (ro) return deny(`File '${shown}' is read-only (matches '${ro.source}')`, ro.source);
  }
  if (files.allow) {
    // Every view (the path as written and the file it resolves to) must be allowed.
    const admitted = (v: PathView): boolean => {
      if (firstMatch(files.allow!, [v], 'allow')) return true;
      if (READ_ONLY_ADMITS.has(tool) && firstMatch(files.readOnly, [v], 'allow')) return true;
      if (isSearch) {
        if (v.rel === '.') return true;
        return firstMatch(files.allow!, [viewPath(`${v.abs}/aflock-probe-child`, ctx.root)], 'allow') !== undefined;
      }
      return false;
    };
    const refused = views.find((v) => !admitted(v));
    if (refused) return deny(`File '${refused.abs}' not in allow list`);
  }
  return null;
}

/** What data flow says about an allowed call: refuse it, and/or the labels it adds to the session. */
export interface FlowResult {
  readonly denied?: { reason: string; rule: string };
  readonly newLabels: { label: string; source: string }[];
}

export function flowCheck(policy: CompiledPolicy, call: ToolCall, held: ReadonlySet<string>, ctx: EvalContext): FlowResult {
  const df = policy.dataFlow;
  if (!df) return { newLabels: [] };
  const { tool, input } = call;
  const subject = subjectOf(tool, input);
  const role = flowRole(tool);
  const views = [{ tool, subject }];
  // A relative path names the file under the working directory (the project root by default), for labels as for
  // rules: `Read:**/secrets/**` labels `secrets/key` as it labels `/project/secrets/key`.
  if (FILE_TOOLS.has(tool) && subject !== '' && !subject.startsWith('/')) views.push({ tool, subject: resolvePath(subject, ctx.cwd ?? ctx.root) });
  const newLabels: { label: string; source: string }[] = [];
  const sinkViews: { tool: string; subject: string }[] = [];
  if (tool === 'Bash') {
    const a = analyzeBash(subject);
    for (const c of a.commands) views.push({ tool, subject: c.text });
    const read = new Set<string>();
    const labelled = (abs: string) => labelsFor(df, [{ tool: 'Read', subject: abs }]);
    for (const f of a.files) {
      if (f.path === '' || IGNORED_PATHS.has(f.path)) continue;
      const abs = resolvePath(f.path, ctx.cwd ?? ctx.root);
      // Files a command reads are sources, as if read with Read; files it writes are sinks, as if written with
      // Write (`Write:**/public/**` names `cp x public/` and `> public/x`).
      if (f.mode === 'read') read.add(abs);
      // A write into a directory operand (`cp x public/`) writes inside it.
      else sinkViews.push({ tool: 'Write', subject: abs }, { tool: 'Write', subject: `${abs}/aflock-probe-child` });
    }
    for (const abs of read) for (const label of labelled(abs)) newLabels.push({ label, source: `Bash:${abs}` });
    // An argument of any command that names a path is a read of it for labels (look, ptx, a tool no table knows),
    // as for file rules (namedDeniedPath). The path is resolved only when a Read pattern would label it.
    if (ctx.realpath) {
      const named = (p: string) => {
        const abs = resolvePath(p, ctx.cwd ?? ctx.root);
        if (read.has(abs)) return;
        read.add(abs);
        const labels = labelled(abs);
        if (labels.length > 0 && ctx.realpath!(abs) !== null) for (const label of labels) newLabels.push({ label, source: `Bash:${abs}` });
      };
      for (const c of a.commands) {
        if (namesOnly(c.name)) continue;
        c.args.forEach((arg, i) => {
          if (!c.dynamicArgs.includes(i)) for (const p of argumentPaths(arg)) named(p);
        });
      }
      // Paths named in code a command runs are reads for labels too (as for file rules: checkBashFiles).
      for (const code of a.code ?? []) for (const p of codePaths(code.text)) named(p);
    }
  }
  const labels = labelsFor(df, views);
  const sinkLabels = [...new Set([...labels, ...labelsFor(df, sinkViews)])];
  if (role.source) for (const label of labels) if (tool !== 'Bash') newLabels.push({ label, source: `${tool}:${subject}` });
  if (role.sink && sinkLabels.length > 0) {
    const effective = new Set(held);
    for (const l of newLabels) effective.add(l.label);
    const rule = violatedRule(df, effective, sinkLabels);
    if (rule) {
      const sinkLabel = rule.sink === '*' ? sinkLabels[0] : rule.sink;
      const reason = rule.message ?? `Data flow violation: ${rule.source} data cannot be written to ${sinkLabel} destination (${tool}:${subject})`;
      return { denied: { reason, rule: rule.text }, newLabels: [] };
    }
  }
  return { newLabels: newLabels.filter((l) => !held.has(l.label)) };
}
