// Streamable HTTP on 127.0.0.1, for clients that cannot spawn us. Any local process can open a TCP connection, so
// nothing here trusts the connection, the session id or the order of requests:
//   1. per connection (Linux): the client socket's owner, read from /proc/net/tcp, must be our uid, else the
//      connection is destroyed before a byte of it is parsed (src/auth/peer.ts);
//   2. per request, before anything else: Host must be 127.0.0.1:<port> or localhost:<port>, and Origin, when
//      present, http://127.0.0.1:<port> or http://localhost:<port> (DNS rebinding), else 403;
//   3. per request: every message but initialize, notifications/initialized, tools/list and a token-less get_token
//      (the bootstrap) needs a token (Authorization: Bearer, or a `_token` argument), verified on every request
//      (signature, expiry, revocation), else 401 with WWW-Authenticate: Bearer;
//   4. the token-less get_token must carry the one-time bootstrap secret (src/auth/bootstrap.ts, tools/token.ts).
// One ServerContext (session, policy, token authority, trail) is shared by every HTTP session; each HTTP session gets
// its own McpServer and transport. Plain node:http rather than express keeps the bundle small.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { ServerContext } from '../context.ts';
import type { LoadedPolicy } from '../policy/load.ts';
import { BootstrapSecret, ConfigError } from '../auth/bootstrap.ts';
import { PeerCheck } from '../auth/peer.ts';
import { buildServer } from '../server.ts';
import { createContext, drained, killChildren } from '../startup.ts';
import type { TokenCaller } from '../tools/token.ts';
import { log } from '../log.ts';
import { MAX_JSON_DEPTH, MAX_MESSAGE_BYTES, nestsDeeperThan } from './lines.ts';

export const HTTP_HOST = '127.0.0.1';
export const MCP_PATH = '/mcp';
/** The message limit of every transport (transport/lines.ts): write_file's 8 MiB at its worst JSON escaping fits. */
const MAX_BODY_BYTES = MAX_MESSAGE_BYTES;
/**
 * A client gets this long to send a request's headers, and this long for the whole request: a local client sends
 * both in milliseconds, so a slower one (a byte every few seconds) is holding a connection open, and is dropped.
 * Node checks every CONNECTIONS_CHECK_MS.
 */
export const HEADERS_TIMEOUT_MS = 5_000;
export const REQUEST_TIMEOUT_MS = 60_000;
const CONNECTIONS_CHECK_MS = 1_000;
const MAX_SESSIONS = 256;
const SESSION_IDLE_MS = 30 * 60_000;
const DRAIN_MS = 2000;
/** Tools whose schema takes `_token`: a Bearer token is passed to them as that argument. */
const TOKEN_ARG_TOOLS = new Set(['bash', 'read_file', 'write_file', 'sign_attestation', 'get_token']);
const REALM = 'aflock-mcp';

export interface HttpHandle {
  readonly port: number;
  readonly peerCheck: boolean;
  /** Per-connection peer check cost so far. */
  peerStats(): { tableReads: number; checked: number; dropped: number; meanMicros: number; maxMicros: number };
  close(): Promise<void>;
}

interface PeerEntry {
  uid: number;
  inode: number;
  process?: { pid: number; startTime: string } | null;
}

interface HttpSession {
  transport: StreamableHTTPServerTransport;
  server: McpServer;
  lastSeen: number;
}

type Json = Record<string, unknown>;

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return void res.end();
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function rpcError(code: number, message: string, id: unknown = null): Json {
  return { jsonrpc: '2.0', error: { code, message }, id: typeof id === 'string' || typeof id === 'number' ? id : null };
}

function messagesOf(body: unknown): Json[] {
  const list = Array.isArray(body) ? body : body === undefined ? [] : [body];
  return list.filter((m): m is Json => typeof m === 'object' && m !== null);
}

