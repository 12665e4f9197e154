// read_file and write_file against an attacker who can change the project while the server works (what the agent's
// own `bash` can do): symbolic links and hard links planted before a call, and swapped in a tight loop by a real
// child process during a few hundred calls. Effects are measured: canary secrets never come out, the SHA-256 of
// read-only files never changes, nothing new appears in `.git` or `.claude`. Ordinary work keeps working.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RpcServer, actionPredicates, json, serverCommand, tempDir, testLeg, text, type ToolResult } from '../helpers/rpc.ts';

const made: string[] = [];
const servers: RpcServer[] = [];
// A failed assertion skips a test's own close(): every server is killed here, so the suite never hangs on one.
test.after.each(() => {
  for (const s of servers.splice(0)) s.kill();
});
test.after(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});
function temp(prefix?: string): string {
  const d = tempDir(prefix);
  made.push(d);
  return d;
}

const POLICY = {
  files: { deny: ['**/.env', '**/*.pem', 'secrets/**'], readOnly: ['.aflock', '.claude/**', '.git/**'] },
};

interface Project {
  root: string;
  canaries: string[];
  /** SHA-256 of every file under the read-only trees, by relative path. */
  digests(): Record<string, string>;
}

function makeProject(): Project {
  const root = temp();
  const canaries = [`CANARY-env-${randomBytes(8).toString('hex')}`, `CANARY-secret-${randomBytes(8).toString('hex')}`, `CANARY-pem-${randomBytes(8).toString('hex')}`];
  writeFileSync(join(root, '.aflock'), JSON.stringify(POLICY));
  writeFileSync(join(root, '.env'), `API_KEY=${canaries[0]}\n`);
  mkdirSync(join(root, 'secrets'));
  writeFileSync(join(root, 'secrets/key.txt'), canaries[1]);
  writeFileSync(join(root, 'secrets/x'), canaries[1]);
  writeFileSync(join(root, 'server.pem'), canaries[2]);
  mkdirSync(join(root, '.claude'));
  writeFileSync(join(root, '.claude/settings.json'), '{"permissions":{"deny":["Bash","Read","Write"]}}');
  mkdirSync(join(root, '.git/hooks'), { recursive: true });
  writeFileSync(join(root, '.git/config'), '[core]\n\tbare = false\n');
  writeFileSync(join(root, '.git/HEAD'), 'ref: refs/heads/main\n');
  mkdirSync(join(root, 'src'));
  writeFileSync(join(root, 'src/app.ts'), 'export const x = 1;\n');
  const digests = () => {
    const out: Record<string, string> = {};
    const walk = (rel: string) => {
      const abs = join(root, rel);
      const st = lstatSync(abs);
      if (st.isDirectory()) for (const n of readdirSync(abs).sort()) walk(`${rel}/${n}`);
      else out[rel] = createHash('sha256').update(readFileSync(abs)).digest('hex');
    };
    for (const top of ['.aflock', '.claude', '.git']) walk(top);
    return out;
  };
  return { root, canaries, digests };
}

/**
 * `fullGuarantee`: under Deno, run the server with --allow-all, the set-up docs/file-tools.md gives for the full
 * guarantee (without it Deno hides /proc/self/fd and resolves paths itself, and a directory swapped and swapped back
 * around Deno's own open can leave an empty temp file behind: a documented gap, not what the race test measures).
 */
async function started(root: string, fullGuarantee = false): Promise<RpcServer> {
  const { FORCE_COLOR: _drop, ...env } = process.env; // NO_COLOR is set: together they make Node warn
  const cmd = serverCommand();
  const command = fullGuarantee && testLeg() === 'deno' ? [cmd[0], 'run', '--no-prompt', '--allow-all', cmd[cmd.length - 1]] : undefined;
  const s = new RpcServer([], { cwd: root, env: { ...env, AFLOCK_HOME: temp('aflock-home-') }, ...(command ? { command } : {}) });
  servers.push(s);
  await s.initialize();
  return s;
}

function noCanary(p: Project, r: ToolResult, what: string) {
  const t = text(r);
  for (const c of p.canaries) assert.not.ok(t.includes(c), `${what} returned a secret: ${t}`);
}

