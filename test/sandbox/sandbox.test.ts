// The sandbox module's pure parts and its proxy, on their own: host spellings, address classes, the environment
// allow-list, the project scan and the bubblewrap command line; the proxy over its real Unix socket.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { join } from 'node:path';
import { canonicalHost, isPublicAddress, unmapIPv4 } from '../../src/sandbox/address.ts';
import { envNameAllowed, sandboxEnv } from '../../src/sandbox/env.ts';
import { decideTarget, startProxy } from '../../src/sandbox/proxy.ts';
import { ProjectScanner } from '../../src/sandbox/scan.ts';
import { bwrapArgs } from '../../src/sandbox/bwrap.ts';
import { compileDomainRules } from '../../src/policy/domains.ts';
import { compilePathRule } from '../../src/policy/paths.ts';
import { tempDir } from '../helpers/rpc.ts';

const dirs: string[] = [];
const temp = () => {
  const d = tempDir('aflock-sbx-unit-');
  dirs.push(d);
  return d;
};

test('every spelling of one address is one canonical host', () => {
  for (const s of ['127.0.0.1', '2130706433', '0x7f.1', '017700000001', '127.1', '[::ffff:127.0.0.1]', '::ffff:7f00:1', '127.0.0.1.']) {
    const c = canonicalHost(s);
    assert.ok(c.ok, s);
    if (c.ok) assert.is(c.host, '127.0.0.1', s);
  }
  const zero = canonicalHost('0');
  assert.ok(zero.ok && zero.host === '0.0.0.0');
  const name = canonicalHost('Evil.Example..');
  assert.ok(name.ok && name.host === 'evil.example' && name.ip === 0);
  assert.not.ok(canonicalHost('evil.example/x').ok);
  assert.not.ok(canonicalHost('a@b').ok);
  assert.is(unmapIPv4('::ffff:10.0.0.1'), '10.0.0.1');
});

test('non-public addresses: loopback, private, link-local (metadata), unspecified, mapped', () => {
  for (const a of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '0.0.0.0', '100.64.0.1', '::1', '::', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', '::ffff:7f00:1']) {
    assert.not.ok(isPublicAddress(a), a);
  }
  for (const a of ['8.8.8.8', '1.1.1.1', '2606:4700::1111']) assert.ok(isPublicAddress(a), a);
  // IPv6 forms that embed an IPv4 address (red-team review: the proxy let them through to connect).
  for (const a of ['::7f00:1', '::127.0.0.1', '::a9fe:a9fe', '::ffff:0:7f00:1', '::ffff:0:a00:1', '2002:7f00:1::', '2002:a9fe:a9fe::1']) {
    assert.not.ok(isPublicAddress(a), a);
  }
  for (const a of ['8.8.8.8', '::ffff:8.8.8.8']) assert.ok(isPublicAddress(a), `${a} (an IPv4 entry must not block every IPv4 address)`);
});

test('the proxy decides on the canonical host, then on every resolved address', async () => {
  const rules = compileDomainRules(['*.good.example', 'localhost', 'good.example'], ['bad.good.example']);
  const resolveTo = (m: Record<string, string[]>) => async (h: string) => {
    if (!m[h]) throw Object.assign(new Error('nx'), { code: 'ENOTFOUND' });
    return m[h];
  };
  const opts = { rules, resolve: resolveTo({ 'good.example': ['93.184.216.34'], 'a.good.example': ['10.0.0.5'], localhost: ['127.0.0.1'], 'bad.good.example': ['93.184.216.35'] }) };
  assert.ok((await decideTarget(opts, 'GOOD.example.', 443, 'https')).ok);
  const rebound = await decideTarget(opts, 'a.good.example', 443, 'https');
  assert.ok(!rebound.ok && /not a public address/.test(rebound.reason), 'a wildcard name resolving inside');
  assert.ok((await decideTarget(opts, 'localhost', 8080, 'http')).ok, 'named exactly: may be loopback');
  assert.not.ok((await decideTarget(opts, 'bad.good.example', 443, 'https')).ok, 'deny wins');
  assert.not.ok((await decideTarget(opts, '127.0.0.1', 80, 'http')).ok, 'an IP spelling of an allowed name is not that name');
  assert.not.ok((await decideTarget(opts, 'evil.example', 443, 'https')).ok);
  const none = { rules: null, resolve: resolveTo({ 'x.example': ['127.0.0.1'], 'y.example': ['8.8.8.8'] }) };
  assert.not.ok((await decideTarget(none, 'x.example', 443, 'https')).ok, 'no domains section: still never inside');
  assert.ok((await decideTarget(none, 'y.example', 443, 'https')).ok, 'no domains section: any public host');
  assert.not.ok((await decideTarget(none, '2130706433', 80, 'http')).ok);
});

test('the proxy on its Unix socket: a refused CONNECT never reaches the target; an allowed one tunnels', async () => {
  const dir = temp();
  let hits = 0;
  const target: Server = createServer((_q, r) => r.end('target-body'));
  target.on('connection', () => hits++);
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', () => r()));
  const port = (target.address() as { port: number }).port;
  const decisions: string[] = [];
  const proxy = await startProxy(join(dir, 'p.sock'), { rules: compileDomainRules(['localhost'], []), onDecision: (d) => decisions.push(`${d.host}:${d.allowed}`), resolve: async () => ['127.0.0.1'] });
  const viaProxy = (url: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const q = request({ socketPath: proxy.socketPath, path: url, method: 'GET', headers: { host: new URL(url).host } }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      q.on('error', reject);
      q.end();
    });
  try {
    const denied = await viaProxy(`http://127.0.0.1:${port}/`);
    assert.is(denied.status, 403);
    assert.is(hits, 0);
    const ok = await viaProxy(`http://localhost:${port}/`);
    assert.is(ok.status, 200);
    assert.is(ok.body, 'target-body');
    assert.is(hits, 1);
    assert.equal(decisions, ['127.0.0.1:false', 'localhost:true']);
  } finally {
    await proxy.close();
    target.close();
  }
});