function toolCall(msg: Json): { name: unknown; args: Json | undefined } | null {
  if (msg.method !== 'tools/call' || typeof msg.params !== 'object' || msg.params === null) return null;
  const params = msg.params as Json;
  const args = typeof params.arguments === 'object' && params.arguments !== null && !Array.isArray(params.arguments) ? (params.arguments as Json) : undefined;
  return { name: params.name, args };
}

function nonEmptyString(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0;
}

/** Messages that may come without a token. A get_token without one is the bootstrap, judged by its handler. */
function exempt(msg: Json, bearer: string | undefined): boolean {
  if (msg.method === 'initialize' || msg.method === 'tools/list') return 'id' in msg;
  if (msg.method === 'notifications/initialized') return !('id' in msg);
  const call = toolCall(msg);
  return !!call && call.name === 'get_token' && !bearer && !nonEmptyString(call.args?._token);
}

/**
 * The request body, or 'too large' as soon as it passes MAX_BODY_BYTES. The rest of a body that is too large is read
 * and dropped (within REQUEST_TIMEOUT_MS) rather than reset, so the client reads the 413 instead of ECONNRESET.
 */
function readBody(req: IncomingMessage): Promise<Buffer | 'too large'> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) {
      req.resume(); // drop it
      resolve('too large');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        chunks.length = 0;
        req.off('data', onData);
        req.resume(); // drop the rest
        resolve('too large');
        return;
      }
      chunks.push(c);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Starts serving MCP over HTTP on 127.0.0.1:`port` (0 = any) with `ctx`. `peer` null disables the peer check. */
