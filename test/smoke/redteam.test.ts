// Attacks found by the red-team review, against the real server with the policy that `aflock-mcp init` writes: each
// test plants what an agent inside the sandbox (or through write_file) could plant, then runs the HOST's git in the
// project, the way the user, an editor or a shell prompt does after the session, and checks that no planted code ran.
// The effect measured is a file the planted code would create, not a decision.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RpcServer, json, runCli, tempDir, testLeg, text } from '../helpers/rpc.ts';

const leg = testLeg();
const hasBwrap = spawnSync('sh', ['-c', 'command -v bwrap && command -v socat'], { stdio: 'ignore' }).status === 0;
const maybe = hasBwrap ? test : test.skip;

function project(): string {
  const root = tempDir('aflock-redteam-');
  const git = (...a: string[]) => execFileSync('git', a, { cwd: root, stdio: 'ignore', env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null' } });
  git('init', '-q', '-b', 'main');
  git('config', 'user.name', 'Red Team');
  git('config', 'user.email', 'redteam@test.invalid');
  writeFileSync(join(root, 'a.txt'), 'hello\n');
  git('add', 'a.txt');
  git('commit', '-q', '-m', 'initial');
  return root;
}

async function start(root: string): Promise<RpcServer> {
  const home = tempDir('aflock-redteam-home-');
  const env = { ...process.env, AFLOCK_HOME: home };
  const init = await runCli(['init'], { cwd: root, env });
  assert.is(init.code, 0, init.stderr);
  const s = new RpcServer([], { cwd: root, env });
  await s.initialize();
  return s;
}

/** The host's own git, as a user or an editor runs it in the project after the session. */
function hostGit(root: string): void {
  spawnSync('git', ['status', '--short'], { cwd: root, stdio: 'ignore', env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null' }, timeout: 10000 });
}

/**
 * A repository-shaped directory whose config runs `touch <marker>` as core.fsmonitor (git runs it on `git status`).
 * Written by the command itself inside the sandbox, through a script file so that the analyzer does not read it:
 * the sandbox is what is measured.
 */
function plantScript(marker: string, redirect: string): string {
  return [
    'set -u',
    'mkdir -p evil/hooks evil/objects evil/refs/heads',
    "printf 'ref: refs/heads/main\\n' > evil/HEAD",
    `printf '[core]\\n\\trepositoryformatversion = 0\\n\\tbare = false\\n\\tworktree = %s\\n\\tfsmonitor = "touch %s; false"\\n' "$PWD" "${marker}" > evil/config`,
    redirect,
    'echo planted',
  ].join('\n');
}

async function runScript(s: RpcServer, script: string): Promise<string> {
  const w = await s.call('write_file', { path: 'plant.sh', content: script });
  assert.not.ok(w.isError, text(w));
  const r = await s.call('bash', { command: 'bash plant.sh', timeout: 20 }, 30000);
  return r.structuredContent ? `${json(r).output ?? ''}` : text(r);
}

maybe(`${leg}: .git/commondir cannot point git at a planted config (bash in the sandbox, and write_file)`, async () => {
  const root = project();
  const s = await start(root);
  try {
    const marker = join(root, 'PWNED_COMMONDIR');
    await runScript(s, plantScript(marker, "echo ../evil > .git/commondir 2>/dev/null"));
    hostGit(root);
    assert.not.ok(existsSync(marker), 'the host git ran core.fsmonitor from a config named by .git/commondir written in the sandbox');
    const w = await s.call('write_file', { path: '.git/commondir', content: '../evil\n' });
    hostGit(root);
    assert.not.ok(existsSync(marker), `the host git ran core.fsmonitor from a config named by .git/commondir written by write_file (${text(w)})`);
    assert.ok(w.isError, 'write_file wrote .git/commondir');
  } finally {
    await s.close();
  }
});

maybe(`${leg}: a .git file (linked worktree or submodule checkout) cannot be pointed at a planted repository`, async () => {
  const main = project();
  const root = join(tempDir('aflock-redteam-wt-'), 'wt');
  execFileSync('git', ['worktree', 'add', '-q', root, '-b', 'side'], { cwd: main, stdio: 'ignore' });
  mkdirSync(join(root, 'evil'), { recursive: true });
  const s = await start(root);
  try {
    const marker = join(root, 'PWNED_GITFILE');
    const before = readFileSync(join(root, '.git'), 'utf8');
    const out = await runScript(s, plantScript(marker, 'echo "gitdir: $PWD/evil" > .git 2>/dev/null'));
    // The sandbox runs in a linked worktree (it used to refuse every command there: `.git/hooks/**` under a file).
    assert.match(out, /planted/, out);
    hostGit(root);
    assert.is(readFileSync(join(root, '.git'), 'utf8'), before, 'the .git file changed');
    assert.not.ok(existsSync(marker), 'the host git ran core.fsmonitor from a repository named by a rewritten .git file');
  } finally {
    await s.close();
  }
});

maybe(`${leg}: started in the home directory, commands cannot write ~/.bashrc or ~/.gitconfig (the sandbox refuses)`, async () => {
  const root = project();
  writeFileSync(join(root, '.bashrc'), 'echo original\n');
  writeFileSync(join(root, '.gitconfig'), '[user]\n\tname = Someone\n');
  const before = readFileSync(join(root, '.bashrc'), 'utf8') + readFileSync(join(root, '.gitconfig'), 'utf8');
  const home = tempDir('aflock-redteam-home-');
  const env = { ...process.env, AFLOCK_HOME: home, HOME: root };
  assert.is((await runCli(['init'], { cwd: root, env })).code, 0);
  const s = new RpcServer([], { cwd: root, env });
  await s.initialize();
  try {
    const w = await s.call('write_file', { path: 'plant.sh', content: 'echo "touch PWNED" >> ~/.bashrc\nprintf "[core]\\n\\tpager = touch PWNED\\n" >> ~/.gitconfig\n' });
    assert.not.ok(w.isError, text(w));
    const r = await s.call('bash', { command: 'bash plant.sh', timeout: 20 }, 30000);
    assert.is(readFileSync(join(root, '.bashrc'), 'utf8') + readFileSync(join(root, '.gitconfig'), 'utf8'), before, `a home dotfile changed: ${text(r)}`);
    assert.match(text(r), /Sandbox unavailable: .*home directory/);
  } finally {
    await s.close();
  }
});

test(`${leg}: write_file cannot rewrite the policy file, a sub-policy file or a .git file, whatever files.readOnly says`, async () => {
  const main = project();
  const root = join(tempDir('aflock-redteam-wt-'), 'wt');
  execFileSync('git', ['worktree', 'add', '-q', root, '-b', 'side'], { cwd: main, stdio: 'ignore' });
  // A hand-written policy that protects nothing by name: the policy file is still not the agent's to write.
  const sub = { tools: { allow: ['Read'] } };
  writeFileSync(join(root, 'sub.aflock'), JSON.stringify(sub));
  writeFileSync(join(root, '.aflock'), JSON.stringify({ tools: { allow: ['Read', 'Write', 'Bash'] }, sublayouts: [{ name: 'reader', policy: 'sub.aflock' }] }));
  const files = ['.aflock', 'sub.aflock', '.git'];
  const before = Object.fromEntries(files.map((f) => [f, readFileSync(join(root, f), 'utf8')]));
  const home = tempDir('aflock-redteam-home-');
  const s = new RpcServer([], { cwd: root, env: { ...process.env, AFLOCK_HOME: home } });
  await s.initialize();
  try {
    for (const f of files) {
      const w = await s.call('write_file', { path: f, content: f === '.git' ? `gitdir: ${root}/evil\n` : '{"tools":{"allow":["*"]},"sandbox":{"mode":"off"}}' });
      assert.ok(w.isError, `write_file wrote ${f}: ${text(w)}`);
      assert.match(text(w), /always read-only/);
      assert.is(readFileSync(join(root, f), 'utf8'), before[f], `${f} changed`);
    }
    const ok = await s.call('write_file', { path: 'notes.txt', content: 'fine\n' });
    assert.not.ok(ok.isError, text(ok));
  } finally {
    await s.close();
  }
});

// Run as root, the sandbox maps uid 0 to the host's root. The kernel's global settings under /proc/sys then must not
// be writable: kernel.core_pattern = "|/project/x.sh" would run x.sh as the host's root. Measured with a harmless one
// (kernel.core_uses_pid), flipped from inside and read on the host; put back if the attack worked.
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
(hasBwrap && isRoot ? test : test.skip)(`${leg}: as root, a command cannot write the kernel's global sysctls (/proc/sys)`, async () => {
  const root = project();
  const s = await start(root);
  const knob = '/proc/sys/kernel/core_uses_pid';
  const before = readFileSync(knob, 'utf8').trim();
  try {
    const flipped = before === '0' ? '1' : '0';
    const out = await runScript(s, `echo ${flipped} > ${knob}; echo "rc=$?"; cat /proc/sys/kernel/pid_max`);
    assert.is(readFileSync(knob, 'utf8').trim(), before, `the sandbox changed ${knob}: ${out}`);
    assert.match(out, /rc=1/);
    assert.match(out, /^\d+$/m, 'sysctls are still readable');
  } finally {
    if (readFileSync(knob, 'utf8').trim() !== before) writeFileSync(knob, before);
    await s.close();
  }
});

// Not under Deno: the test leg's permissions do not let that server listen on the hook socket at all.
(hasBwrap && leg !== 'deno' ? test : test.skip)(`${leg}: the command-hook socket is out of reach even when TMPDIR points into the project`, async () => {
  const root = project();
  const home = tempDir('aflock-redteam-home-');
  const env: NodeJS.ProcessEnv = { ...process.env, AFLOCK_HOME: home, TMPDIR: join(root, '.tmp'), CLAUDE_CODE_SESSION_ID: 'redteam-hook-1' };
  delete env.XDG_RUNTIME_DIR;
  mkdirSync(join(root, '.tmp'));
  assert.is((await runCli(['init'], { cwd: root, env })).code, 0);
  const s = new RpcServer([], { cwd: root, env });
  await s.initialize();
  try {
    const uid = process.getuid?.() ?? 0;
    const sock = join(root, '.tmp', `aflock-${uid}`, 'cc-redteam-hook-1.sock');
    for (let i = 0; i < 50 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(existsSync(sock), `the server made no hook socket at ${sock}: ${s.stderr}`);
    const out = await runScript(s, `echo "listed=$(ls -A .tmp/aflock-${uid} 2>/dev/null | wc -l)"; echo '{}' | timeout 3 socat - UNIX-CONNECT:${sock} 2>&1; echo "rc=$?"`);
    assert.match(out, /listed=0/, `the sandbox lists the hook socket: ${out}`);
    assert.match(out, /rc=1/, `the sandbox connected to the hook socket: ${out}`);
  } finally {
    await s.close();
  }
});

test.run();
