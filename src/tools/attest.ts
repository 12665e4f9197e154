// `sign_attestation`: signs an agent-supplied in-toto statement with the session's key, gated by the policy like any
// guarded tool (the reference signed anything for anyone). Predicate types in the server's own namespace are
// refused: only the server writes action and step records, so an agent cannot forge them.
import { canonicalJson, sha256Hex } from '../audit/json.ts';
import { AFLOCK_PREDICATE_NAMESPACE } from '../audit/trail.ts';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ServerContext } from '../context.ts';
import { guarded } from './guard.ts';
import { errorResult, jsonResult } from './result.ts';
import type { CallScope } from '../approval.ts';

const RESERVED = [AFLOCK_PREDICATE_NAMESPACE, 'http://aflock.ai/', 'https://witness.testifysec.com/', 'https://in-toto.io/'];

export interface SignArgs {
  predicate_type: string;
  predicate?: unknown;
  subject?: { name?: string; digest?: Record<string, string> };
  _token?: string;
}

export async function signAttestationTool(ctx: ServerContext, args: SignArgs, caller?: CallScope): Promise<CallToolResult> {
  if (!ctx.trail) return errorResult(`Attestation signing not available: ${ctx.trailError ?? 'the audit trail could not be opened'}`);
  if (args.predicate_type.trim() === '') return errorResult('predicate_type is required');
  if (args.predicate === undefined || args.predicate === null) return errorResult('predicate is required');
  const lower = args.predicate_type.toLowerCase();
  if (RESERVED.some((r) => lower.startsWith(r))) {
    return errorResult(`predicate_type '${args.predicate_type}' is in a namespace only the server signs (action and step records); use your own URI`);
  }
  const input = { predicate_type: args.predicate_type, predicate: args.predicate, ...(args.subject ? { subject: args.subject } : {}) };
  return guarded(ctx, { tool: 'sign_attestation', input, token: args._token, caller }, async ({ toolUseId }) => {
    const subject = args.subject
      ? [{ name: args.subject.name ?? '', digest: args.subject.digest ?? {} }]
      : [{ name: `session:${ctx.session.id}/attestation:${toolUseId.slice(0, 8)}`, digest: { sha256: sha256Hex(canonicalJson(args.predicate)) } }];
    const statement = { _type: 'https://in-toto.io/Statement/v1', subject, predicateType: args.predicate_type, predicate: args.predicate };
    try {
      const { envelope, envelopePath } = ctx.trail!.signStatement(statement, 'sign_attestation');
      return jsonResult({ envelope, path: envelopePath } as unknown as Record<string, unknown>);
    } catch (e) {
      return errorResult(`Attestation failed: ${(e as Error).message}`);
    }
  });
}