const denied = (r: ToolResult, pattern: RegExp, what: string) => {
  assert.ok(r.isError, `${what} was not refused: ${text(r)}`);
  assert.match(text(r), pattern, what);
};

// ------------------------------------------------------------------------------------------------ planted links

test('a hard link of a denied file is refused, and the refusal is in the trail', async () => {
  const p = makeProject();
  linkSync(join(p.root, '.env'), join(p.root, 'pub.txt')); // `link .env pub.txt`
  linkSync(join(p.root, 'secrets/key.txt'), join(p.root, 'src/key-copy.txt'));
  linkSync(join(p.root, 'server.pem'), join(p.root, 'cert.txt'));
  const s = await started(p.root);
  for (const name of ['pub.txt', 'src/key-copy.txt', 'cert.txt']) {
    const r = await s.call('read_file', { path: name });
    noCanary(p, r, `read_file ${name}`);
    denied(r, /^Policy denied: '.*' is another name \(a hard link\) of '.*', which matches '/, name);
  }
  const last = actionPredicates(json(await s.call('get_session')).auditDir).at(-1);
  assert.is(last.decision, 'deny');
  assert.is(last.matchedRule, 'confinement');
  // A hard link of a read-only file is not written through either (and the file is unchanged either way).
  const before = p.digests();
  linkSync(join(p.root, '.claude/settings.json'), join(p.root, 'settings-copy.json'));
  denied(await s.call('write_file', { path: 'settings-copy.json', content: '{}' }), /hard link\) of '.*\.claude\/settings\.json', which matches '\.claude\/\*\*'/, 'write via hard link');
  assert.equal(p.digests(), before);
  await s.close();
});

test('symbolic links to read-only trees: new files under them, dangling links and the directories themselves', async () => {
  const p = makeProject();
  const before = p.digests();
  symlinkSync('.git', join(p.root, 'g')); // `ln -s .git g`
  symlinkSync('.claude', join(p.root, 'c')); // `ln -s .claude c`
  symlinkSync('.git/hooks/post-merge', join(p.root, 'pm')); // dangling: writing it would create the hook
  symlinkSync('secrets', join(p.root, 's'));
  const s = await started(p.root);
  denied(await s.call('write_file', { path: 'g/hooks/post-checkout', content: '#!/bin/sh\ntouch /tmp/pwned\n' }), /^Policy denied: File .* is read-only \(matches '\.git\/\*\*'\)/, 'g/hooks/post-checkout');
  denied(await s.call('write_file', { path: 'c/settings.local.json', content: '{"permissions":{"allow":["Bash"]}}' }), /read-only \(matches '\.claude\/\*\*'\)/, 'c/settings.local.json');
  denied(await s.call('write_file', { path: 'pm', content: '#!/bin/sh\n' }), /read-only/, 'dangling link into .git/hooks');
  denied(await s.call('write_file', { path: '.git', content: 'x' }), /File '.*\/\.git' is read-only \(matches '\.git\/\*\*'\)/, 'the .git directory itself');
  denied(await s.call('write_file', { path: 'c', content: 'x' }), /read-only/, 'a link to .claude');
  for (const path of ['s/key.txt', 'secrets', 's']) {
    const r = await s.call('read_file', { path });
    noCanary(p, r, path);
    denied(r, /^Policy denied: File .* matches deny pattern 'secrets\/\*\*'/, path);
  }
  const check = json(await s.call('check_tool', { tool_name: 'Write', tool_input: { file_path: join(p.root, 'g/hooks/pre-commit') } }));
  assert.is(check.decision, 'deny', 'check_tool agrees');
  assert.equal(p.digests(), before);
  assert.not.ok(existsSync(join(p.root, '.git/hooks/post-checkout')));
  assert.not.ok(existsSync(join(p.root, '.git/hooks/post-merge')));
  assert.not.ok(existsSync(join(p.root, '.claude/settings.local.json')));
  await s.close();
});

// ------------------------------------------------------------------------------------------------ the race

/**
 * A child process that swaps, as fast as it can until killed (or after 60 s): directories with symbolic links to
 * protected trees, regular files with symbolic and hard links to protected files. Each swap is a rename, so the
 * name always exists; the server sees whichever state the kernel has at each step.
 */