test('environment: an allow-list; credential-like names only when named exactly', () => {
  const from = { PATH: '/bin', HOME: '/h', LC_ALL: 'C', ANTHROPIC_API_KEY: 'x', GITHUB_TOKEN: 'x', AWS_REGION: 'x', NODE_ENV: 'test', NODE_AUTH_TOKEN: 'x', MY_SECRET: 'x', RANDOM: 'x' };
  const env = sandboxEnv(from, ['NODE_*', 'MY_SECRET'], { TMPDIR: '/tmp' });
  assert.equal(Object.keys(env).sort(), ['HOME', 'LC_ALL', 'MY_SECRET', 'NODE_ENV', 'PATH', 'TMPDIR']);
  assert.not.ok(envNameAllowed('GH_TOKEN', ['GH_*']));
  assert.ok(envNameAllowed('GH_TOKEN', ['GH_TOKEN']));
});

test('scan: glob matches anywhere, a protected tree includes its top, nothing inside a denied directory, links covered where they point', () => {
  const root = temp();
  for (const f of ['.env', 'a/b/.env', 'secrets/k.txt', 'secrets/deep/.env', '.git/config', '.git/HEAD', 'src/x.ts', 'real/target.txt']) {
    mkdirSync(join(root, f, '..'), { recursive: true });
    writeFileSync(join(root, f), 'x');
  }
  symlinkSync(join(root, 'real/target.txt'), join(root, 'link.pem'));
  const scanner = new ProjectScanner(root, ['**/.env', 'secrets/**', '**/*.pem'].map(compilePathRule), ['.git/config', '.claude/**', '.mcp.json'].map(compilePathRule));
  const r = scanner.scan();
  assert.equal(r.deny.map((c) => c.path.slice(root.length + 1)).sort(), ['.env', 'a/b/.env', 'real/target.txt', 'secrets']);
  assert.ok(r.deny.find((c) => c.path.endsWith('/secrets'))!.dir);
  assert.equal(r.readOnly.map((c) => c.path.slice(root.length + 1)), ['.git/config']);
  assert.equal(r.missingReadOnlyDirs, [join(root, '.claude')]);
  assert.equal(r.missingReadOnlyFiles, [join(root, '.mcp.json')]);
  // A file created later is found by the next scan (its directory's mtime changed).
  writeFileSync(join(root, 'src/.env'), 'new');
  assert.ok(scanner.scan().deny.some((c) => c.path === join(root, 'src/.env')));
  const small = new ProjectScanner(root, [compilePathRule('**/.env')], [], 5);
  assert.throws(() => small.scan(), /more than 5 entries/);
});

test('bwrap command line: ancestors of protected paths become mount points before the protections, deny last', () => {
  const root = '/p';
  const spec = {
    root, cwd: root, tmpDir: '/t', policyFile: '/p/.aflock',
    deny: [{ path: '/p/a/b/.env', dir: false }, { path: '/p/secrets', dir: true }],
    readOnly: [{ path: '/p/.git/config', dir: false }],
    missingReadOnlyDirs: [], hiddenDirs: ['/home'], reexposed: [], alwaysHidden: [], proxySocket: null, env: { PATH: '/bin' },
  };
  const args = bwrapArgs(spec, 'echo hi', { lifeline: false });
  const s = args.join(' ');
  for (const flag of ['--unshare-all', '--die-with-parent', '--new-session', '--cap-drop ALL', '--clearenv', '--proc /proc']) assert.ok(s.includes(flag), flag);
  const at = (needle: string) => s.indexOf(needle);
  assert.ok(at('--bind /p /p') < at('--bind /p/a /p/a'));
  assert.ok(at('--bind /p/a /p/a') < at('--bind /p/a/b /p/a/b'));
  assert.ok(at('--bind /p/.git /p/.git') < at('--ro-bind /p/.git/config /p/.git/config'));
  assert.ok(at('--ro-bind /p/.aflock /p/.aflock') < at('--ro-bind /dev/null /p/a/b/.env'));
  assert.ok(s.includes('--tmpfs /p/secrets --remount-ro /p/secrets'));
  // A first shell closes what it inherited above fd 2, then becomes `bash -c COMMAND`, the command one argument.
  assert.equal(args.slice(-6, -3), ['--', 'bash', '-c']);
  assert.equal(args.slice(-2), ['bash', 'echo hi']);
  assert.match(args.at(-3)!, /^for f in \/proc\/self\/fd\/\*; do [^\n]*exec \{n\}<&-; done\nexec bash -c "\$1"$/);
  // With the lifeline, it also sets that up (after the closing, before the command).
  const withLifeline = bwrapArgs(spec, 'echo hi', { lifeline: true });
  assert.equal(withLifeline.slice(0, -3), args.slice(0, -3));
  assert.equal(withLifeline.slice(-2), ['bash', 'echo hi']);
  assert.match(withLifeline.at(-3)!, /^for f in [^\n]*\nexec 3<&0 <\/dev\/null\n[^]*\nexec 3<&-\nexec bash -c "\$1"$/);
});

test.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test.run();
