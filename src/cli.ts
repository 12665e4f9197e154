// argv -> command. The only place that decides exit codes: 0 ok, 1 a verification failed, 2 usage or configuration.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { resolve } from 'node:path';
import { resolvePolicy, findPolicyFile, loadPolicyFile, PolicyLoadError, type LoadedPolicy } from './policy/load.ts';
import { policyJsonSchema } from './policy/schema.ts';
import { VERSION } from './server.ts';
import { serveStdio } from './transport/stdio.ts';
import { ConfigError } from './auth/bootstrap.ts';
import { runVerifyCommand } from './audit/verify.ts';
import { runInit } from './init.ts';
import { denoCanListenLocally, denoCanRead, denoPermissionSummary, envVar, isDeno } from './runtime.ts';
import { parsePolicy } from './policy/load.ts';
import { sha256Hex } from './audit/json.ts';
import { LOCKED_POLICY_TEXT } from './policy/defaults.ts';
import { runSandboxCommand, SANDBOX_UNAVAILABLE_EXIT } from './sandbox/command.ts';

export const USAGE = `aflock-mcp ${VERSION}: an MCP server that enforces a .aflock policy on an AI agent's tool calls.

Usage:
  aflock-mcp [serve] [--policy PATH] [--root DIR] [--model NAME] [--no-sandbox]
                                    serve MCP on stdio (spawned by the agent, e.g. Claude Code)
  aflock-mcp serve --http [--port N] --bootstrap-secret-file PATH [--policy PATH] ...
                                    serve MCP over HTTP on http://127.0.0.1:N/mcp (see HTTP mode in the README)
  aflock-mcp sandbox [--policy PATH] [--workdir DIR] -- COMMAND [ARG...]
                                    run COMMAND in the sandbox the bash tool uses (exit: its status; 126 when
                                    the sandbox cannot be made, with one line 'Sandbox unavailable: <why>')
  aflock-mcp check-policy [PATH]    validate a policy file (or the one found in the working directory)
  aflock-mcp verify [--allow-partial] [--json] SESSION_DIR
                                    verify a session's signed audit trail (exit 1 if it fails);
                                    --allow-partial accepts a half-written last record (a crash),
                                    --json prints the report as JSON (aflock-mcp verify --help)
  aflock-mcp init [--claude [--deny-native] [--no-user-hooks]]
                                    write a starter .aflock here (never overwrites) and print the Claude Code setup;
                                    --claude registers the server and puts Claude Code's native tools under the policy
                                    with hooks (docs/hooks.md); --deny-native denies the native tools instead
  aflock-mcp hook EVENT             Claude Code command hook (PreToolUse, PostToolUse, PostToolUseFailure): hook JSON
                                    on stdin, answer on stdout, decided by this session's live server
  aflock-mcp schema                 print the JSON Schema of .aflock files
  aflock-mcp --help | --version

Options:
  --policy PATH   policy file, or a directory holding .aflock, policy.aflock or .aflock.json
                  (default: the working directory; without one, an embedded safe default policy)
  --root DIR      project root for paths (default: the policy's directory)
  --model NAME    the agent's model, recorded as self-reported identity
  --no-sandbox    run bash commands without the OS sandbox (docs/sandbox.md); shown by get_policy and
                  get_identity and recorded in every audit record
  --http          serve Streamable HTTP on 127.0.0.1 instead of stdio; needs a bootstrap secret
  --port N        HTTP port (default 0: any free port; the URL is printed on stderr)
  --bootstrap-secret-file PATH
                  the one-time secret that buys the first token: a 0600 file of ours in a directory only we can
                  write, >= 32 random bytes (base64url, >= 43 chars); created (and its path printed) if missing

Environment:
  AFLOCK_HOME=DIR          where session trails are written (default ~/.aflock)
  AFLOCK_REQUIRE_TOKEN=1   every guarded call needs a token; it is sent in the initialize result
  AFLOCK_BOOTSTRAP_SECRET_FILE=PATH   the bootstrap secret file for --http, if the flag is not given

Exit codes: 0 ok, 1 verification failed, 2 usage or configuration error.`;

class UsageError extends Error {}

