// The benchmark's workspace: a temp dir holding copies of the built servers (so a concurrent `npm run build` cannot
// swap a binary in the middle of a run), the floor built the same ways, a project with the realistic policy, and the
// clean environments every server is started with.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSea } from '../../scripts/sea.mjs';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DENO = join(REPO, 'node_modules/deno/deno');
const FS_SERVER = join(REPO, 'node_modules/@modelcontextprotocol/server-filesystem/dist/index.js');
/** Must match HARDENING_ASSET in build.mjs: the floor's executable carries the same asset, so only the code differs. */
const HARDENING_ASSET = 'aflock-hardening.json';

export function log(msg) {
  process.stderr.write(`[bench] ${msg}\n`);
}

/** esbuild options of build.mjs, for the floor. */
const common = { bundle: true, platform: 'node', target: 'node20', legalComments: 'none', logLevel: 'warning' };
const esmBanner = "import { createRequire as __aflockCreateRequire } from 'node:module'; const require = __aflockCreateRequire(import.meta.url);";

export async function prepare({ withSea = true } = {}) {
  const dist = join(REPO, 'dist');
  for (const f of ['aflock-mcp.cjs', 'aflock-mcp.mjs', ...(withSea ? ['aflock-mcp'] : [])]) {
    if (!existsSync(join(dist, f))) throw new Error(`dist/${f} is missing: run npm run build first (npm run bench does)`);
  }
  const work = realpathSync(mkdtempSync(join(tmpdir(), 'aflock-bench-')));
  const bin = join(work, 'bin');
  mkdirSync(bin);
  for (const f of ['aflock-mcp.cjs', 'aflock-mcp.mjs', ...(withSea ? ['aflock-mcp'] : [])]) {
    copyFileSync(join(dist, f), join(bin, f));
    chmodSync(join(bin, f), 0o755);
  }

  const t = performance.now();
  const floorEntry = join(REPO, 'bench/floor/echo.ts');
  const floorSnapEntry = join(REPO, 'bench/floor/echo-snapshot.ts');
  const aflockDefine = { AFLOCK_VERSION: JSON.stringify(JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).version) };
  await Promise.all([
    build({ ...common, entryPoints: [floorEntry], format: 'cjs', outfile: join(bin, 'floor.cjs'), banner: { js: '#!/usr/bin/env node' } }),
    build({ ...common, entryPoints: [floorEntry], format: 'esm', outfile: join(bin, 'floor.mjs'), banner: { js: esmBanner } }),
    build({ ...common, entryPoints: [floorSnapEntry], format: 'cjs', outfile: join(bin, 'floor-snapshot.cjs') }),
    // aflock's node bundle in a snapshot (benchmark only; see bench/snapshot/aflock-node.ts) and aflock's executable
    // without one (what build.mjs made before the snapshot; AFLOCK_NO_SNAPSHOT=1 still builds it).
    build({ ...common, entryPoints: [join(REPO, 'bench/snapshot/aflock-node.ts')], format: 'cjs', outfile: join(bin, 'aflock-node-snapshot.cjs'), define: aflockDefine }),
    ...(withSea ? [build({ ...common, entryPoints: [join(REPO, 'src/main.ts')], format: 'cjs', outfile: join(bin, 'aflock-codecache.cjs'), define: aflockDefine })] : []),
  ]);
  // node --snapshot-blob: the blob must be made by the node that runs it.
  for (const name of ['floor', 'aflock-node']) {
    const r = spawnSync(process.execPath, ['--snapshot-blob', join(bin, `${name}-snapshot.blob`), '--build-snapshot', join(bin, `${name}-snapshot.cjs`)], { encoding: 'utf8', env: { PATH: process.env.PATH } });
    if (r.status !== 0) throw new Error(`${name} snapshot blob: ${r.stderr}`);
  }
  if (withSea) {
    const asset = { [HARDENING_ASSET]: JSON.stringify({ nodeOptions: 'ignored' }) };
    const quiet = (what) => (m) => log(`${what}: ${m}`);
    await buildSea({ main: join(bin, 'floor.cjs'), output: join(bin, 'floor'), assets: asset, log: quiet('floor executable') });
    await buildSea({ main: join(bin, 'floor-snapshot.cjs'), output: join(bin, 'floor-snapshot'), snapshot: true, assets: asset, log: quiet('floor snapshot executable') });
    await buildSea({ main: join(bin, 'aflock-codecache.cjs'), output: join(bin, 'aflock-codecache'), assets: asset, log: quiet('aflock code-cache executable') });
  }
  log(`floor and snapshot variants built in ${Math.round(performance.now() - t)} ms`);
  const sizes = {};
  for (const f of ['aflock-mcp', 'aflock-codecache', 'floor', 'floor-snapshot']) if (existsSync(join(bin, f))) sizes[f] = statSync(join(bin, f)).size;
  for (const f of ['aflock-node-snapshot.blob', 'floor-snapshot.blob', 'aflock-mcp.cjs', 'floor.cjs']) sizes[f] = statSync(join(bin, f)).size;

  // The project the servers work on: the realistic policy, a 4 KB file, a few directories.
  const project = join(work, 'project');
  mkdirSync(join(project, 'src'), { recursive: true });
  copyFileSync(join(REPO, 'bench/policy.aflock'), join(project, '.aflock'));
  const line = 'export const value = "aflock benchmark line, sixty-four bytes long";\n'.slice(0, 63) + '\n';
  writeFileSync(join(project, 'src/file4k.ts'), line.repeat(64)); // 64 * 64 = 4096 bytes
  if (statSync(join(project, 'src/file4k.ts')).size !== 4096) throw new Error('file4k is not 4096 bytes');
  const home = join(work, 'home');
  mkdirSync(home);

  return {
    work,
    bin,
    project,
    home,
    file4k: join(project, 'src/file4k.ts'),
    sizes,
    cleanup: () => rmSync(work, { recursive: true, force: true }),
  };
}

