// The build-time tripwire of the startup snapshot (src/snapshot/tripwire.ts, src/main-snapshot.ts): the executable's
// entry is bundled as build.mjs bundles it and snapshotted with `node --build-snapshot`, once as it is (must build)
// and once with one of our modules made to reach for per-process state while it loads (must not build, and must
// say what and where). The leak is put into src/policy/defaults.ts by an esbuild plugin, so no source file changes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { build, type Plugin } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './helpers/rpc.ts';

const work = tempDir('aflock-snapshot-test-');
test.after(() => rmSync(work, { recursive: true, force: true }));

function leakInto(file: RegExp, code: string): Plugin {
  return {
    name: 'leak',
    setup(b) {
      b.onLoad({ filter: file }, (args) => ({ contents: `${readFileSync(args.path, 'utf8')}\n${code}\n`, loader: 'ts' }));
    },
  };
}

async function snapshot(name: string, plugins: Plugin[] = [], warmShell = false): Promise<{ code: number | null; stderr: string; blob: string }> {
  const main = join(work, `${name}.cjs`);
  const blob = join(work, `${name}.blob`);
  await build({
    entryPoints: ['src/main-snapshot.ts'],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile: main,
    logLevel: 'silent',
    define: { AFLOCK_VERSION: '"test"', AFLOCK_SNAPSHOT_WARM_SHELL: String(warmShell) },
    plugins,
  });
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const r = spawnSync(process.execPath, ['--snapshot-blob', blob, '--build-snapshot', main], { encoding: 'utf8', env, timeout: 60_000 });
  return { code: r.status, stderr: r.stderr, blob };
}

test('the entry as it is snapshots cleanly: nothing reaches for per-process state while the modules load', async () => {
  const r = await snapshot('clean');
  assert.is(r.code, 0, r.stderr);
  assert.not.match(r.stderr, /per-process state/);
  assert.ok(existsSync(r.blob));
});

test('a module that reads the environment, draws random bytes and adds a signal handler at load fails the build, named', async () => {
  const r = await snapshot('leaky', [
    leakInto(/src[\\/]policy[\\/]defaults\.ts$/, [
      'export const LEAK_HOME = process.env.AFLOCK_HOME;',
      "export const LEAK_ID = require('node:crypto').randomUUID();",
      "process.on('SIGTERM', () => undefined);",
    ].join('\n')),
  ]);
  assert.is.not(r.code, 0, 'the snapshot was built');
  assert.match(r.stderr, /the startup snapshot would capture per-process state/);
  assert.match(r.stderr, /process\.env\.AFLOCK_HOME/);
  assert.match(r.stderr, /crypto\.randomUUID\(\)/);
  assert.match(r.stderr, /process\.on\(\)/);
  assert.not.ok(existsSync(r.blob), 'a blob was written anyway');
});

test('a timer or a file opened at load fails the build too', async () => {
  const r = await snapshot('timer', [
    leakInto(/src[\\/]policy[\\/]defaults\.ts$/, [
      'clearTimeout(setTimeout(() => undefined, 1));',
      "export const LEAK_FD = require('node:fs').openSync('/dev/null', 'r');",
      "export const LEAK_HOSTNAME = require('node:os').hostname();",
    ].join('\n')),
  ]);
  assert.is.not(r.code, 0, 'the snapshot was built');
  assert.match(r.stderr, /setTimeout\(\)/);
  assert.match(r.stderr, /fs\.openSync\(\)/);
  assert.match(r.stderr, /os\.hostname\(\)/);
});

test('the shell parser warm-up either loads it cleanly into the snapshot or fails with the marker build.mjs retries on', async () => {
  // Parser-independent on purpose: mvdan-sh reads the environment when it loads (marker), unbash does not (builds).
  const r = await snapshot('shell', [], true);
  if (r.code === 0) {
    assert.ok(existsSync(r.blob));
  } else {
    assert.match(r.stderr, /AFLOCK_SNAPSHOT_SHELL_WARMUP_UNSAFE: the shell parser reads per-process state when it loads/);
    assert.not.match(r.stderr, /the startup snapshot would capture per-process state/, 'something besides the parser leaked');
    assert.match(readFileSync('build.mjs', 'utf8'), /const SHELL_WARMUP_UNSAFE = 'AFLOCK_SNAPSHOT_SHELL_WARMUP_UNSAFE'/, 'build.mjs retries on another marker');
  }
});

test.run();