function fail(message: string): number {
  process.stderr.write(`aflock-mcp: ${message}\n`);
  return 2;
}

function parse(argv: string[], options: NonNullable<ParseArgsConfig['options']>) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(`${(e as Error).message.split('\n')[0]} (see aflock-mcp --help)`);
  }
}

/** The deny-everything policy, for when we cannot even look for the project's own. */
function lockedPolicy(cwd: string, root: string | undefined): LoadedPolicy {
  const { policy, compiled } = parsePolicy(LOCKED_POLICY_TEXT, '(locked policy)');
  return { compiled, policy, digest: sha256Hex(LOCKED_POLICY_TEXT), path: null, root: resolve(cwd, root ?? '.'), name: policy.name ?? 'locked' };
}

function loadForServe(policyArg: string | undefined, root: string | undefined): LoadedPolicy {
  if (policyArg === undefined && isDeno() && !denoCanRead(process.cwd())) {
    // We cannot tell whether a .aflock is here, so nothing is allowed: never run on a default beside a real policy.
    process.stderr.write('[aflock] Deno gives no read access to the working directory (--allow-read): cannot look for a .aflock, so every tool call is denied\n');
    return lockedPolicy(process.cwd(), root);
  }
  const policy = resolvePolicy({ policyArg, cwd: process.cwd(), root });
  if (!policy.path) process.stderr.write('[aflock] no .aflock policy found in the working directory: using the embedded default policy\n');
  return policy;
}

function parsePort(arg: string | undefined): number {
  if (arg === undefined) return 0;
  if (!/^\d{1,5}$/.test(arg) || Number(arg) > 65535) throw new UsageError(`--port must be an integer from 0 to 65535, not '${arg}'`);
  return Number(arg);
}

async function serve(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    policy: { type: 'string', short: 'p' },
    root: { type: 'string' },
    model: { type: 'string' },
    http: { type: 'boolean' },
    port: { type: 'string' },
    'bootstrap-secret-file': { type: 'string' },
    host: { type: 'string' },
    'no-sandbox': { type: 'boolean' },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}' (see aflock-mcp --help)`);
  const policy = loadForServe(values.policy as string | undefined, values.root as string | undefined);
  const requireToken = envVar('AFLOCK_REQUIRE_TOKEN') === '1';
  const missing = denoPermissionSummary({ root: policy.root });
  if (missing) process.stderr.write(`[aflock] ${missing}\n`);
  if (values.http) {
    if (!denoCanListenLocally()) return fail('HTTP mode under Deno needs --allow-net=127.0.0.1 (see README, "Deno")');
    if (values.host !== undefined && values.host !== '127.0.0.1') throw new UsageError(`HTTP mode binds 127.0.0.1 only; refusing --host ${values.host}`);
    const port = parsePort(values.port as string | undefined);
    const secretFile = (values['bootstrap-secret-file'] as string | undefined) || envVar('AFLOCK_BOOTSTRAP_SECRET_FILE') || undefined;
    // Loaded only here: the HTTP stack (@hono/node-server, node:http2, and the fetch globals it touches, which make
    // Node load undici) costs stdio start-up ~5-7 ms of a ~100 ms start (bench/, BENCHMARKS.md).
    const { serveHttp } = await import('./transport/http.ts');
    return serveHttp({ policy, modelFlag: values.model as string | undefined, port, secretFile, noSandbox: values['no-sandbox'] === true });
  }
  for (const flag of ['port', 'bootstrap-secret-file', 'host'] as const) {
    if (values[flag] !== undefined) throw new UsageError(`--${flag} applies to --http only`);
  }
  return serveStdio({ policy, modelFlag: values.model as string | undefined, requireToken, sandboxInBuild: /aflock-mcp sandbox\b/.test(USAGE), noSandbox: values['no-sandbox'] === true });
}

