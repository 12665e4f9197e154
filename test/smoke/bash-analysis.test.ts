// Effects of the shell analysis through the spawned server's bash tool: a denied file's canary does not come out,
// whichever command names it (a reader no table knows, a directory of the denied tree), while the same commands on
// an ordinary file do run (so the test can fail).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RpcServer, tempDir, text } from '../helpers/rpc.ts';

const CANARY = `canary-${process.pid}-${Date.now()}`;

async function server(args: string[] = []): Promise<{ s: RpcServer; root: string }> {
  const root = tempDir('aflock-bash-analysis-');
  writeFileSync(join(root, '.aflock'), JSON.stringify({ tools: { allow: ['Bash'] }, files: { deny: ['.env', 'secrets/**'] } }));
  writeFileSync(join(root, '.env'), `SECRET=${CANARY}\n`);
  mkdirSync(join(root, 'secrets'));
  writeFileSync(join(root, 'secrets', 'key.pem'), `KEY=${CANARY}\n`);
  writeFileSync(join(root, 'notes.txt'), 'SECRET=ordinary\n');
  const s = new RpcServer(args, { cwd: root, env: { ...process.env, AFLOCK_HOME: tempDir('aflock-home-') } });
  await s.initialize({});
  return { s, root };
}

test('readers no table knows, and directories of a denied tree, do not print the denied canary', async () => {
  const { s } = await server();
  try {
    for (const command of ['look SECRET .env', 'ptx .env', 'grep -r . secrets', 'sed -n p secrets/key.pem', 'tail -n1 .env']) {
      const r = await s.call('bash', { command });
      assert.ok(r.isError, `${command} was run: ${text(r)}`);
      assert.match(text(r), /^Policy denied:/, command);
      assert.not.match(text(r), new RegExp(CANARY), `${command} leaked the canary`);
    }
    // The same readers on an ordinary file run and print it.
    for (const command of ['look SECRET notes.txt', 'grep -r SECRET notes.txt']) {
      const r = await s.call('bash', { command });
      assert.not.ok(r.isError, `${command}: ${text(r)}`);
      assert.match(text(r), /SECRET=ordinary/, command);
    }
  } finally {
    await s.close();
  }
});

test('without the sandbox, code decided at run time does not print the canary under files.deny alone (class 4)', async () => {
  // --no-sandbox: the analysis decides alone, as it does for a host that runs the command itself.
  const { s } = await server(['--no-sandbox']);
  try {
    for (const command of ['c=cat; $c .env', `eval "$(printf 'cat .e%s' nv)"`, 'echo "cat .env" | sh', "x='a[$(cat .env >&2)]'; echo $((x))",
      "{ bash; } <<< 'cat .env'", "f() { bash; }; echo 'cat .env' | f", "bash -c bash <<< 'cat .env'", "bash 3<<<'cat .env' <&3"]) {
      const r = await s.call('bash', { command });
      assert.ok(r.isError, `${command} was run: ${text(r)}`);
      assert.match(text(r), /^Policy denied:.*unresolvable|cannot be checked/, command);
      assert.not.match(text(r), new RegExp(CANARY), `${command} leaked the canary`);
    }
    // The same forms on an ordinary file run and print it.
    const r = await s.call('bash', { command: 'c=cat; "$c" notes.txt 2>&1 || cat notes.txt' });
    assert.ok(r.isError, 'a dynamic command name is refused whatever file it names');
    const ok = await s.call('bash', { command: 'x=$(cat notes.txt); echo "$x"' });
    assert.not.ok(ok.isError, text(ok));
    assert.match(text(ok), /SECRET=ordinary/);
  } finally {
    await s.close();
  }
});

