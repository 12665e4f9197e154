// The command hook's side of the socket (src/hooks/socket-server.ts): asks the live server of this Claude Code
// session. Dependency-free, for the small entry (src/hooks/entry.ts).
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { hookSocketPath, socketDirProblem } from './socket-path.ts';

export type LiveAnswer = { kind: 'answer'; answer: unknown } | { kind: 'error'; error: string } | { kind: 'none'; why: string };

const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

/** Sends one hook to the live server; `none` when there is no live server to ask (then decide alone). */
export function askLiveServer(sessionId: string | undefined, event: string, input: unknown, timeoutMs = 30_000): Promise<LiveAnswer> {
  if (!sessionId) return Promise.resolve({ kind: 'none', why: 'CLAUDE_CODE_SESSION_ID is not set' });
  const path = hookSocketPath(sessionId);
  if (!path) return Promise.resolve({ kind: 'none', why: 'the session id cannot name a socket' });
  const problem = socketDirProblem(dirname(path));
  if (problem) return Promise.resolve({ kind: 'none', why: problem.endsWith('does not exist') ? 'no live aflock server for this session' : `the live server's socket is not used (${problem})` });
  return new Promise((resolve) => {
    let done = false;
    const finish = (a: LiveAnswer) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(a);
    };
    const sock = connect(path);
    const timer = setTimeout(() => finish({ kind: 'error', error: `the live server did not answer within ${timeoutMs} ms` }), timeoutMs);
    const chunks: Buffer[] = [];
    let size = 0;
    sock.on('connect', () => sock.write(`${JSON.stringify({ event, input })}\n`));
    sock.on('data', (d: Buffer) => {
      size += d.length;
      if (size > MAX_ANSWER_BYTES) return finish({ kind: 'error', error: 'the live server answered too much' });
      chunks.push(d);
    });
    sock.on('end', () => {
      try {
        const r = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { answer?: unknown; error?: unknown };
        if (r.answer !== null && typeof r.answer === 'object' && !Array.isArray(r.answer)) finish({ kind: 'answer', answer: r.answer });
        else finish({ kind: 'error', error: typeof r.error === 'string' ? r.error : 'the live server gave no answer' });
      } catch {
        finish({ kind: 'error', error: 'the live server answered something that is not JSON' });
      }
    });
    sock.on('error', (e: NodeJS.ErrnoException) => {
      // No socket file, or nobody listening on it: no live server (it exited, or never started).
      if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED') finish({ kind: 'none', why: 'no live aflock server for this session' });
      else finish({ kind: 'error', error: `cannot reach the live server: ${e.code ?? e.message}` });
    });
  });
}

/** Reads all of stdin (a hook's JSON), up to `max` bytes. */
export function readStdin(max = 32 * 1024 * 1024): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    process.stdin.on('data', (d: Buffer) => {
      size += d.length;
      if (size > max) reject(new Error('hook input too large'));
      else chunks.push(d);
    });
    process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    process.stdin.on('error', reject);
  });
}

/** The answer when something went wrong: before a call, refuse it (fail closed); after one, no opinion. */
export function failureAnswer(event: string, why: string): unknown {
  if (event !== 'PreToolUse') return {};
  return { hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: 'deny', permissionDecisionReason: `aflock: ${why}` } };
}