const SWAPPER = `
const fs = require('fs');
process.chdir(process.argv[1]);
const quiet = (f) => { try { f(); } catch {} };
let n = 0;
const end = Date.now() + 60000;
const dirSwap = (name, target) => {
  // name is a real directory (holding harmless files), then a link to target, and back.
  quiet(() => fs.renameSync(name, name + '.d'));
  quiet(() => fs.symlinkSync(target, name + '.l'));
  quiet(() => fs.renameSync(name + '.l', name));
  quiet(() => fs.unlinkSync(name));
  quiet(() => fs.renameSync(name + '.d', name));
};
const fileSwap = (name, plant) => {
  quiet(plant);
  quiet(() => fs.renameSync(name + '.new', name));
  quiet(() => fs.writeFileSync(name + '.reg', 'harmless'));
  quiet(() => fs.renameSync(name + '.reg', name));
};
while (Date.now() < end) {
  dirSwap('rd', 'secrets');
  dirSwap('wd', '.claude');
  dirSwap('gd', '.git/hooks');
  fileSwap('f.txt', () => fs.symlinkSync('.env', 'f.txt.new'));
  fileSwap('h.txt', () => fs.linkSync('.env', 'h.txt.new'));
  fileSwap('w.json', () => fs.symlinkSync('.claude/settings.json', 'w.json.new'));
  if (++n % 100 === 0) process.stdout.write(n + '\\n');
}
`;

test('a link swapped in a loop by another process: zero leaks, zero changes over hundreds of calls', async () => {
  const p = makeProject();
  for (const d of ['rd', 'wd', 'gd']) {
    mkdirSync(join(p.root, d));
    writeFileSync(join(p.root, d, 'x'), 'harmless');
  }
  for (const f of ['f.txt', 'h.txt', 'w.json']) writeFileSync(join(p.root, f), 'harmless');
  const before = p.digests();
  const s = await started(p.root, true);
  const { FORCE_COLOR: _drop, ...childEnv } = process.env;
  const swapper = spawn(process.execPath, ['-e', SWAPPER, p.root], { stdio: ['ignore', 'pipe', 'inherit'], env: childEnv });
  let swaps = 0;
  swapper.stdout.on('data', (d) => (swaps = Number(String(d).trim().split('\n').at(-1)) || swaps));
  const outcomes = { allowed: 0, refused: 0, failed: 0 };
  const tally = (r: ToolResult) => {
    if (!r.isError) outcomes.allowed++;
    else if (/^Policy denied:/.test(text(r))) outcomes.refused++;
    else outcomes.failed++; // e.g. "Read failed: no such file" while a name is between two renames
  };
  try {
    await new Promise((r) => setTimeout(r, 200)); // let it get going
    const rounds = 70;
    for (let i = 0; i < rounds; i++) {
      for (const path of ['rd/x', 'f.txt', 'h.txt']) {
        const r = await s.call('read_file', { path });
        noCanary(p, r, `read_file ${path} (round ${i})`);
        tally(r);
      }
      for (const path of ['wd/settings.json', 'gd/post-checkout', 'w.json']) {
        const r = await s.call('write_file', { path, content: `{"owned":${i}}` });
        tally(r);
      }
    }
    const total = outcomes.allowed + outcomes.refused + outcomes.failed;
    console.error(`  race: ${total} calls against ${swaps}+ swap rounds: ${outcomes.allowed} allowed, ${outcomes.refused} refused, ${outcomes.failed} failed`);
    assert.is(total, rounds * 6);
    assert.ok(swaps >= 100, `the swapper ran (${swaps} rounds)`);
    assert.ok(outcomes.allowed > 0 && outcomes.refused > 0, `both states were seen: ${JSON.stringify(outcomes)}`);
  } finally {
    swapper.kill('SIGKILL');
    await new Promise((r) => swapper.once('exit', r));
    s.kill();
  }
  // Effects: nothing under the read-only trees changed or appeared; no secret changed hands.
  assert.equal(p.digests(), before);
  assert.is(readFileSync(join(p.root, '.env'), 'utf8'), `API_KEY=${p.canaries[0]}\n`);
  assert.is(statSync(join(p.root, '.env')).nlink <= 2, true); // h.txt may still be its second name
});

// ------------------------------------------------------------------------------------------------ NUL bytes

