// `read_file` and `write_file`: paths resolve against the project root; a path outside the root is refused unless a
// files.allow rule names it explicitly (an absolute or `**/` rule). The file read or written is the one the policy
// judged (src/fs/confined.ts: no check-then-use race), a hard link of a protected file is refused
// (src/fs/hardlinks.ts), and writes are atomic (temp file + rename). docs/file-tools.md says what is guaranteed.
import type { Stats } from 'node:fs';
import { dirname } from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ServerContext } from '../context.ts';
import { isInside, resolvePath, viewPath } from '../policy/paths.ts';
import { guarded } from './guard.ts';
import { ConfinedRefusal, openForRead, statInPlace, writeReplacing, type OpenedFile } from '../fs/confined.ts';
import { hardLinkRefusal } from '../fs/hardlinks.ts';
import type { PathRule } from '../policy/paths.ts';
import { errorResult, PREFIX, textResult } from './result.ts';
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
    ENAMETOOLONG: 'name too long',
    ELOOP: 'too many levels of symbolic links',
    ENOTREG: 'not a regular file',
  };
  return (err.code && what[err.code]) || err.code || 'I/O error';
}

/**
 * The names a hard link may not share an inode with: files.deny (and, for writes, files.readOnly) of the policy and
 * of every sublayout (a hard link of a file some scope denies is refused to every caller: fail closed).
 */
function protectedRules(ctx: ServerContext, forWrite: boolean): PathRule[] {
  const out: PathRule[] = [];
  const add = (files: { deny: readonly PathRule[]; readOnly: readonly PathRule[] } | null | undefined) => {
    if (!files) return;
    out.push(...files.deny);
    if (forWrite) out.push(...files.readOnly);
  };
  add(ctx.policy.compiled.files);
  for (const sub of ctx.policy.sublayouts?.values() ?? []) add(sub.compiled?.files);
  return out;
}

function linkCheck(ctx: ServerContext, shown: string, forWrite: boolean): (st: Stats) => string | null {
  return (st) => hardLinkRefusal(st, `'${shown}'`, protectedRules(ctx, forWrite), ctx.policy.root);
}

const NUL_REFUSAL = 'path contains a NUL byte, which no file name can hold';

export async function readFileTool(ctx: ServerContext, args: { path: string; _token?: string }, caller?: CallScope): Promise<CallToolResult> {
  if (args.path === '') return errorResult('path is empty');
  if (args.path.includes('\0')) return errorResult(NUL_REFUSAL);
  const abs = resolvePath(args.path, ctx.policy.root);
  // The file is opened (race-free, after the policy allowed its path) in the confinement step, so that a refusal of
  // what was actually opened (swapped path, hard link of a denied file) is recorded as a refusal; the read itself
  // happens only after data flow and approval, from the same descriptor.
  let opened: OpenedFile | null = null;
  let openError: unknown = null;
  const confine = (realpath: (abs: string) => string | null) => {
    const outside = outsideRootRefusal(ctx, abs, realpath);
    if (outside) return outside;
    const real = realpath(abs);
    if (real === null) return `'${args.path}' cannot be resolved (a symbolic link loop, or a directory that cannot be read)`;
    try {
      opened = openForRead(real, `'${args.path}'`, linkCheck(ctx, args.path, false));
    } catch (e) {
      if (e instanceof ConfinedRefusal) return e.message;
      openError = e; // reported by the action as "Read failed", as before
    }
    return null;
  };
  try {
    return await guarded(ctx, { tool: 'Read', input: { file_path: abs }, token: args._token, confine, caller }, async () => {
      const file = opened as OpenedFile | null;
      if (!file) return errorResult(`Read failed: ${osError(openError)} (${args.path})`);
      if (file.stats.size > MAX_READ_BYTES) return errorResult(`Read failed: '${args.path}' is ${file.stats.size} bytes; read_file returns at most ${MAX_READ_BYTES}`);
      let data: Buffer;
      try {
        data = file.read(MAX_READ_BYTES);
      } catch (e) {
        if (e instanceof ConfinedRefusal) return errorResult(`Read failed: ${e.message}`);
        return errorResult(`Read failed: ${osError(e)} (${args.path})`);
      }
      ctx.session.filesRead.add(abs);
      return textResult(data.toString('utf8'));
    });
  } finally {
    (opened as OpenedFile | null)?.close();
  }
}

export async function writeFileTool(ctx: ServerContext, args: { path: string; content: string; _token?: string }, caller?: CallScope): Promise<CallToolResult> {
  if (args.path === '') return errorResult('path is empty');
  if (args.path.includes('\0')) return errorResult(NUL_REFUSAL);
  const bytes = Buffer.from(args.content, 'utf8');
  if (bytes.length > MAX_WRITE_BYTES) return errorResult(`content is ${bytes.length} bytes; write_file accepts at most ${MAX_WRITE_BYTES}`);
  const abs = resolvePath(args.path, ctx.policy.root);
  const input = { file_path: abs, content_length: String(bytes.length) };
  let real: string | null = null;
  const check = linkCheck(ctx, args.path, true);
  const confine = (realpath: (abs: string) => string | null) => {
    const outside = outsideRootRefusal(ctx, abs, realpath);
    if (outside) return outside;
    real = realpath(abs);
    if (real === null) return `'${args.path}' cannot be resolved (a symbolic link loop, or a directory that cannot be read)`;
    // What is there now, so that a hard link of a protected file is refused (and recorded) before anyone is asked;
    // the write checks again on what it replaces.
    try {
      const st = statInPlace(real, `'${args.path}'`);
      if (st) return check(st);
    } catch (e) {
      if (e instanceof ConfinedRefusal) return e.message;
      // a missing parent and the like: reported by the action as "Write failed"
    }
    return null;
  };
  // A human approves the content itself, not just its length.
  const approvalArgs = { file_path: abs, content: args.content };
  return guarded(ctx, { tool: 'Write', input, token: args._token, confine, approvalArgs, caller }, async () => {
    // Through a symlink, this writes the file it points at (the policy checked both), keeping the link: `real` is
    // the resolved path that was judged, and nothing else is written.
    try {
      writeReplacing(real!, bytes, `'${args.path}'`, check);
    } catch (e) {
      if (e instanceof ConfinedRefusal) return errorResult(`${PREFIX.policy} ${e.message}`);
      return errorResult(`Write failed: ${osError(e)} (${args.path})`);
    }
    ctx.session.filesWritten.add(abs);
    return textResult(`Wrote ${bytes.length} bytes to ${abs}`);
  });
}
