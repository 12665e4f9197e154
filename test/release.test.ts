// `npm run release` packaging: the executable named for its platform, its SHA-256 file, and a tarball that holds the
// same executable, the README and the JSON Schema. Packages the dist/aflock-mcp that `npm run build` made.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tempDir } from './helpers/rpc.ts';

const EXE = resolve('dist/aflock-mcp');
const version: string = JSON.parse(readFileSync('package.json', 'utf8')).version;
const name = `aflock-mcp-${process.platform}-${process.arch}`;
const top = `aflock-mcp-${version}-${process.platform}-${process.arch}`;

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const hasSha256sum = spawnSync('sh', ['-c', 'command -v sha256sum'], { stdio: 'ignore' }).status === 0;

const built = existsSync(EXE);
if (!built) console.log('release: SKIPPED, dist/aflock-mcp is not built (npm run build)');

(built ? test : test.skip)('release: executable, .sha256 files and tarball in the release directory', () => {
  const dir = tempDir('aflock-release-');
  const r = spawnSync(process.execPath, ['build.mjs', '--release-only', '--release-dir', dir], { encoding: 'utf8', timeout: 180000 });
  assert.is(r.status, 0, r.stderr);
  assert.equal(readdirSync(dir).sort(), [`${top}.tar.gz`, `${top}.tar.gz.sha256`, name, `${name}.sha256`].sort());

  const exe = join(dir, name);
  assert.is(statSync(exe).mode & 0o111, 0o111, 'executable bits');
  assert.is(sha256(exe), sha256(EXE), 'the released file is the built executable');
  assert.is(readFileSync(join(dir, `${name}.sha256`), 'utf8'), `${sha256(exe)}  ${name}\n`);
  assert.is(readFileSync(join(dir, `${top}.tar.gz.sha256`), 'utf8'), `${sha256(join(dir, `${top}.tar.gz`))}  ${top}.tar.gz\n`);
  if (hasSha256sum) {
    const ok = spawnSync('sha256sum', ['-c', `${name}.sha256`, `${top}.tar.gz.sha256`], { cwd: dir, encoding: 'utf8' });
    assert.is(ok.status, 0, ok.stdout + ok.stderr);
    // ... and the check does catch a changed byte
    const copy = tempDir('aflock-tamper-');
    copyFileSync(join(dir, `${name}.sha256`), join(copy, `${name}.sha256`));
    const bytes = readFileSync(exe);
    bytes[bytes.length - 1] ^= 1;
    writeFileSync(join(copy, name), bytes);
    assert.is.not(spawnSync('sha256sum', ['-c', `${name}.sha256`], { cwd: copy, stdio: 'ignore' }).status, 0);
  }

  const listing = spawnSync('tar', ['-tzf', join(dir, `${top}.tar.gz`)], { encoding: 'utf8' });
  assert.is(listing.status, 0, listing.stderr);
  assert.equal(listing.stdout.trim().split('\n').sort(), [`${top}/`, `${top}/README.md`, `${top}/aflock-mcp`, `${top}/aflock.schema.json`]);
  const out = tempDir('aflock-untar-');
  assert.is(spawnSync('tar', ['-xzf', join(dir, `${top}.tar.gz`), '-C', out]).status, 0);
  const unpacked = join(out, top, 'aflock-mcp');
  assert.is(sha256(unpacked), sha256(EXE));
  assert.equal(JSON.parse(readFileSync(join(out, top, 'aflock.schema.json'), 'utf8')), JSON.parse(readFileSync('schema/aflock.schema.json', 'utf8')));
  const v = spawnSync('env', ['-i', unpacked, '--version'], { encoding: 'utf8' });
  assert.is(v.status, 0, v.stderr);
  assert.is(v.stdout.trim(), version);
});

test('build.mjs refuses unknown options and a --pkg without targets', () => {
  const bad = spawnSync(process.execPath, ['build.mjs', '--frobnicate'], { encoding: 'utf8' });
  assert.is(bad.status, 1);
  assert.match(bad.stderr, /unknown option --frobnicate/);
  const pkg = spawnSync(process.execPath, ['build.mjs', '--pkg'], { encoding: 'utf8' });
  assert.is(pkg.status, 1);
  assert.match(pkg.stderr, /--pkg needs a value/);
});

test.run();
