// Every entry of test/vectors/policy-vectors.json (see test/vectors/README.md), checked through the running server: check_tool for Claude
// Code tool names, the MCP tools themselves for lower-case names, a refused start for invalid policies.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { RpcServer, runCli, tempDir, text, type ToolResult } from './helpers/rpc.ts';

interface Vector {
  id: string;
  area: string;
  policy: object | null;
  tool: string;
  input: Record<string, unknown>;
  expect: 'allow' | 'deny' | 'ask' | 'either' | 'invalid-policy';
  why: string;
  projectRoot?: string;
  setup?: { files?: Record<string, string>; symlinks?: Record<string, string> };
  history?: { tool: string; input: Record<string, unknown> }[];
  scenario?: { requireToken?: boolean; tokenIssued?: boolean; signingEnabled?: boolean; token?: string };
  aflock?: string;
}

// The vectors live in the repository; AFLOCK_VECTORS points at another copy (a newer set being tried out).
const vectorsFile = resolve(process.env.AFLOCK_VECTORS || 'test/vectors/policy-vectors.json');
if (!existsSync(vectorsFile)) throw new Error(`policy-vectors.json not found at ${vectorsFile}`);
const vectors: Vector[] = JSON.parse(readFileSync(vectorsFile, 'utf8'));

/** Replaces {root} and the vector's assumed project root with the test's root, everywhere in a value. */
function substitute(v: unknown, root: string, projectRoot?: string): unknown {
  if (typeof v === 'string') {
    let s = v.split('{root}').join(root);
    if (projectRoot && (s === projectRoot || s.startsWith(`${projectRoot}/`))) s = root + s.slice(projectRoot.length);
    return s;
  }
  if (Array.isArray(v)) return v.map((x) => substitute(x, root, projectRoot));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substitute(x, root, projectRoot)]));
  return v;
}

function outcome(r: ToolResult): 'allow' | 'deny' | 'ask' {
  if (!r.isError) return 'allow';
  return text(r).startsWith('Policy requires approval:') ? 'ask' : 'deny';
}

/** Lower-case names of this server's own tools are called directly; every other name is a host tool for check_tool. */
const SERVER_TOOLS = new Set(['bash', 'read_file', 'write_file', 'sign_attestation', 'check_tool', 'get_token', 'get_session', 'get_policy', 'get_identity']);

async function callAs(s: RpcServer, tool: string, input: Record<string, unknown>, token?: string): Promise<{ verdict: 'allow' | 'deny' | 'ask'; detail: string }> {
  if (!SERVER_TOOLS.has(tool)) {
    const r = await s.call('check_tool', { tool_name: tool, tool_input: input });
    const d = JSON.parse(text(r));
    return { verdict: d.decision, detail: d.reason };
  }
  const r = await s.call(tool, token ? { ...input, _token: token } : input, 20000);
  if (tool === 'check_tool') {
    const d = JSON.parse(text(r));
    return { verdict: d.decision, detail: d.reason };
  }
  return { verdict: outcome(r), detail: text(r).slice(0, 300) };
}

/** Paths the vector reads or writes through the MCP tools that lie outside the test root (the reference confined nothing). */
function needsWideRoot(v: Vector, root: string): boolean {
  const calls = [...(v.history ?? []), { tool: v.tool, input: v.input }];
  return calls.some((c) => (c.tool === 'read_file' || c.tool === 'write_file') && typeof c.input.path === 'string' && c.input.path.startsWith('/') && !c.input.path.startsWith('{root}') && !c.input.path.startsWith(root));
}