test('a NUL byte in a path is refused before anything is recorded, and check_tool agrees', async () => {
  for (const policy of [POLICY, {}]) {
    const p = makeProject();
    writeFileSync(join(p.root, '.aflock'), JSON.stringify(policy));
    const s = await started(p.root);
    await s.call('read_file', { path: 'src/app.ts' }); // one record, so the trail exists
    const auditDir = json(await s.call('get_session')).auditDir;
    const records = actionPredicates(auditDir).length;
    for (const [tool, args] of [['read_file', { path: '.env\0.txt' }], ['write_file', { path: 'src/a\0b', content: 'x' }]] as const) {
      const r = await s.call(tool, args);
      assert.ok(r.isError);
      assert.match(text(r), /NUL byte/);
    }
    assert.is(actionPredicates(auditDir).length, records, 'nothing recorded as allowed');
    for (const [tool_name, tool_input] of [['Read', { file_path: '.env\0.txt' }], ['Write', { file_path: 'a\0b', content: '' }], ['Bash', { command: 'cat a\0b' }]] as const) {
      const c = json(await s.call('check_tool', { tool_name, tool_input }));
      assert.is(c.decision, 'deny', `${tool_name} with NUL under ${JSON.stringify(policy)}`);
      assert.match(c.reason, /NUL byte/);
    }
    assert.match(text(await s.call('bash', { command: 'echo a\0b' })), /NUL byte/);
    assert.not.ok(existsSync(join(p.root, 'src/a')));
    await s.close();
  }
});

// ------------------------------------------------------------------------------------------------ ordinary work

test('ordinary work: reads, writes, links to allowed files, new files, pnpm hard links', async () => {
  const p = makeProject();
  const store = temp('aflock-pnpm-store-');
  writeFileSync(join(store, 'f00d'), 'module.exports = 42;\n');
  const pkg = join(p.root, 'node_modules/.pnpm/left-pad@1.3.0/node_modules/left-pad');
  mkdirSync(pkg, { recursive: true });
  linkSync(join(store, 'f00d'), join(pkg, 'index.js'));
  symlinkSync('.pnpm/left-pad@1.3.0/node_modules/left-pad', join(p.root, 'node_modules/left-pad'));
  symlinkSync('src/app.ts', join(p.root, 'app-link.ts'));
  const s = await started(p.root);
  assert.is(text(await s.call('read_file', { path: 'src/app.ts' })), 'export const x = 1;\n');
  assert.is(text(await s.call('read_file', { path: 'node_modules/left-pad/index.js' })), 'module.exports = 42;\n', 'a pnpm hard link reads');
  assert.is(text(await s.call('read_file', { path: 'app-link.ts' })), 'export const x = 1;\n', 'a link to an allowed file reads');
  assert.not.ok((await s.call('write_file', { path: 'app-link.ts', content: 'export const x = 2;\n' })).isError);
  assert.ok(lstatSync(join(p.root, 'app-link.ts')).isSymbolicLink(), 'the link is kept');
  assert.is(readFileSync(join(p.root, 'src/app.ts'), 'utf8'), 'export const x = 2;\n', 'the file it points at is written');
  assert.not.ok((await s.call('write_file', { path: 'src/new.ts', content: 'new' })).isError);
  assert.is(statSync(join(p.root, 'src/new.ts')).mode & 0o777, 0o600);
  assert.match(text(await s.call('write_file', { path: 'src/brand/new/dir.ts', content: 'x' })), /^Write failed: no such file/, 'parents are not created (as before)');
  assert.not.ok((await s.call('write_file', { path: 'node_modules/left-pad/index.js', content: 'patched' })).isError);
  assert.is(readFileSync(join(pkg, 'index.js'), 'utf8'), 'patched');
  assert.is(readFileSync(join(store, 'f00d'), 'utf8'), 'module.exports = 42;\n', 'the pnpm store is untouched: the name was replaced');
  assert.match(text(await s.call('read_file', { path: 'src' })), /^Read failed: is a directory/);
  assert.match(text(await s.call('write_file', { path: 'src', content: 'x' })), /^Write failed: is a directory/);
  assert.equal(readdirSync(join(p.root, 'src')).sort(), ['app.ts', 'new.ts'], 'no temporary files left behind');
  await s.close();
});

test.run();