/** `sandbox [--policy PATH] [--workdir DIR] -- COMMAND [ARG...]`: options before `--`, the command after it. */
async function sandboxCommand(argv: string[]): Promise<number> {
  const dash = argv.indexOf('--');
  if (dash < 0 || dash === argv.length - 1) throw new UsageError('sandbox needs -- COMMAND [ARG...] (see aflock-mcp --help)');
  const { values, positionals } = parse(argv.slice(0, dash), { policy: { type: 'string', short: 'p' }, workdir: { type: 'string' } });
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}' before -- (see aflock-mcp --help)`);
  let policy: LoadedPolicy;
  try {
    policy = loadForServe(values.policy as string | undefined, undefined);
  } catch (e) {
    if (e instanceof PolicyLoadError) {
      process.stderr.write(`Sandbox unavailable: policy ${e.message}\n`);
      return SANDBOX_UNAVAILABLE_EXIT;
    }
    throw e;
  }
  return runSandboxCommand(policy, values.workdir as string | undefined, argv.slice(dash + 1));
}

function checkPolicy(argv: string[]): number {
  const { positionals } = parse(argv, {});
  if (positionals.length > 1) throw new UsageError('check-policy takes at most one PATH');
  const file = findPolicyFile(positionals[0], process.cwd());
  if (!file) return fail(`no ${'.aflock'} policy in ${process.cwd()} (give a PATH)`);
  const p = loadPolicyFile(file);
  const c = p.compiled;
  const counts = [
    `tools: ${c.tools ? `${c.tools.allow?.length ?? 0} allow, ${c.tools.deny.length} deny, ${c.tools.ask.length} requireApproval` : 'none'}`,
    `files: ${c.files ? `${c.files.allow?.length ?? 0} allow, ${c.files.deny.length} deny, ${c.files.readOnly.length} readOnly` : 'none'}`,
    `domains: ${c.domains ? `${c.domains.allow?.length ?? 0} allow, ${c.domains.deny.length} deny` : 'none'}`,
    `dataFlow: ${c.dataFlow ? `${c.dataFlow.classify.length} labels, ${c.dataFlow.rules.length} rules` : 'none'}`,
  ];
  process.stdout.write(`${file}: valid policy${p.name ? ` '${p.name}'` : ''}\n  sha256 ${p.digest}\n  project root ${p.root}\n  ${counts.join('\n  ')}\n${p.policy.expires ? `  expires ${p.policy.expires}\n` : ''}`);
  return 0;
}

export async function run(argv: string[]): Promise<number> {
  try {
    const [first, ...rest] = argv;
    if (first === '--help' || first === '-h' || first === 'help') {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (first === '--version' || first === '-v') {
      process.stdout.write(`${VERSION}\n`);
      return 0;
    }
    switch (first) {
      case undefined:
        return await serve([]);
      case 'serve':
        return await serve(rest);
      case 'sandbox':
        return await sandboxCommand(rest);
      case 'check-policy':
        return checkPolicy(rest);
      case 'verify':
        return runVerifyCommand(rest);
      case 'init': {
        const { values, positionals } = parse(rest, { claude: { type: 'boolean' }, 'deny-native': { type: 'boolean' }, 'no-user-hooks': { type: 'boolean' } });
        if (positionals.length > 0) throw new UsageError(`init takes no arguments (see aflock-mcp --help)`);
        if ((values['deny-native'] || values['no-user-hooks']) && !values.claude) throw new UsageError('--deny-native and --no-user-hooks go with --claude');
        return runInit({ cwd: process.cwd(), claude: values.claude === true, denyNative: values['deny-native'] === true, noUserHooks: values['no-user-hooks'] === true });
      }
      case 'hook': {
        const { runHookCommand } = await import('./hooks/command.ts');
        return await runHookCommand(rest, /aflock-mcp sandbox\b/.test(USAGE));
      }
      case 'schema':
        process.stdout.write(`${JSON.stringify(policyJsonSchema(), null, 2)}\n`);
        return 0;
      default:
        if (first.startsWith('-')) return await serve(argv);
        throw new UsageError(`unknown command '${first}' (see aflock-mcp --help)`);
    }
  } catch (e) {
    if (e instanceof UsageError || e instanceof PolicyLoadError || e instanceof ConfigError) return fail(e.message);
    return fail(`unexpected error: ${(e as Error).message}`);
  }
}

export function main(argv: string[]): void {
  run(argv).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`aflock-mcp: ${(e as Error).message}\n`);
      process.exit(2);
    },
  );
}
