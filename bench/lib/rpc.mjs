// A minimal JSON-RPC-over-stdio client for the benchmarks: newline-delimited messages, one pending map, timing taken
// with performance.now() around each exchange. No SDK client on purpose: its own overhead would be measured too.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export const PROTOCOL_VERSION = '2025-06-18';

export class StdioClient {
  /** cmd/args/env/cwd: what to spawn. t0: performance.now() taken just before spawn (for cold start). */
  constructor(cmd, args, { env, cwd } = {}) {
    this.t0 = performance.now();
    this.child = spawn(cmd, args, { env, cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    this.pid = this.child.pid;
    this.stderr = '';
    this.buf = '';
    this.nextId = 1;
    this.pending = new Map();
    this.child.stderr.on('data', (d) => {
      if (this.stderr.length < 64 * 1024) this.stderr += d;
    });
    this.child.stdout.on('data', (d) => this.#onData(d));
    this.child.stdin.on('error', () => undefined);
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve(code ?? signal)));
    this.exited.then(() => {
      for (const p of this.pending.values()) p.reject(new Error(`server exited before answering; stderr:\n${this.stderr.slice(-2000)}`));
      this.pending.clear();
    });
  }

  #onData(chunk) {
    this.buf += chunk;
    let nl;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      if (!line.trim()) continue;
      const msg = JSON.parse(line);
      if (msg.id === undefined || msg.method) {
        // A notification, or a request from the server (roots/list, elicitation): answer requests with an error.
        if (msg.method && msg.id !== undefined) this.#send({ jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: 'not supported by the bench client' } });
        continue;
      }
      const p = this.pending.get(msg.id);
      if (!p) continue;
      this.pending.delete(msg.id);
      const at = performance.now();
      if (msg.error) p.reject(Object.assign(new Error(msg.error.message), { rpc: msg.error }));
      else p.resolve({ result: msg.result, at });
    }
  }

  #send(msg) {
    this.child.stdin.write(JSON.stringify(msg) + '\n');
  }

  /** Sends a request; resolves {result, ms} with ms from just before the write to the parsed response. */
  async request(method, params, timeoutMs = 30_000) {
    const id = this.nextId++;
    const started = performance.now();
    const done = new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${method} timed out after ${timeoutMs} ms; stderr:\n${this.stderr.slice(-2000)}`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => (clearTimeout(timer), resolve(v)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
    });
    this.#send({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) });
    const { result, at } = await done;
    return { result, ms: at - started };
  }

  notify(method, params) {
    this.#send({ jsonrpc: '2.0', method, ...(params === undefined ? {} : { params }) });
  }

  /** initialize + notifications/initialized. Returns the initialize round trip and the time since spawn. */
  async initialize() {
    const { result, ms } = await this.request('initialize', {
      protocolVersion: PROTOCOL_VERSION,
      capabilities: {},
      clientInfo: { name: 'aflock-bench', version: '0' },
    });
    const sinceSpawn = performance.now() - this.t0;
    this.notify('notifications/initialized');
    return { result, ms, sinceSpawn };
  }

  /** tools/call; throws if the result is not what `expectError` says. Returns the round trip in ms. */
  async call(name, args, { expectError = false } = {}) {
    const { result, ms } = await this.request('tools/call', { name, arguments: args });
    if (Boolean(result.isError) !== expectError) {
      throw new Error(`${name} ${JSON.stringify(args).slice(0, 200)}: expected ${expectError ? 'an error' : 'success'}, got ${JSON.stringify(result).slice(0, 400)}`);
    }
    return { result, ms };
  }

  /** Resident set size in KiB from /proc/<pid>/status (VmRSS), or null. */
  rssKiB() {
    try {
      const m = readFileSync(`/proc/${this.pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+)\s+kB/m);
      return m ? Number(m[1]) : null;
    } catch {
      return null;
    }
  }

  /** Closes stdin and waits for the exit; kills after `graceMs`. */
  async close(graceMs = 3000) {
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}
