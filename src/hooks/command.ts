// `aflock-mcp hook EVENT [--standalone]`: a Claude Code command hook. Reads the hook JSON on stdin, asks the live
// server of the same session (socket named by CLAUDE_CODE_SESSION_ID) and prints its answer. With no live server it
// decides alone from the policy file that governs the session's directory, and says so in its reason and in a record
// (a session of its own per call: no data-flow labels or limits carry over between such calls). No policy: no opinion.
import { dirname, resolve } from 'node:path';
import { statSync } from 'node:fs';
import { loadPolicyFile, POLICY_FILE_NAMES } from '../policy/load.ts';
import { createContext } from '../startup.ts';
import { HookResponder } from './answer.ts';
import { askLiveServer, failureAnswer, readStdin } from './client.ts';
import { hookOptions } from './options.ts';
import { HOOK_EVENTS, parseHookCall } from './protocol.ts';

/** The policy file that governs `dir`: the nearest one in it or above it. */
export function governingPolicy(dir: string): string | null {
  for (let d = resolve(dir); ; d = dirname(d)) {
    for (const name of POLICY_FILE_NAMES) {
      try {
        if (statSync(`${d}/${name}`).isFile()) return `${d}/${name}`;
      } catch {
        // not here
      }
    }
    if (dirname(d) === d) return null;
  }
}

/** Decides one hook alone, from the policy file (no live server). */
export async function standaloneAnswer(raw: unknown, event: string, sandboxInBuild: boolean, why: string): Promise<unknown> {
  const call = parseHookCall(raw, event);
  const dir = call.cwd ?? process.env.CLAUDE_PROJECT_DIR ?? process.cwd();
  const file = governingPolicy(dir);
  if (!file) return {}; // no policy governs this directory: stay out of the way
  const policy = loadPolicyFile(file);
  const ctx = await createContext({ policy, transport: 'stdio', requireToken: false });
  const standalone = `${why}: decided from ${file} alone`;
  try {
    return await new HookResponder(ctx, { ...hookOptions(policy, sandboxInBuild), standalone }).answer(call);
  } finally {
    ctx.trail?.close();
  }
}

export async function runHookCommand(argv: string[], sandboxInBuild: boolean): Promise<number> {
  const event = argv[0];
  const standaloneOnly = argv.includes('--standalone');
  if (!event || !(HOOK_EVENTS as readonly string[]).includes(event) || argv.some((a, i) => i > 0 && a !== '--standalone')) {
    process.stderr.write(`usage: aflock-mcp hook ${HOOK_EVENTS.join('|')} [--standalone]  (hook JSON on stdin)\n`);
    return 2;
  }
  let answer: unknown;
  try {
    const text = await readStdin();
    const raw = JSON.parse(text) as unknown;
    const live = standaloneOnly ? { kind: 'none' as const, why: 'asked to decide alone' } : await askLiveServer(process.env.CLAUDE_CODE_SESSION_ID, event, raw);
    if (live.kind === 'answer') answer = live.answer;
    else if (live.kind === 'error') answer = failureAnswer(event, live.error);
    else answer = await standaloneAnswer(raw, event, sandboxInBuild, live.why);
  } catch (e) {
    answer = failureAnswer(event, `the hook could not decide (${(e as Error).message})`);
  }
  process.stdout.write(`${JSON.stringify(answer)}\n`);
  return 0;
}
