// Runs the real Claude Code CLI (npm @anthropic-ai/claude-code, pinned in devDependencies; a native binary inside
// the package) offline against test/e2e/mock-api.ts, in a throwaway HOME and project set up by `aflock-mcp init
// --claude`. Everything it makes is under one temp directory, removed by cleanup().
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PROMPT, startMockApi, type Turn } from './mock-api.ts';
import { tempDir } from '../helpers/rpc.ts';

const CANDIDATES = ['node_modules/@anthropic-ai/claude-code/bin/claude.exe', 'node_modules/@anthropic-ai/claude-code-linux-x64/claude'];

/** The pinned CLI, or why it cannot run here. */
export function findClaude(): { bin: string } | { skip: string } {
  for (const c of CANDIDATES) {
    const bin = resolve(c);
    if (!existsSync(bin)) continue;
    const r = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 30000, env: { ...process.env, DISABLE_AUTOUPDATER: '1' } });
    if (r.status === 0 && /Claude Code/.test(r.stdout)) return { bin };
  }
  return { skip: `the Claude Code CLI is not installed (npm ci installs @anthropic-ai/claude-code from devDependencies); looked for ${CANDIDATES.join(', ')}` };
}

export interface Project {
  work: string;
  home: string;
  root: string;
  aflockHome: string;
  env: NodeJS.ProcessEnv;
}

/** A throwaway HOME and project: `policy` written as .aflock, then `aflock-mcp init --claude` (which keeps it). */
export function makeProject(policy: object, files: Record<string, string>): Project {
  const work = tempDir('aflock-e2e-');
  const home = join(work, 'home');
  const root = join(work, 'proj');
  const aflockHome = join(work, 'aflock-home');
  mkdirSync(home);
  mkdirSync(join(root, 'sub'), { recursive: true });
  spawnSync('git', ['init', '-q', root]);
  writeFileSync(join(root, '.aflock'), JSON.stringify(policy, null, 2), { mode: 0o600 });
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), content);
  }
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, AFLOCK_HOME: aflockHome, XDG_RUNTIME_DIR: work };
  for (const k of ['NODE_OPTIONS', 'CLAUDECODE', 'CLAUDE_CODE_ENTRYPOINT', 'CLAUDE_CODE_SESSION_ID', 'CLAUDE_CONFIG_DIR', 'CLAUDE_PROJECT_DIR', 'ANTHROPIC_AUTH_TOKEN', 'FORCE_COLOR']) delete env[k];
  const init = spawnSync(process.execPath, [resolve('dist/aflock-mcp.cjs'), 'init', '--claude'], { cwd: root, env, encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`init --claude failed: ${init.stderr}`);
  // The user has trusted the project (and its subdirectory): Claude Code reads project allow rules only then.
  const trusted = { hasTrustDialogAccepted: true };
  writeFileSync(join(home, '.claude.json'), JSON.stringify({ projects: { [root]: trusted, [join(root, 'sub')]: trusted } }));
  return { work, home, root, aflockHome, env };
}

export interface SessionResult {
  code: number | null;
  /** tool_result text by the tool_use id the mock gave */
  results: Map<string, { text: string; isError: boolean }>;
  ids: string[];
  stdout: string;
  stderr: string;
  ms: number;
  /** ms per tool turn, as the mock saw it (mock-api.ts) */
  turnMs: number[];
}

function resultText(c: unknown): string {
  if (typeof c === 'string') return c;
  if (Array.isArray(c)) return c.map((b) => (b && typeof b === 'object' && 'text' in b ? String((b as { text: unknown }).text) : JSON.stringify(b))).join('\n');
  return JSON.stringify(c);
}

/** One `claude -p` session scripted by `script`, started in `cwd` (the project root by default). */
export async function runSession(
  bin: string,
  p: Project,
  script: Turn[],
  opts: { cwd?: string; args?: string[]; timeoutMs?: number; env?: NodeJS.ProcessEnv; /** Claude Code's default: MCP tools behind ToolSearch */ toolSearch?: boolean } = {},
): Promise<SessionResult> {
  const api = await startMockApi(script);
  const env: NodeJS.ProcessEnv = {
    ...p.env,
    ...opts.env,
    ANTHROPIC_BASE_URL: api.url,
    ANTHROPIC_API_KEY: 'dummy',
    DISABLE_AUTOUPDATER: '1',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_TELEMETRY: '1',
    ...(opts.toolSearch ? {} : { ENABLE_TOOL_SEARCH: 'false' }),
  };
  const started = performance.now();
  const args = ['-p', PROMPT, '--output-format', 'stream-json', '--verbose', ...(opts.args ?? [])];
  const child = spawn(bin, args, { cwd: opts.cwd ?? p.root, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // gone
    }
  }, opts.timeoutMs ?? 90_000);
  const code = await new Promise<number | null>((r) => child.on('close', r));
  clearTimeout(timer);
  try {
    process.kill(-child.pid!, 'SIGKILL'); // the MCP server and anything else Claude Code left behind
  } catch {
    // all gone
  }
  await api.close();
  const results = new Map<string, { text: string; isError: boolean }>();
  for (const line of stdout.split('\n')) {
    if (!line.trim()) continue;
    let m: { type?: string; message?: { content?: unknown } };
    try {
      m = JSON.parse(line);
    } catch {
      continue;
    }
    if (m.type !== 'user' || !Array.isArray(m.message?.content)) continue;
    for (const b of m.message!.content as { type: string; tool_use_id: string; content: unknown; is_error?: boolean }[]) {
      if (b.type === 'tool_result') results.set(b.tool_use_id, { text: resultText(b.content), isError: b.is_error === true });
    }
  }
  return { code, results, ids: api.toolUses.map((t) => t.id), stdout, stderr, ms: performance.now() - started, turnMs: api.turnMs };
}

export function cleanup(p: Project): void {
  rmSync(p.work, { recursive: true, force: true });
}

export function sessionDirs(p: Project): string[] {
  const d = join(p.aflockHome, 'sessions');
  return existsSync(d) ? readdirSync(d).map((s) => join(d, s)) : [];
}

export function read(p: string): string {
  return readFileSync(p, 'utf8');
}