test('without the sandbox, a path named in inline code, an editor\'s commands or a here-document does not print the canary', async () => {
  const { s } = await server(['--no-sandbox']);
  const have = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
  // Each attack reads FILE with a tool of its own language; the same command on notes.txt must run and print it.
  const attacks: Array<[string, string]> = [
    ['python3', `python3 -c 'print(open("FILE").read())'`],
    ['perl', `perl -e 'open F, "FILE"; print <F>'`],
    ['node', `node -e 'process.stdout.write(require("fs").readFileSync("FILE"))'`],
    ['python3', `python3 - <<'EOF'\nprint(open("FILE").read())\nEOF`],
    ['vim', `vim -Nu NONE -es -c 'r FILE' -c '%p' -c 'q!'`],
    ['ex', `ex -Nu NONE -sc 'r FILE|%p|q!'`],
    ['sqlite3', `sqlite3 :memory: "select cast(readfile('FILE') as text)"`],
  ];
  const usable = attacks.filter(([tool]) => have(tool));
  assert.ok(usable.length >= 3, `at least python3, perl and node are here: ${usable.map(([t]) => t)}`);
  try {
    for (const [, form] of usable) {
      const attack = form.replace('FILE', '.env');
      const r = await s.call('bash', { command: attack });
      assert.ok(r.isError, `${attack} was run: ${text(r)}`);
      assert.match(text(r), /^Policy denied:.*in the code it runs|accesses file/, attack);
      assert.not.match(text(r), new RegExp(CANARY), `${attack} leaked the canary`);
      const control = form.replace('FILE', 'notes.txt');
      const ok = await s.call('bash', { command: control });
      assert.not.ok(ok.isError, `${control}: ${text(ok)}`);
      assert.match(text(ok), /SECRET=ordinary/, control);
    }
  } finally {
    await s.close();
  }
});

test('without the sandbox, recursive and git writes leave read-only, denied and policy files as they were', async () => {
  // A repository whose read-only package-lock.json differs in the previous commit, a denied cfg/.env (ignored by git,
  // so only `git clean -x` or `git stash -a` would touch it), and ordinary directories for the controls.
  const root = tempDir('aflock-tree-writes-');
  const policyText = JSON.stringify({ tools: { allow: ['Bash'] }, files: { deny: ['**/.env'], readOnly: ['package-lock.json'] } });
  writeFileSync(join(root, '.aflock'), policyText);
  writeFileSync(join(root, '.gitignore'), '.env\n');
  mkdirSync(join(root, 'cfg'));
  mkdirSync(join(root, 'src'));
  mkdirSync(join(root, 'build'));
  writeFileSync(join(root, 'build', 'out.o'), 'x');
  const git = (...a: string[]) => {
    const r = spawnSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...a], { cwd: root, encoding: 'utf8' });
    assert.is(r.status, 0, r.stderr);
  };
  git('init', '-q');
  writeFileSync(join(root, 'package-lock.json'), '{"v":1}');
  writeFileSync(join(root, 'src', 'a.ts'), 'old');
  git('add', '-A');
  git('commit', '-qm', 'one');
  writeFileSync(join(root, 'package-lock.json'), '{"v":2}');
  writeFileSync(join(root, 'src', 'a.ts'), 'new');
  git('commit', '-qam', 'two');
  writeFileSync(join(root, 'cfg', '.env'), `SECRET=${CANARY}\n`);
  const s = new RpcServer(['--no-sandbox'], { cwd: root, env: { ...process.env, AFLOCK_HOME: tempDir('aflock-home-') } });
  await s.initialize({});
  const state = () => ['package-lock.json', 'cfg/.env', '.aflock'].map((f) => spawnSync('sha256sum', [f], { cwd: root, encoding: 'utf8' }).stdout).join('');
  const before = state();
  assert.match(before, /package-lock.json[\s\S]*cfg\/.env[\s\S]*\.aflock/);
  try {
    for (const command of ['rm -rf cfg', 'rm -r -f ./', 'chmod -R 000 .', 'mv cfg /tmp/aflock-moved-cfg', 'find cfg -delete',
      'git checkout HEAD~1 -- .', 'git checkout HEAD~1 -- package-lock.json', 'git restore -s HEAD~1 .', 'git checkout package-lock.json',
      'git clean -fdx', 'git stash -a', 'rsync -a --delete src/ cfg/', 'echo {} > .aflock', 'rm -rf src/..']) {
      const r = await s.call('bash', { command });
      assert.ok(r.isError, `${command} was run: ${text(r)}`);
      assert.match(text(r), /^Policy denied:/, command);
      assert.is(state(), before, `${command} changed a protected file`);
    }
    // The same kinds of command on what holds nothing protected run and take effect.
    for (const command of ['rm -rf build', 'git checkout HEAD~1 -- src', 'chmod -R u+w src']) {
      const r = await s.call('bash', { command });
      assert.not.ok(r.isError, `${command}: ${text(r)}`);
    }
    assert.not.ok(existsSync(join(root, 'build')));
    assert.is(readFileSync(join(root, 'src', 'a.ts'), 'utf8'), 'old');
    assert.is(state(), before);
  } finally {
    await s.close();
  }
});

test.run();
