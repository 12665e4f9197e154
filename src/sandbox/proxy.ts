// The network proxy of the sandbox: the only way out of a sandboxed command (it runs in a network namespace of its
// own, with no interface but loopback). It listens on a Unix socket that is bound into the sandbox, speaks HTTP
// CONNECT (https, and any TCP protocol a client tunnels) and plain absolute-URI HTTP, and decides each connection:
//   1. the host, in its canonical spelling (address.ts), against `domains` (deny wins, then the allow list);
//   2. the address actually connected to: names are resolved here, once, and every address is checked; an address
//      that is not on the public internet (loopback, private, link-local, ...) is refused unless the policy's allow
//      list names that host exactly (no wildcard), so neither DNS tricks nor `--resolve`/`--connect-to` reach
//      the inside of the machine or the network;
//   3. the connection goes to the checked address, never to a second resolution of the name.
// It holds no policy logic of its own: the rules come compiled from src/policy/domains.ts.
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { lookup } from 'node:dns/promises';
import type { Duplex } from 'node:stream';
import { checkHost, type DomainRules } from '../policy/domains.ts';
import { canonicalHost, isPublicAddress } from './address.ts';

export interface ProxyDecision {
  host: string;
  port: number;
  allowed: boolean;
  reason: string;
  address?: string;
}

export interface ProxyOptions {
  /** Compiled `domains` of the policy; null when the policy has no `domains` section (any public host). */
  rules: DomainRules | null;
  /** Called once per connection attempt, allowed or refused (for logs and tests). */
  onDecision?: (d: ProxyDecision) => void;
  /** Resolver, replaceable in tests; defaults to the system resolver. */
  resolve?: (host: string) => Promise<string[]>;
}

type Target = { ok: true; host: string; port: number; address: string } | { ok: false; host: string; port: number; reason: string };

async function systemResolve(host: string): Promise<string[]> {
  const all = await lookup(host, { all: true, verbatim: true });
  return all.map((a) => a.address);
}

/** Whether an allow pattern names `host` literally (no wildcard): only such hosts may be non-public addresses. */
function namedExactly(rules: DomainRules | null, host: string): boolean {
  if (!rules?.allow) return false;
  return rules.allow.some((r) => !/[*?[{]/.test(r.source) && r.glob.matches(host));
}

/** Decides one target: canonical host, domain rules, resolution, address class. Never throws. */
export async function decideTarget(opts: ProxyOptions, rawHost: string, port: number, scheme: 'http' | 'https'): Promise<Target> {
  const canon = canonicalHost(rawHost);
  if (!canon.ok) return { ok: false, host: rawHost, port, reason: canon.reason };
  const host = canon.host;
  if (!(port > 0 && port < 65536)) return { ok: false, host, port, reason: `invalid port ${port}` };
  if (opts.rules) {
    const verdict = checkHost(opts.rules, { ok: true, host, scheme }, `${host}:${port}`);
    if (!verdict.ok) return { ok: false, host, port, reason: verdict.reason };
  }
  let addresses: string[];
  if (canon.ip) addresses = [host];
  else {
    try {
      addresses = await (opts.resolve ?? systemResolve)(host);
    } catch (e) {
      return { ok: false, host, port, reason: `cannot resolve ${host}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
    }
  }
  if (addresses.length === 0) return { ok: false, host, port, reason: `${host} has no address` };
  const exact = namedExactly(opts.rules, host);
  for (const a of addresses) {
    if (!exact && !isPublicAddress(a)) {
      return { ok: false, host, port, reason: `${host} resolves to ${a}, which is not a public address (name the host exactly in domains.allow to reach it)` };
    }
  }
  return { ok: true, host, port, address: addresses[0] };
}

function splitHostPort(authority: string, defaultPort: number): { host: string; port: number } | null {
  const m = authority.match(/^\[([^\]]+)\](?::(\d{1,5}))?$/) ?? authority.match(/^([^:]+)(?::(\d{1,5}))?$/);
  if (!m) return null;
  return { host: m[1], port: m[2] ? Number(m[2]) : defaultPort };
}

function refuseSocket(socket: Duplex, reason: string): void {
  const body = `aflock sandbox: ${reason}\n`;
  socket.end(`HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

export interface RunningProxy {
  readonly socketPath: string;
  close(): Promise<void>;
}

/** Starts the proxy on a Unix socket at `socketPath` (its directory must be private to us). */
export async function startProxy(socketPath: string, opts: ProxyOptions): Promise<RunningProxy> {
  const open = new Set<Socket | Duplex>();
  const track = <T extends Socket | Duplex>(s: T): T => {
    open.add(s);
    s.on('close', () => open.delete(s));
    s.on('error', () => undefined);
    return s;
  };
  const report = (t: Target) =>
    opts.onDecision?.({ host: t.host, port: t.port, allowed: t.ok, reason: t.ok ? 'allowed' : t.reason, ...(t.ok ? { address: t.address } : {}) });

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void plainHttp(req, res);
  });
  server.on('connection', (s) => track(s));
  server.on('clientError', (_e, socket) => refuseSocket(socket, 'malformed request'));

  // CONNECT host:port: a tunnel to the checked address.
  server.on('connect', (req: IncomingMessage, client: Duplex, head: Buffer) => {
    track(client);
    const hp = splitHostPort(req.url ?? '', 443);
    if (!hp) return refuseSocket(client, `malformed CONNECT target ${JSON.stringify(req.url)}`);
    void decideTarget(opts, hp.host, hp.port, 'https').then((t) => {
      report(t);
      if (!t.ok) return refuseSocket(client, t.reason);
      const upstream = track(connect({ host: t.address, port: t.port }));
      let connected = false;
      upstream.once('connect', () => {
        connected = true;
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (head.length > 0) upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.once('error', (e) => {
        if (!connected) refuseSocket(client, `cannot connect to ${t.host}:${t.port}: ${(e as NodeJS.ErrnoException).code ?? e.message}`);
        else client.destroy();
      });
      client.once('close', () => upstream.destroy());
    });
  });

  // Plain HTTP through the proxy: `GET http://host/path HTTP/1.1`.
  async function plainHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '');
    } catch {
      res.writeHead(400, { 'Content-Type': 'text/plain' }).end('aflock sandbox: this is a proxy; send an absolute http:// URL or CONNECT\n');
      return;
    }
    if (url.protocol !== 'http:') {
      res.writeHead(403, { 'Content-Type': 'text/plain' }).end(`aflock sandbox: scheme ${url.protocol} is not proxied (use CONNECT for https)\n`);
      return;
    }
    const t = await decideTarget(opts, url.hostname, url.port ? Number(url.port) : 80, 'http');
    report(t);
    if (!t.ok) {
      res.writeHead(403, { 'Content-Type': 'text/plain' }).end(`aflock sandbox: ${t.reason}\n`);
      return;
    }
    const headers = { ...req.headers };
    for (const h of Object.keys(headers)) if (h.startsWith('proxy-')) delete headers[h];
    headers.host = url.host; // the host that was checked, not a second one the client put in the header
    const up = httpRequest({ host: t.address, port: t.port, method: req.method, path: `${url.pathname}${url.search}`, headers, setHost: false }, (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      upRes.pipe(res);
    });
    up.on('error', (e) => {
      if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/plain' }).end(`aflock sandbox: ${t.host}: ${(e as NodeJS.ErrnoException).code ?? e.message}\n`);
      else res.destroy();
    });
    req.pipe(up);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.unref();
  return {
    socketPath,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}
