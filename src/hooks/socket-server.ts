// The live server's side of command hooks (`aflock-mcp hook EVENT`, for hosts without mcp_tool hooks and for
// sessions started in a subdirectory): one request per connection, one JSON line each way, decided by the same
// HookResponder as the mcp_tool hook. Started when CLAUDE_CODE_SESSION_ID is set; the socket is removed at exit.
import { connect, createServer, type Server } from 'node:net';
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { log } from '../log.ts';
import type { HookResponder } from './answer.ts';
import { HookInputError, parseHookCall } from './protocol.ts';
import { ensureSocketDir, hookSocketPath } from './socket-path.ts';

/** Write's content rides in tool_input; past this the request is refused (the hook then denies). */
export const MAX_REQUEST_BYTES = 24 * 1024 * 1024;
const REQUEST_TIMEOUT_MS = 30_000;

export interface HookSocket {
  readonly path: string;
  close(): void;
}

export async function listenHookSocket(responder: HookResponder, sessionId: string): Promise<HookSocket | null> {
  const path = hookSocketPath(sessionId);
  if (!path) {
    log(`command hooks: no socket for session id ${JSON.stringify(sessionId.slice(0, 80))} (not an id, or the path is too long)`);
    return null;
  }
  const problem = ensureSocketDir(dirname(path));
  if (problem) {
    log(`command hooks: not listening: ${problem}`);
    return null;
  }
  let existing = false;
  try {
    existing = lstatSync(path).isSocket();
  } catch {
    // not there
  }
  if (existing) {
    // Another live server of this session keeps its socket (its records would otherwise be split); a dead one's goes.
    if (await answers(path)) {
      log(`command hooks: another live server of this session already listens on ${path}; not taking it over`);
      return null;
    }
    unlinkSync(path);
  }
  const server: Server = createServer((conn) => {
    let size = 0;
    const chunks: Buffer[] = [];
    conn.setTimeout(REQUEST_TIMEOUT_MS, () => conn.destroy());
    conn.on('error', () => undefined);
    conn.on('data', (d: Buffer) => {
      size += d.length;
      if (size > MAX_REQUEST_BYTES) {
        conn.end(`${JSON.stringify({ error: 'request too large' })}\n`);
        conn.destroy();
        return;
      }
      chunks.push(d);
      const nl = d.indexOf(0x0a);
      if (nl < 0) return;
      conn.pause();
      const line = Buffer.concat(chunks).toString('utf8');
      void answer(responder, line.slice(0, line.indexOf('\n'))).then((out) => conn.end(`${out}\n`));
    });
  });
  const ok = await new Promise<boolean>((resolve) => {
    server.once('error', (e) => {
      log(`command hooks: cannot listen on ${path}: ${(e as Error).message}`);
      resolve(false);
    });
    server.listen(path, () => resolve(true));
  });
  if (!ok) return null;
  try {
    chmodSync(path, 0o600);
  } catch {
    // the directory's mode already keeps others out
  }
  server.unref();
  const cleanup = () => {
    try {
      unlinkSync(path);
    } catch {
      // gone
    }
  };
  process.once('exit', cleanup);
  return {
    path,
    close() {
      server.close();
      cleanup();
    },
  };
}

/** Whether something accepts connections on the socket (a live server), within a short time. */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect(path);
    const done = (live: boolean) => {
      c.destroy();
      resolve(live);
    };
    c.setTimeout(500, () => done(true));
    c.on('connect', () => done(true));
    c.on('error', () => done(false));
  });
}

/** One request line -> one answer line: {"answer": <hook output>} or {"error": "..."}. */
async function answer(responder: HookResponder, line: string): Promise<string> {
  try {
    const req = JSON.parse(line) as { event?: unknown; input?: unknown };
    const call = parseHookCall(req.input, typeof req.event === 'string' ? req.event : undefined);
    return JSON.stringify({ answer: await responder.answer(call) });
  } catch (e) {
    if (e instanceof HookInputError || e instanceof SyntaxError) return JSON.stringify({ error: `invalid hook input: ${e.message}` });
    log(`command hooks: internal error: ${(e as Error).message}`);
    return JSON.stringify({ error: 'internal error' });
  }
}
