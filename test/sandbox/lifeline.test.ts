// The sandbox's lifeline on its own: with --die-with-parent taken out of bubblewrap's command line, a sandboxed
// command still dies when the last holder of its stdin pipe dies, and (the controls) not before, and not without the
// lifeline script. Real processes: bash starts `sleep HOLDER | bwrap ...`, so the pipe's write end is held by the
// holder `sleep` alone, which is killed the way a server is (SIGKILL; the kernel closes its descriptors).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { bwrapArgs, type BwrapSpec } from '../../src/sandbox/bwrap.ts';
import { tempDir } from '../helpers/rpc.ts';

const hasBwrap = spawnSync('sh', ['-c', 'command -v bwrap'], { stdio: 'ignore' }).status === 0;
const maybe = hasBwrap ? test : test.skip;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Pids whose command line matches `pattern` (pgrep -f, an extended regular expression). */
function pidsOf(pattern: string): number[] {
  const r = spawnSync('pgrep', ['-f', pattern], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean).map(Number);
}

async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(50)) if (cond()) return true;
  return cond();
}

interface Started {
  /** bash running the pipeline: bwrap's parent. */
  wrapper: ChildProcess;
  /** The pipe's only writer. */
  holder: number;
  /** Matches the sandboxed sleep and everything whose command line carries it (both bwraps, the first shell). */
  inside: string;
  tag: string;
}

/** Starts `sleep TAG` in a sandbox built as the server builds it, minus --die-with-parent. */
async function start(lifeline: boolean): Promise<Started> {
  const root = tempDir('aflock-lifeline-');
  const spec: BwrapSpec = {
    root, cwd: root, tmpDir: tempDir('aflock-lifeline-tmp-'), policyFile: null, deny: [], readOnly: [], missingReadOnlyDirs: [],
    hiddenDirs: [], reexposed: [], alwaysHidden: [], proxySocket: null, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
  };
  const tag = String(10000 + Math.floor(Math.random() * 89999));
  const full = bwrapArgs(spec, `sleep ${tag}`, { lifeline });
  assert.ok(full.includes('--die-with-parent'), 'the server asks for the death signal; the test takes it out');
  const args = full.filter((a) => a !== '--die-with-parent');
  const wrapper = spawn('bash', ['-c', `sleep 600.${tag} | exec "$@"`, 'bash', 'bwrap', ...args], { stdio: 'ignore', detached: true });
  const inside = `sleep ${tag}`;
  assert.ok(await waitFor(() => pidsOf(`^sleep ${tag}$`).length > 0, 10000), 'the sandboxed sleep never started');
  const [holder] = pidsOf(`^sleep 600\\.${tag}$`);
  assert.ok(holder, 'no holder');
  return { wrapper, holder, inside, tag };
}

/** Kills whatever a test left (killing the namespace's bwrap from outside ends the namespace) and waits for it. */
async function killAll(s: Started | undefined): Promise<void> {
  if (!s) return;
  for (const pid of [s.wrapper.pid!, s.holder, ...pidsOf(s.inside)]) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  await waitFor(() => pidsOf(s.inside).length === 0, 5000);
}

maybe('without the death signal: the sandbox outlives its parent while the lifeline is held, and dies when its holder is SIGKILLed', async () => {
  let s: Started | undefined;
  try {
    s = await start(true);
    s.wrapper.kill('SIGKILL');
    await sleep(1500);
    // Control: the parent's death alone does nothing here (no --die-with-parent), so what follows is the lifeline's.
    assert.ok(pidsOf(`^sleep ${s.tag}$`).length > 0, 'the sandbox died with its parent: the death signal is still there');
    process.kill(s.holder, 'SIGKILL');
    const t0 = Date.now();
    const gone = await waitFor(() => pidsOf(s!.inside).length === 0, 5000);
    assert.ok(gone, `still there ${Date.now() - t0} ms after the holder died: ${pidsOf(s.inside).join(' ')}`);
  } finally {
    await killAll(s);
  }
});

maybe('control: without the lifeline script, the holder\'s death leaves the sandbox running', async () => {
  let s: Started | undefined;
  try {
    s = await start(false);
    s.wrapper.kill('SIGKILL');
    process.kill(s.holder, 'SIGKILL');
    await sleep(1500);
    assert.ok(pidsOf(`^sleep ${s.tag}$`).length > 0, 'the sandbox died without the lifeline: the test above would prove nothing');
  } finally {
    await killAll(s);
  }
});

test.run();
