// `read_file` and `write_file`: paths resolve against the project root; a path outside the root is refused unless a
// files.allow rule names it explicitly (an absolute or `**/` rule); writes are atomic (temp file + rename).
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync, constants } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ServerContext } from '../context.ts';
import { isInside, resolvePath, viewPath } from '../policy/paths.ts';
import { guarded, realpathOrNull } from './guard.ts';
import { errorResult, textResult } from './result.ts';
import type { CallScope } from '../approval.ts';
import { isPermissionError } from '../runtime.ts';

export const MAX_READ_BYTES = 8 * 1024 * 1024;
export const MAX_WRITE_BYTES = 8 * 1024 * 1024;

/** Outside the root only with an explicit allow rule: relative and bare rules never reach outside. */
export function outsideRootRefusal(ctx: ServerContext, abs: string, realpath: (abs: string) => string | null): string | null {
  const root = ctx.policy.root;
  const real = realpath(abs) ?? realpath(dirname(abs)) ?? abs;
  if (isInside(abs, root) && isInside(real, root)) return null;
  const allow = ctx.policy.compiled.files?.allow ?? [];
  const view = viewPath(abs, root);
  const explicit = allow.some((r) => (r.kind === 'absolute' || r.kind === 'anywhere') && r.glob.matches(view.abs));
  return explicit ? null : `'${abs}' is outside the project root ${root}; add an absolute files.allow rule to permit it`;
}

function osError(e: unknown): string {
  if (isPermissionError(e)) return `Deno denies it: ${(e as Error).message}`; // e.g. "... run again with the --allow-write flag"
  const err = e as NodeJS.ErrnoException;
  const what: Record<string, string> = {
    ENOENT: 'no such file',
    EACCES: 'permission denied',
    EISDIR: 'is a directory',
    ENOTDIR: 'a parent is not a directory',
    EPERM: 'operation not permitted',
  };
  return (err.code && what[err.code]) || err.code || 'I/O error';
}

export async function readFileTool(ctx: ServerContext, args: { path: string; _token?: string }, caller?: CallScope): Promise<CallToolResult> {
  if (args.path === '') return errorResult('path is empty');
  const abs = resolvePath(args.path, ctx.policy.root);
  const confine = (realpath: (abs: string) => string | null) => outsideRootRefusal(ctx, abs, realpath);
  return guarded(ctx, { tool: 'Read', input: { file_path: abs }, token: args._token, confine, caller }, async () => {
    let data: Buffer;
    try {
      const st = statSync(abs);
      if (!st.isFile()) return errorResult(`Read failed: '${args.path}' is not a regular file`);
      if (st.size > MAX_READ_BYTES) return errorResult(`Read failed: '${args.path}' is ${st.size} bytes; read_file returns at most ${MAX_READ_BYTES}`);
      data = readFileSync(abs);
    } catch (e) {
      return errorResult(`Read failed: ${osError(e)} (${args.path})`);
    }
    ctx.session.filesRead.add(abs);
    return textResult(data.toString('utf8'));
  });
}

/** Writes `content` to `target` atomically: a temp file in the same directory, fsync, then rename over it. */
export function writeAtomic(target: string, content: Buffer): void {
  let mode = 0o600;
  try {
    mode = statSync(target).mode & 0o7777; // an existing file keeps its mode
  } catch {
    // new file: owner-only
  }
  const tmp = join(dirname(target), `.${basename(target)}.aflock-${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  try {
    let off = 0;
    while (off < content.length) off += writeSync(fd, content, off);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    try { unlinkSync(tmp); } catch { /* already gone */ }
    throw e;
  }
  closeSync(fd);
  try {
    renameSync(tmp, target);
  } catch (e) {
    try { unlinkSync(tmp); } catch { /* already gone */ }
    throw e;
  }
}

export async function writeFileTool(ctx: ServerContext, args: { path: string; content: string; _token?: string }, caller?: CallScope): Promise<CallToolResult> {
  if (args.path === '') return errorResult('path is empty');
  const bytes = Buffer.from(args.content, 'utf8');
  if (bytes.length > MAX_WRITE_BYTES) return errorResult(`content is ${bytes.length} bytes; write_file accepts at most ${MAX_WRITE_BYTES}`);
  const abs = resolvePath(args.path, ctx.policy.root);
  const input = { file_path: abs, content_length: String(bytes.length) };
  const confine = (realpath: (abs: string) => string | null) => outsideRootRefusal(ctx, abs, realpath);
  // A human approves the content itself, not just its length.
  const approvalArgs = { file_path: abs, content: args.content };
  return guarded(ctx, { tool: 'Write', input, token: args._token, confine, approvalArgs, caller }, async () => {
    // Through a symlink, write the file it points at (the policy checked both), keeping the link.
    const target = realpathOrNull(abs) ?? abs;
    try {
      if (statSync(target, { throwIfNoEntry: false })?.isDirectory()) return errorResult(`Write failed: '${args.path}' is a directory`);
      writeAtomic(target, bytes);
    } catch (e) {
      return errorResult(`Write failed: ${osError(e)} (${args.path})`);
    }
    ctx.session.filesWritten.add(abs);
    return textResult(`Wrote ${bytes.length} bytes to ${abs}`);
  });
}
