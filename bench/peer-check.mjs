// What the HTTP peer check (src/auth/peer.ts) costs per connection: the same in-process server with and without it,
// fresh TCP connections one at a time and in bursts. Not a test; numbers depend on the kernel's TCP hash table size.
//   node bench/peer-check.mjs [connections=200]
import { build } from 'esbuild';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const N = Number(process.argv[2] ?? 200);
const dir = mkdtempSync(join(tmpdir(), 'aflock-bench-'));
const entry = join(dir, 'entry.ts');
writeFileSync(
  entry,
  `export { startHttpServer } from ${JSON.stringify(join(process.cwd(), 'src/transport/http.ts'))};
export { PeerCheck } from ${JSON.stringify(join(process.cwd(), 'src/auth/peer.ts'))};
export { createContext } from ${JSON.stringify(join(process.cwd(), 'src/startup.ts'))};
export { resolvePolicy } from ${JSON.stringify(join(process.cwd(), 'src/policy/load.ts'))};`,
);
await build({ entryPoints: [entry], outfile: join(dir, 'bundle.mjs'), bundle: true, platform: 'node', format: 'esm', packages: 'external', logLevel: 'warning', nodePaths: [join(process.cwd(), 'node_modules')] });
writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
symlinkSync(join(process.cwd(), 'node_modules'), join(dir, 'node_modules')); // the bundle's packages resolve from here
process.env.AFLOCK_HOME = join(dir, 'home');
const { startHttpServer, PeerCheck, createContext, resolvePolicy } = await import(pathToFileURL(join(dir, 'bundle.mjs')).href);

function get(port) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = request({ host: '127.0.0.1', port, path: '/nothing', agent: false, headers: { host: `127.0.0.1:${port}`, connection: 'close' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(Number(process.hrtime.bigint() - t0) / 1000));
    });
    req.on('error', reject);
    req.end();
  });
}

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return `median ${s[Math.floor(s.length / 2)].toFixed(0)} us, p95 ${s[Math.floor(s.length * 0.95)].toFixed(0)} us`;
};

const t = process.hrtime.bigint();
for (let i = 0; i < 50; i++) readFileSync('/proc/net/tcp');
console.log(`one full read of /proc/net/tcp: ${(Number(process.hrtime.bigint() - t) / 50 / 1000).toFixed(0)} us (${readFileSync('/proc/net/tcp', 'latin1').split('\n').length - 2} sockets)`);

for (const withCheck of [false, true]) {
  const ctx = await createContext({ policy: resolvePolicy({ policyArg: undefined, cwd: dir }), transport: 'http', requireToken: true });
  const peer = withCheck ? PeerCheck.probe() : null;
  if (withCheck && !(peer instanceof PeerCheck)) {
    console.log(`peer check unavailable: ${peer.unavailable}`);
    break;
  }
  const h = await startHttpServer(ctx, { port: 0, peer });
  for (let i = 0; i < 20; i++) await get(h.port); // warm up
  const seq = [];
  for (let i = 0; i < N; i++) seq.push(await get(h.port));
  const seqStats = h.peerStats();
  const t0 = Date.now();
  await Promise.all(Array.from({ length: N }, () => get(h.port)));
  const burst = Date.now() - t0;
  const ps = h.peerStats();
  await h.close();
  console.log(`${withCheck ? 'with' : 'without'} peer check: one new connection + request ${stats(seq)}; ${N} at once ${burst} ms${withCheck ? `; ${ps.checked} checks answered by ${ps.tableReads} table scans; accept-to-admit mean ${seqStats.meanMicros.toFixed(0)} us one at a time` : ''}`);
}
rmSync(dir, { recursive: true, force: true });
process.exit(0);
