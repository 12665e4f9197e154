// The statement for a `bash` call with attest=true and a step: what ran, how it ended, and the digests of the
// files the policy names as the step's products. Pure apart from reading those files.
//
// Subjects: first `step:<step>` with the SHA-256 of the canonical predicate JSON (aflock names its step subject
// this way), then one subject per product file that exists, named by the path as given, so in-toto consumers that
// match subjects by digest find the artifacts. Products that are missing or not regular files are listed in the
// predicate with the reason, never silently dropped.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { canonicalJson, sha256Hex } from './json.ts';
import { IN_TOTO_STATEMENT_V1, type Statement } from './trail.ts';

export const STEP_PREDICATE_TYPE = 'https://aflock.ai/attestations/step/v0.1';

export interface StepInput {
  step: string;
  command: string;
  exitCode: number | null;
  /** Working directory of the command; relative product paths are resolved against it. */
  cwd: string;
  /** Product paths as the policy names them (literal paths, not globs). */
  products: string[];
  gitHead?: string;
  /** Recorded in the predicate when given, so a stray statement can be tied to its session. */
  sessionId?: string;
  startedAt?: string;
  finishedAt?: string;
}

export type ProductDigest = { path: string; sha256: string; size: number } | { path: string; missing: string };

export interface StepPredicate {
  step: string;
  command: string;
  exitCode: number | null;
  cwd: string;
  gitHead?: string;
  sessionId?: string;
  startedAt?: string;
  finishedAt?: string;
  products: ProductDigest[];
}

export function buildStepStatement(input: StepInput): Statement & { predicate: StepPredicate } {
  if (typeof input.step !== 'string' || input.step === '') throw new TypeError('step must be a non-empty string');
  const products = input.products.map((p) => digestProduct(p, input.cwd));
  const predicate: StepPredicate = {
    step: input.step,
    command: input.command,
    exitCode: input.exitCode,
    cwd: input.cwd,
    gitHead: input.gitHead,
    sessionId: input.sessionId,
    startedAt: input.startedAt,
    finishedAt: input.finishedAt,
    products,
  };
  const subject: { name: string; digest: { sha256: string } }[] = [
    { name: `step:${input.step}`, digest: { sha256: sha256Hex(canonicalJson(predicate)) } },
  ];
  for (const p of products) if ('sha256' in p) subject.push({ name: p.path, digest: { sha256: p.sha256 } });
  return { _type: IN_TOTO_STATEMENT_V1, subject, predicateType: STEP_PREDICATE_TYPE, predicate };
}

const CHUNK = 1 << 20;

function digestProduct(path: string, cwd: string): ProductDigest {
  let fd: number;
  try {
    fd = openSync(resolve(cwd, path), 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { path, missing: code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? 'error'})` };
  }
  try {
    if (!fstatSync(fd).isFile()) return { path, missing: 'not a regular file' };
    // Streamed in 1 MiB chunks: products can be large build outputs.
    const hash = createHash('sha256');
    const buf = Buffer.allocUnsafe(CHUNK);
    let size = 0;
    for (;;) {
      const n = readSync(fd, buf, 0, CHUNK, null);
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
      size += n;
    }
    return { path, sha256: hash.digest('hex'), size };
  } catch (e) {
    return { path, missing: `cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})` };
  } finally {
    closeSync(fd);
  }
}