export async function startHttpServer(ctx: ServerContext, opts: { port: number; peer: PeerCheck | null }): Promise<HttpHandle> {
  const check = opts.peer;
  const peers = new WeakMap<Socket, PeerEntry>();
  const sessions = new Map<string, HttpSession>();
  const stats = { checked: 0, dropped: 0, totalNs: 0n, maxNs: 0n };
  let port = opts.port;
  let allowedHosts = new Set<string>();
  let allowedOrigins = new Set<string>();

  const dropLog = (msg: string) => {
    if (stats.dropped <= 20 || stats.dropped % 100 === 0) log(`${msg}${stats.dropped > 20 ? ` (${stats.dropped} dropped so far)` : ''}`);
  };

  const server = createServer({
    keepAliveTimeout: 5000,
    headersTimeout: HEADERS_TIMEOUT_MS,
    requestTimeout: REQUEST_TIMEOUT_MS,
    connectionsCheckingInterval: CONNECTIONS_CHECK_MS,
  });
  // With the peer check, a plain net server accepts connections paused (pauseOnConnect: nothing is read from them)
  // and hands each one to the HTTP server ('connection' may be emitted by users for exactly this) only once its
  // owner is known to be us. Without it, the HTTP server listens itself.
  const admit = (socket: Socket) => {
    const t0 = process.hrtime.bigint();
    const client = { address: socket.remoteAddress ?? '', port: socket.remotePort ?? -1 };
    socket.on('error', () => undefined); // until the HTTP server takes it over
    void check!.lookup(client, { address: socket.localAddress ?? '', port: socket.localPort ?? -1 }).then((r) => {
      const ns = process.hrtime.bigint() - t0;
      stats.checked++;
      stats.totalNs += ns;
      if (ns > stats.maxNs) stats.maxNs = ns;
      if (!r.ok || r.uid !== check!.uid) {
        stats.dropped++;
        dropLog(`dropped a connection from ${client.address}:${client.port}: ${r.ok ? `its socket belongs to uid ${r.uid}, not ours (${check!.uid})` : r.reason}`);
        socket.destroy();
        return;
      }
      if (socket.destroyed || listener.listening === false) return void socket.destroy();
      peers.set(socket, { uid: r.uid, inode: r.inode });
      server.emit('connection', socket);
      socket.resume();
    });
  };
  const listener: NetServer = check ? createNetServer({ pauseOnConnect: true }, admit) : server;

  const callerOf = (socket: Socket): TokenCaller => {
    const peer = peers.get(socket);
    const address = socket.remoteAddress ?? '';
    const remotePort = socket.remotePort;
    return {
      source: `${address}|uid:${peer ? peer.uid : 'unknown'}`,
      describe: () => {
        if (peer && peer.process === undefined && check) peer.process = check.findProcess(peer.inode);
        return {
          transport: 'http',
          address,
          port: remotePort,
          ...(peer ? { uid: peer.uid, ...(peer.process ? { pid: peer.process.pid, pidStartTime: peer.process.startTime } : {}) } : { uid: 'unchecked' }),
        };
      },
    };
  };

  const unauthorized = (res: ServerResponse, reason: string, id: unknown, error?: 'invalid_token' | 'invalid_request') => {
    const challenge = error ? `Bearer realm="${REALM}", error="${error}", error_description="${reason.replace(/["\\]/g, "'")}"` : `Bearer realm="${REALM}"`;
    sendJson(res, 401, rpcError(-32001, `Unauthorized: ${reason}`, id), { 'www-authenticate': challenge });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // 1. DNS rebinding: Host and Origin before anything else.
    const host = req.headers.host?.toLowerCase();
    if (!host || !allowedHosts.has(host)) return sendJson(res, 403, rpcError(-32000, 'Forbidden: Host header is not 127.0.0.1 or localhost with our port'));
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedOrigins.has(origin.toLowerCase())) return sendJson(res, 403, rpcError(-32000, 'Forbidden: Origin is not http://127.0.0.1 or http://localhost with our port'));
    if (check && !peers.has(req.socket)) return sendJson(res, 403, rpcError(-32000, 'Forbidden: connection owner unknown'));

    const path = (req.url ?? '').split('?')[0];
    if (path !== MCP_PATH) return sendJson(res, 404, rpcError(-32000, `Not found: the MCP endpoint is ${MCP_PATH}`));
    if (req.method !== 'POST' && req.method !== 'GET' && req.method !== 'DELETE') {
      return sendJson(res, 405, rpcError(-32000, 'Method not allowed'), { allow: 'GET, POST, DELETE' });
    }

    let body: unknown;
    if (req.method === 'POST') {
      const raw = await readBody(req);
      if (raw === 'too large') return sendJson(res, 413, rpcError(-32600, `Invalid Request: the body is larger than the limit of ${MAX_BODY_BYTES} bytes (${MAX_BODY_BYTES / (1024 * 1024)} MiB) per message`));
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        return sendJson(res, 400, rpcError(-32700, 'Parse error: the body is not JSON'));
      }
      if ((Array.isArray(body) ? body : [body]).some((m) => nestsDeeperThan(m, MAX_JSON_DEPTH))) {
        return sendJson(res, 400, rpcError(-32600, `Invalid Request: the body nests objects/arrays more than ${MAX_JSON_DEPTH} levels deep (the limit)`));
      }
    }
    const messages = messagesOf(body);
    const firstId = messages.length === 1 ? messages[0].id : null;

    // 2. Authentication, on every request: the session id proves nothing.
    let bearer: string | undefined;
    const authz = req.headers.authorization;
    if (authz !== undefined) {
      const m = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i.exec(authz);
      if (!m) return unauthorized(res, 'the Authorization header must be "Bearer <token>"', firstId, 'invalid_request');
      bearer = m[1];
    }
    const presented = new Set<string>(bearer ? [bearer] : []);
    let missing = req.method !== 'POST' && !bearer; // GET (event stream) and DELETE (end session) need a token too
    for (const msg of messages) {
      const arg = toolCall(msg)?.args?._token;
      if (nonEmptyString(arg)) presented.add(arg);
      else if (!bearer && !exempt(msg, bearer)) missing = true;
    }
    if (missing) return unauthorized(res, 'this request needs a token (Authorization: Bearer <token>); get one with get_token', firstId);
    for (const token of presented) {
      const v = await ctx.tokens.verify(token);
      if (!v.ok) return unauthorized(res, v.reason, firstId, 'invalid_token');
    }

    // 3. A Bearer token reaches the tool handlers as their _token argument, where the gate checks its scope.
    if (bearer) {
      for (const msg of messages) {
        const call = toolCall(msg);
        if (!call || !TOKEN_ARG_TOOLS.has(call.name as string)) continue;
        const args = call.args ?? ((msg.params as Json).arguments = {} as Json);
        if (args._token === undefined && !(call.name === 'get_token' && args._bootstrap !== undefined)) args._token = bearer;
      }
    }
    const auth: AuthInfo = { token: '', clientId: 'aflock-http', scopes: [], extra: { caller: callerOf(req.socket) } };
    (req as IncomingMessage & { auth?: AuthInfo }).auth = auth;

    // 4. Route to the HTTP session.
    const sid = req.headers['mcp-session-id'];
    if (typeof sid === 'string') {
      const s = sessions.get(sid);
      if (!s) return sendJson(res, 404, rpcError(-32001, 'Session not found', firstId));
      s.lastSeen = Date.now();
      return s.transport.handleRequest(req, res, body);
    }
    if (req.method === 'POST' && messages.some((m) => m.method === 'initialize')) {
      if (sessions.size >= MAX_SESSIONS) sweep(Date.now() - 60_000);
      if (sessions.size >= MAX_SESSIONS) return sendJson(res, 503, rpcError(-32000, 'Too many open sessions', firstId), { 'retry-after': '60' });
      const entry = { lastSeen: Date.now() } as HttpSession;
      entry.transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => void sessions.set(id, entry),
        onsessionclosed: (id) => void sessions.delete(id),
      });
      entry.transport.onclose = () => {
        const id = entry.transport.sessionId;
        if (id && sessions.get(id) === entry) sessions.delete(id);
      };
      entry.server = buildServer(ctx);
      await entry.server.connect(entry.transport);
      await entry.transport.handleRequest(req, res, body);
      if (!entry.transport.sessionId) await entry.server.close().catch(() => undefined);
      return;
    }
    return sendJson(res, 400, rpcError(-32000, 'Bad Request: no valid Mcp-Session-Id header; send initialize first', firstId));
  };

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((e) => {
      log(`HTTP request failed: ${(e as Error).message}`);
      sendJson(res, 500, rpcError(-32603, 'Internal error'));
    });
  });

  const sweep = (before: number) => {
    for (const [id, s] of sessions) {
      if (s.lastSeen < before) {
        sessions.delete(id);
        void s.server.close().catch(() => undefined);
      }
    }
  };
  const sweeper = setInterval(() => sweep(Date.now() - SESSION_IDLE_MS), 60_000);
  sweeper.unref();

  await new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => reject(new ConfigError(`cannot listen on ${HTTP_HOST}:${opts.port}: ${e.code ?? e.message}`));
    listener.once('error', onError);
    listener.listen({ host: HTTP_HOST, port: opts.port, exclusive: true }, () => {
      listener.off('error', onError);
      resolve();
    });
  });
  // The HTTP server starts its connection bookkeeping (header/request timeouts, closeIdleConnections) on 'listening'.
  if (listener !== server) server.emit('listening');
  const addr = listener.address();
  port = typeof addr === 'object' && addr ? addr.port : opts.port;
  allowedHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  allowedOrigins = new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`]);

  let closing: Promise<void> | null = null;
  return {
    port,
    peerCheck: !!check,
    peerStats: () => ({
      tableReads: check?.tableReads ?? 0,
      checked: stats.checked,
      dropped: stats.dropped,
      meanMicros: stats.checked ? Number(stats.totalNs / BigInt(stats.checked)) / 1000 : 0,
      maxMicros: Number(stats.maxNs) / 1000,
    }),
    close: () =>
      (closing ??= (async () => {
        clearInterval(sweeper);
        listener.close();
        server.closeIdleConnections();
        await drained(ctx, DRAIN_MS);
        killChildren(ctx);
        await ctx.sandbox.close().catch(() => undefined);
        await new Promise<void>((r) => setImmediate(r)); // let the last responses reach their sockets
        await Promise.all([...sessions.values()].map((s) => s.server.close().catch(() => undefined)));
        sessions.clear();
        server.closeAllConnections();
        if (listener !== server) server.close();
      })()),
  };
}

export interface ServeHttpOptions {
  policy: LoadedPolicy;
  modelFlag?: string;
  port: number;
  /** Path of the bootstrap secret file (flag or AFLOCK_BOOTSTRAP_SECRET_FILE); undefined refuses to start. */
  secretFile: string | undefined;
  noSandbox?: boolean;
}

/** `aflock-mcp serve --http`: resolves with the exit code on SIGTERM/SIGINT. Configuration problems throw ConfigError. */
export async function serveHttp(opts: ServeHttpOptions): Promise<number> {
  if (!opts.secretFile) {
    throw new ConfigError(
      'HTTP mode needs a bootstrap secret: any local process can connect to a TCP port, and the secret is what lets only you obtain the session token. Pass --bootstrap-secret-file PATH or set AFLOCK_BOOTSTRAP_SECRET_FILE (a missing file is created, mode 0600)',
    );
  }
  const bootstrap = BootstrapSecret.load(opts.secretFile);
  if (bootstrap.created) log(`created the bootstrap secret file ${bootstrap.path} (mode 0600); pass its content once as get_token's _bootstrap argument`);
  const ctx = await createContext({ policy: opts.policy, transport: 'http', modelFlag: opts.modelFlag, requireToken: true, bootstrap, noSandbox: opts.noSandbox });
  const probe = PeerCheck.probe();
  let peer: PeerCheck | null = null;
  if (probe instanceof PeerCheck) peer = probe;
  else log(`peer check unavailable: ${probe.unavailable}; any local user who can connect is held off only by the bootstrap secret and tokens`);

  let handle: HttpHandle;
  try {
    handle = await startHttpServer(ctx, { port: opts.port, peer });
  } catch (e) {
    bootstrap.wipe();
    throw e;
  }
  if (peer) {
    const broken = await peer.selfTest(HTTP_HOST, handle.port);
    if (broken) {
      await handle.close();
      bootstrap.wipe();
      throw new ConfigError(`the peer check cannot see our own sockets (${broken}); refusing to serve HTTP with a check that would drop every client`);
    }
  }
  // Signal handlers first, then the "listening" line: a client (or a test) that stops us as soon as it reads that
  // line must find them in place, or the process dies of the signal without draining or wiping the secret.
  let closing = false;
  let exit!: (code: number) => void;
  const exited = new Promise<number>((resolve) => (exit = resolve));
  const shutdown = async (why: string) => {
    if (closing) return;
    closing = true;
    await handle.close();
    bootstrap.wipe();
    const s = handle.peerStats();
    if (peer) log(`peer check: ${s.checked} connections (${s.dropped} dropped) answered by ${s.tableReads} table reads; wait per connection mean ${s.meanMicros.toFixed(0)} us, max ${s.maxMicros.toFixed(0)} us`);
    log(`shutting down (${why})`);
    exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  const p = opts.policy;
  log(`serving HTTP, session ${ctx.session.id}, policy ${p.path ?? 'embedded default'} (root ${p.root})${ctx.trail ? `, trail ${ctx.trail.dir}` : ''}, peer check ${peer ? `on (uid ${peer.uid})` : 'off'}`);
  log(`listening on http://${HTTP_HOST}:${handle.port}${MCP_PATH}`);
  return exited;
}
