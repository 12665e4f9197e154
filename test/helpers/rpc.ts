// A small JSON-RPC client over a spawned server's stdin/stdout pipes, with a timeout on every request
// (uvu has none). Used by the smoke and conformance suites; the SDK client is exercised separately.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const BUNDLE = resolve('dist/aflock-mcp.cjs');

/**
 * How to start the server under test: AFLOCK_SERVER_CMD="deno run --no-prompt -A dist/aflock-mcp.mjs" switches legs
 * (a JSON array of strings also works, for paths with spaces; test/run.mjs sets that).
 */
export function serverCommand(): string[] {
  const custom = process.env.AFLOCK_SERVER_CMD;
  if (!custom) return [process.execPath, BUNDLE];
  if (custom.trimStart().startsWith('[')) return JSON.parse(custom) as string[];
  return custom.split(' ').filter(Boolean);
}

/** Which server the smoke suites are talking to: 'node' (the bundle), 'sea' (the executable) or 'deno'. */
export function testLeg(): 'node' | 'sea' | 'deno' {
  const leg = process.env.AFLOCK_TEST_LEG;
  return leg === 'sea' || leg === 'deno' ? leg : 'node';
}

// Every directory tempDir() hands out is removed when the test process exits (uvu runs every suite of a leg in one
// process), so a run leaves nothing in the temp directory even when a test fails half-way. Servers still running
// then are killed first so none writes into a directory being removed.
// Each suite is bundled with its own copy of this module, so the list and the one exit hook live on globalThis.
interface Cleanup {
  dirs: string[];
  servers: Set<{ kill(): void }>;
}
const CLEANUP = Symbol.for('aflock-test-cleanup');
const shared = globalThis as typeof globalThis & { [CLEANUP]?: Cleanup };
const cleanup: Cleanup = (shared[CLEANUP] ??= (() => {
  const c: Cleanup = { dirs: [], servers: new Set() };
  process.on('exit', () => {
    for (const s of c.servers) s.kill();
    for (const d of c.dirs.splice(0)) {
      try {
        rmSync(d, { recursive: true, force: true });
      } catch {
        // A directory a test made read-only: leave it rather than fail the run at exit.
      }
    }
  });
  return c;
})());
const createdDirs = cleanup.dirs;
const liveServers = cleanup.servers;

/** test/run.mjs tags the run's directories so it can check, after each leg, that none was left behind. */
const RUN_TAG = process.env.AFLOCK_TEST_RUN_TAG ?? '';

export function tempDir(prefix = 'aflock-test-'): string {
  const d = realpathSync(mkdtempSync(join(tmpdir(), `${prefix}${RUN_TAG}`)));
  createdDirs.push(d);
  return d;
}

export interface ToolResult {
  isError?: boolean;
  content: { type: string; text: string }[];
  structuredContent?: Record<string, unknown>;
}

export class RpcServer {
  readonly child: ChildProcessWithoutNullStreams;
  stderr = '';
  private buf = '';
  private nextId = 1;
  private pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  readonly exited: Promise<number | null>;
  readonly notifications: any[] = [];
  /** Responses to no request of ours: errors with id null, answers to lines written with writeRaw. */
  readonly unmatched: any[] = [];
  onRequest?: (msg: any) => any;

