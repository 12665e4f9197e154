// `bash` with attest=true: after the command runs, a signed step attestation records the command, its exit code,
// git HEAD and the digests of the files the policy names as the step's products (`steps.<name>.products`).
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ServerContext } from '../context.ts';
import { compilePathRule, pathRuleMatches, viewPath } from '../policy/paths.ts';
import { buildStepStatement } from '../audit/step.ts';
import { errorResult, jsonResult } from './result.ts';
import type { RunResult } from './bash.ts';

const MAX_WALK = 20000;

function gitHead(cwd: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('git', ['rev-parse', 'HEAD'], { cwd, timeout: 5000 }, (err, stdout) => resolve(err ? undefined : stdout.trim() || undefined));
  });
}

/** Files under `dir` matching the product globs (relative to dir), bounded so a huge tree cannot stall the call. */
export function findProducts(dir: string, globs: string[]): string[] {
  if (globs.length === 0) return [];
  const rules = globs.map(compilePathRule);
  const out: string[] = [];
  let seen = 0;
  const walk = (d: string) => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (++seen > MAX_WALK) return;
      const p = join(d, e.name);
      if (e.isDirectory()) {
        if (e.name !== '.git' && e.name !== 'node_modules') walk(p);
      } else if (e.isFile()) {
        const view = viewPath(p, dir);
        if (rules.some((r) => pathRuleMatches(r, view, 'allow'))) out.push(relative(dir, p));
      }
    }
  };
  walk(dir);
  return out.sort();
}

export async function runStepAttestation(ctx: ServerContext, step: string, command: string, cwd: string, r: RunResult): Promise<CallToolResult> {
  const products = findProducts(cwd, ctx.policy.policy.steps?.[step]?.products ?? []);
  const statement = buildStepStatement({ step, command, exitCode: r.exitCode, cwd, products, gitHead: await gitHead(cwd), sessionId: ctx.session.id });
  let attestation: string | undefined;
  try {
    attestation = ctx.trail!.signStatement(statement, `step-${step}`).envelopePath;
  } catch (e) {
    return errorResult(`Attestation failed: ${(e as Error).message}`);
  }
  return jsonResult({
    step,
    exitCode: r.exitCode,
    output: r.output,
    durationMs: r.durationMs,
    attestation,
    products,
    ...(r.error ? { error: r.error } : {}),
  });
}