/**
 * The clean environment of a server: PATH, HOME and a fresh AFLOCK_HOME, nothing else (no NODE_EXTRA_CA_CERTS,
 * which alone adds ~35 ms to a Node start here, no NODE_OPTIONS).
 */
export function cleanEnv(ws, extra = {}) {
  const aflockHome = mkdtempSync(join(ws.work, 'aflock-home-'));
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: ws.home, AFLOCK_HOME: aflockHome, ...extra };
}

/** Every server variant: how to spawn it. `cwd` is the project (aflock finds its .aflock there). */
export function variants(ws) {
  const node = process.execPath;
  const denoEnv = { DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' };
  return {
    'aflock node': { cmd: node, args: [join(ws.bin, 'aflock-mcp.cjs')] },
    'aflock node snapshot': { cmd: node, args: ['--snapshot-blob', join(ws.bin, 'aflock-node-snapshot.blob')] },
    'aflock exe': { cmd: join(ws.bin, 'aflock-mcp'), args: [] },
    'aflock exe code cache': { cmd: join(ws.bin, 'aflock-codecache'), args: [] },
    'aflock deno': { cmd: DENO, args: ['run', '--no-prompt', '-A', join(ws.bin, 'aflock-mcp.mjs')], env: denoEnv },
    'floor node': { cmd: node, args: [join(ws.bin, 'floor.cjs')] },
    'floor node snapshot': { cmd: node, args: ['--snapshot-blob', join(ws.bin, 'floor-snapshot.blob')] },
    'floor exe': { cmd: join(ws.bin, 'floor'), args: [] },
    'floor exe snapshot': { cmd: join(ws.bin, 'floor-snapshot'), args: [] },
    'floor deno': { cmd: DENO, args: ['run', '--no-prompt', '-A', join(ws.bin, 'floor.mjs')], env: denoEnv },
    'server-filesystem node': { cmd: node, args: [FS_SERVER, ws.project] },
  };
}

export function machine() {
  const cpu = readFileSync('/proc/cpuinfo', 'utf8');
  const model = cpu.match(/^model name\s*:\s*(.*)$/m)?.[1] ?? 'unknown';
  const deno = spawnSync(DENO, ['--version'], { encoding: 'utf8', env: { PATH: process.env.PATH, DENO_NO_UPDATE_CHECK: '1' } }).stdout?.split('\n')[0] ?? 'unknown';
  const mem = readFileSync('/proc/meminfo', 'utf8').match(/^MemTotal:\s+(\d+)/m)?.[1];
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const fsPkg = JSON.parse(readFileSync(join(REPO, 'node_modules/@modelcontextprotocol/server-filesystem/package.json'), 'utf8')).version;
  const sdkPkg = JSON.parse(readFileSync(join(REPO, 'node_modules/@modelcontextprotocol/sdk/package.json'), 'utf8')).version;
  const nproc = spawnSync('nproc', { encoding: 'utf8' }).stdout.trim();
  return { nproc: Number(nproc), cpu: model, memGiB: mem ? Math.round(Number(mem) / 1048576) : null, node: process.version, deno, sdk: sdkPkg, serverFilesystem: fsPkg, loadavgAtStart: load, kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim() };
}