async function runVector(v: Vector): Promise<{ verdict: string; detail: string }> {
  const root = tempDir('aflock-vec-');
  for (const [rel, content] of Object.entries(v.setup?.files ?? {})) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), content);
  }
  for (const [rel, target] of Object.entries(v.setup?.symlinks ?? {})) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    symlinkSync(target, join(root, rel));
  }
  const args: string[] = [];
  if (v.policy !== null) {
    writeFileSync(join(root, '.aflock'), JSON.stringify(v.policy, null, 2));
  }
  // A root of / would make the whole file system writable, so the sandbox refuses it; these vectors are about the
  // analyzer's decisions (the reference confined nothing), so they run without it, explicitly.
  if (needsWideRoot(v, root)) args.push('--root', '/', '--no-sandbox');
  const sc = v.scenario ?? {};
  const home = sc.signingEnabled === false ? join(tempDir(), 'not-a-dir') : tempDir('aflock-home-');
  if (sc.signingEnabled === false) writeFileSync(home, 'a file where AFLOCK_HOME should be a directory');
  const env = { ...process.env, AFLOCK_HOME: home, ...(sc.requireToken ? { AFLOCK_REQUIRE_TOKEN: '1' } : {}) };

  if (v.expect === 'invalid-policy') {
    const r = await runCli(args, { cwd: root, env });
    return { verdict: r.code === 2 ? 'invalid-policy' : `exit ${r.code}`, detail: r.stderr.trim() };
  }

  const s = new RpcServer(args, { cwd: root, env });
  try {
    const init = await s.initialize();
    let token: string | undefined = init.capabilities.experimental?.aflock?.token;
    if (sc.tokenIssued) {
      const t = await s.call('get_token');
      token = JSON.parse(text(t)).token;
    }
    if (sc.token === 'none') token = undefined;
    else if (sc.token && sc.token !== 'valid') token = await badToken(sc.token, s, token!, v);
    const input = substitute(v.input, root, v.projectRoot) as Record<string, unknown>;
    for (const h of v.history ?? []) await callAs(s, h.tool, substitute(h.input, root, v.projectRoot) as Record<string, unknown>, token);
    return await callAs(s, v.tool, input, token);
  } finally {
    await s.close();
  }
}

/** Tokens that must be refused, made the way an attacker could make them. */
async function badToken(kind: string, s: RpcServer, valid: string, v: Vector): Promise<string> {
  const [h, p] = valid.split('.');
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
  switch (kind) {
    case 'expired': {
      const child = JSON.parse(text(await s.call('get_token', { _token: valid, scope: { ttl_seconds: 1 } })));
      await new Promise((r) => setTimeout(r, 2100));
      return child.token;
    }
    case 'hs256': {
      const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
      const { createHmac } = await import('node:crypto');
      const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
      return `${header}.${body}.${createHmac('sha256', 'guess').update(`${header}.${body}`).digest('base64url')}`;
    }
    case 'wrong-session':
    case 'wrong-key':
    case 'wrong-issuer':
    case 'other-policy': {
      // A token from another server process (another key, another session): what a stale or stolen token looks like.
      const otherRoot = tempDir();
      writeFileSync(join(otherRoot, '.aflock'), JSON.stringify((v.scenario as any).tokenPolicy ?? v.policy ?? {}));
      const other = new RpcServer([], { cwd: otherRoot, env: { ...process.env, AFLOCK_HOME: tempDir() } });
      await other.initialize();
      const t = JSON.parse(text(await other.call('get_token'))).token as string;
      await other.close();
      if (kind === 'wrong-issuer') {
        const [oh, op, os] = t.split('.');
        const pl = JSON.parse(Buffer.from(op, 'base64url').toString());
        pl.iss = 'not-aflock';
        return `${oh}.${Buffer.from(JSON.stringify(pl)).toString('base64url')}.${os}`;
      }
      return t;
    }
    default:
      throw new Error(`unknown token scenario ${kind} (${h.length})`);
  }
}

const CONCURRENCY = 4;
const results = new Map<string, { verdict: string; detail: string }>();

// All vectors run concurrently (each in its own server process) before the per-vector assertions.
test.before(async () => {
  const queue = [...vectors];
  const worker = async () => {
    for (let v = queue.shift(); v; v = queue.shift()) {
      try {
        results.set(v.id, await runVector(v));
      } catch (e) {
        results.set(v.id, { verdict: 'error', detail: (e as Error).message });
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
});

for (const v of vectors) {
  test(`vector ${v.id} [${v.area}] -> ${v.expect}`, () => {
    const got = results.get(v.id)!;
    assert.ok(got, 'ran');
    if (v.expect === 'either') {
      assert.is.not(got.verdict, 'error', got.detail);
      return;
    }
    assert.is(got.verdict, v.expect, `${v.why} | got ${got.verdict}: ${got.detail} | ${v.tool} ${JSON.stringify(v.input)}`);
  });
}

test.run();