  constructor(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; command?: string[] } = {}) {
    const [cmd, ...pre] = opts.command ?? serverCommand();
    this.child = spawn(cmd, [...pre, ...args], { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.on('data', (d) => (this.stderr += d));
    this.child.stdout.on('data', (d) => this.onData(String(d)));
    liveServers.add(this);
    this.exited = new Promise((r) => this.child.on('exit', (code) => { liveServers.delete(this); r(code); }));
    this.child.stdin.on('error', () => undefined);
  }

  private onData(chunk: string) {
    this.buf += chunk;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      if (!line.trim()) continue;
      const msg = JSON.parse(line);
      if (msg.id !== undefined && msg.method && this.onRequest) {
        Promise.resolve(this.onRequest(msg)).then((result) => this.send({ jsonrpc: '2.0', id: msg.id, result }));
        continue;
      }
      if (msg.id === undefined) {
        this.notifications.push(msg);
        continue;
      }
      const p = this.pending.get(msg.id);
      if (!p) {
        this.unmatched.push(msg);
        continue;
      }
      this.pending.delete(msg.id);
      clearTimeout(p.timer);
      if (msg.error) p.reject(Object.assign(new Error(msg.error.message), { rpc: msg.error }));
      else p.resolve(msg.result);
    }
  }

  send(msg: unknown) {
    this.child.stdin.write(`${JSON.stringify(msg)}\n`);
  }

  /** Writes bytes as they are (a line that is not JSON, a message larger than any limit); resolves once written. */
  writeRaw(data: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.child.stdin.write(data, (e) => (e ? reject(e) : resolve())));
  }

  /** Waits for an unmatched response that satisfies `match`. */
  async waitUnmatched(match: (msg: any) => boolean, timeoutMs = 20000): Promise<any> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.unmatched.find(match);
      if (hit) return hit;
      if (Date.now() > end) throw new Error(`no matching response after ${timeoutMs} ms; got ${JSON.stringify(this.unmatched).slice(0, 500)}; stderr: ${this.stderr.slice(-500)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  request(method: string, params: unknown = {}, timeoutMs = 10000): Promise<any> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${method} timed out after ${timeoutMs} ms; stderr: ${this.stderr}`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.send({ jsonrpc: '2.0', id, method, params });
    });
  }

  async initialize(capabilities: Record<string, unknown> = {}): Promise<any> {
    const r = await this.request('initialize', { protocolVersion: '2025-06-18', capabilities, clientInfo: { name: 'aflock-test', version: '1' } });
    this.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    return r;
  }

  call(name: string, args: Record<string, unknown> = {}, timeoutMs?: number): Promise<ToolResult> {
    return this.request('tools/call', { name, arguments: args }, timeoutMs);
  }

  /** Closes stdin and waits for exit. */
  async close(): Promise<number | null> {
    this.child.stdin.end();
    return this.exited;
  }

  kill() {
    this.child.kill('SIGKILL');
  }
}

export function text(r: ToolResult): string {
  return r.content.map((c) => c.text).join('');
}

export function json(r: ToolResult): any {
  return JSON.parse(text(r));
}

/** Runs the CLI to completion: exit code, stdout, stderr. */
export function runCli(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const [cmd, ...pre] = serverCommand();
  return new Promise((resolvePromise) => {
    const child = spawn(cmd, [...pre, ...args], { cwd: opts.cwd, env: opts.env ?? process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolvePromise({ code, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}

/** Waits for an HTTP-mode server's `listening on http://127.0.0.1:<port>/mcp` line; rejects if it exits first. */
export function listeningPort(child: import('node:child_process').ChildProcess, onStderr: (all: string) => void = () => undefined): Promise<number> {
  let stderr = '';
  return new Promise<number>((resolvePort, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), 15000);
    child.stderr!.on('data', (d) => {
      stderr += d;
      onStderr(stderr);
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)\/mcp/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolvePort(Number(m[1]));
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited ${code}: ${stderr}`));
    });
  });
}

/** The predicates of a session's signed action records, in order (decoded from the DSSE envelopes). */
export function actionPredicates(auditDir: string): any[] {
  const dir = join(auditDir, 'attestations');
  return readdirSync(dir)
    .sort()
    .map((f) => JSON.parse(Buffer.from(JSON.parse(readFileSync(join(dir, f), 'utf8')).payload, 'base64').toString('utf8')))
    .filter((st) => st.predicateType === 'https://aflock.ai/attestations/action/v0.1')
    .map((st) => st.predicate);
}
