// stdio: the parent that spawned us owns our stdin/stdout and is the one client. On EOF or SIGTERM/SIGINT we let
// calls in flight answer, then exit 0. Messages are read by our own LineTransport (transport/lines.ts): the SDK's
// stdio transport stops reading for good on one message over 10 MiB and ignores lines it cannot parse.
import { LineTransport } from './lines.ts';
import type { LoadedPolicy } from '../policy/load.ts';
import { buildServer } from '../server.ts';
import { createContext, drained, killChildren } from '../startup.ts';
import { issueSessionToken } from '../tools/token.ts';
import { identityGate } from '../tools/guard.ts';
import { log } from '../log.ts';
import { hookOptions } from '../hooks/options.ts';
import { HookResponder } from '../hooks/answer.ts';
import { listenHookSocket } from '../hooks/socket-server.ts';
import { envVar, isDeno } from '../runtime.ts';

/** How long shutdown waits for calls in flight before it kills their commands. */
const DRAIN_MS = 2000;

export async function serveStdio(opts: { policy: LoadedPolicy; modelFlag?: string; requireToken: boolean; sandboxInBuild?: boolean; noSandbox?: boolean }): Promise<number> {
  const ctx = await createContext({ ...opts, transport: 'stdio' });
  let experimental: Record<string, object> | undefined;
  const refused = identityGate(ctx);
  if (refused) log(`identity: ${refused.reason}; no token will be issued and every guarded call will be refused`);
  else if (opts.requireToken) {
    // Option C: the parent receives the session token in the initialize result, so no call ever runs without one.
    const { token } = await issueSessionToken(ctx);
    experimental = { aflock: { token, sessionId: ctx.session.id } };
  }
  const hooks = new HookResponder(ctx, hookOptions(opts.policy, opts.sandboxInBuild === true, opts.noSandbox === true));
  const server = buildServer(ctx, { experimental, hooks });
  // Command hooks of the same Claude Code session reach this server through a socket named after the session.
  const sessionId = envVar('CLAUDE_CODE_SESSION_ID');
  const hookSocket = sessionId && !isDeno() ? await listenHookSocket(hooks, sessionId) : null;
  const transport = new LineTransport();
  await server.connect(transport);
  const p = opts.policy;
  log(`serving on stdio, session ${ctx.session.id}, policy ${p.path ?? 'embedded default'} (root ${p.root})${ctx.trail ? `, trail ${ctx.trail.dir}` : ''}`);

  return new Promise<number>((resolve) => {
    let closing = false;
    let exitCode = 0;
    const shutdown = async (why: string, code = 0) => {
      if (closing) return;
      closing = true;
      exitCode = code;
      await drained(ctx, DRAIN_MS);
      killChildren(ctx);
      await ctx.sandbox.close().catch(() => undefined);
      await new Promise<void>((r) => setImmediate(r)); // let the last responses reach the transport
      await new Promise<void>((r) => process.stdout.write('', () => r()));
      await server.close().catch(() => undefined);
      hookSocket?.close();
      log(`shutting down (${why})`);
      resolve(exitCode);
    };
    // Reading stdin failed (EIO, a closed descriptor): we can no longer hear the client, so stop and say why.
    process.stdin.on('error', (e) => void shutdown(`stdin failed: ${(e as NodeJS.ErrnoException).code ?? e.message}`, 1));
    // Never a silent exit 0: if nothing is left to wait for while stdin is still open, something stopped reading it.
    process.on('beforeExit', () => {
      if (closing) return;
      log('internal error: the server stopped reading stdin while it was still open; exiting');
      closing = true;
      resolve(1);
    });
    process.stdin.on('end', () => void shutdown('stdin closed'));
    process.stdin.on('close', () => void shutdown('stdin closed'));
    process.on('SIGTERM', () => void shutdown('SIGTERM'));
    process.on('SIGINT', () => void shutdown('SIGINT'));
  });
}
