// The single executable starts from a V8 startup snapshot made at build time (src/main-snapshot.ts). Whatever a
// snapshot holds is the same in every run of the binary, so these check, on every leg and above all on the
// executable, that what must differ per process does: the session id, the token signing key, the audit signing
// key, the token ids (Node's randomUUID keeps a cache of random bytes: drawn at build time, it would hand out the
// same ids in every run), and that settings present only in the run's environment are the ones obeyed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RpcServer, tempDir, testLeg, text } from '../helpers/rpc.ts';

const leg = testLeg();
const made: string[] = [];
function dir(prefix?: string): string {
  const d = tempDir(prefix);
  made.push(d);
  return d;
}
test.after(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

interface Started {
  server: RpcServer;
  home: string;
  sessionId: string;
  token: string;
  jti: string;
  signerPem: string;
}

function claimsOf(token: string): Record<string, unknown> {
  const [, payload] = token.split('.');
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
}

/** Starts the server with AFLOCK_HOME and AFLOCK_REQUIRE_TOKEN set only in this run's environment. */
async function start(root: string): Promise<Started> {
  const home = dir('aflock-home-');
  const env: NodeJS.ProcessEnv = { ...process.env, AFLOCK_HOME: home, AFLOCK_REQUIRE_TOKEN: '1' };
  delete env.NODE_OPTIONS;
  const server = new RpcServer([], { cwd: root, env });
  const init = await server.initialize();
  // AFLOCK_REQUIRE_TOKEN=1 was honoured: the session token comes with the initialize result.
  const aflock = init.capabilities?.experimental?.aflock;
  assert.ok(aflock?.token, `no token in the initialize result: AFLOCK_REQUIRE_TOKEN was not read at run time\n${server.stderr}`);
  const sessionId = String(aflock.sessionId);
  assert.match(sessionId, /^mcp-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  // AFLOCK_HOME was honoured: the session's trail and its signer key are under this run's home.
  const pem = join(home, 'sessions', sessionId, 'signer.pub.pem');
  assert.ok(existsSync(pem), `no ${pem}: AFLOCK_HOME was not read at run time\n${server.stderr}`);
  return { server, home, sessionId, token: aflock.token, jti: String(claimsOf(aflock.token).jti), signerPem: readFileSync(pem, 'utf8') };
}

test(`${leg}: two starts get their own session id, token key, audit key and token ids, and obey their own environment`, async () => {
  const root = dir();
  writeFileSync(join(root, '.aflock'), JSON.stringify({ tools: { allow: ['Read'] } }));
  writeFileSync(join(root, 'a.txt'), 'readable');
  const a = await start(root);
  let b: Started | undefined;
  try {
    b = await start(root);
    assert.is.not(a.sessionId, b.sessionId);
    assert.is.not(a.home, b.home);
    assert.match(a.signerPem, /^-----BEGIN PUBLIC KEY-----/);
    assert.is.not(a.signerPem, b.signerPem, 'both runs sign their audit trail with the same key');
    assert.is.not(a.jti, b.jti);
    assert.is.not(a.jti.slice(0, 8), b.jti.slice(0, 8), 'token ids share a prefix: random bytes repeat between runs');

    // Each run's token works in its own run ...
    const own = await b.server.call('read_file', { path: 'a.txt', _token: b.token });
    assert.not.ok(own.isError, text(own));
    // ... and run A's token is refused by run B for its SIGNATURE: B's key cannot verify it. With a key baked into
    // the snapshot the signature would check out and only the audience (session id) would differ.
    const foreign = await b.server.call('read_file', { path: 'a.txt', _token: a.token });
    assert.ok(foreign.isError, text(foreign));
    assert.match(text(foreign), /signature is invalid/);
    assert.not.match(text(foreign), /not valid for session/);
  } finally {
    a.server.kill();
    b?.server.kill();
  }
});

test(`${leg}: the trail goes where this run's environment says, not where the build's did`, async () => {
  // Two runs in a row with different AFLOCK_HOME: each trail lands under its own, and nothing under the other.
  const root = dir();
  const first = await start(root);
  await first.server.close();
  const second = await start(root);
  try {
    assert.ok(!existsSync(join(first.home, 'sessions', second.sessionId)), 'the second run wrote under the first run\'s home');
    assert.ok(!existsSync(join(second.home, 'sessions', first.sessionId)));
  } finally {
    second.server.kill();
  }
});

test.run();
