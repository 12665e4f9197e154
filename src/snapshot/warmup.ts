// Work done once at build time so that the executable starts with it already done. Only pure work on constant,
// public input belongs here: the embedded default policy's text, a harmless shell command. Results are dropped; what
// stays in the snapshot is what the libraries build and cache on first use (zod's compiled validators, the shell
// parser's loaded module). src/main-snapshot.ts runs the tripwire around each step.
import { parsePolicy } from '../policy/load.ts';
import { DEFAULT_POLICY_TEXT } from '../policy/defaults.ts';
import { policyJsonSchema } from '../policy/schema.ts';
import { analyzeShell } from '../policy/shell/index.ts';
import { buildServer } from '../server.ts';
import type { ServerContext } from '../context.ts';

/** zod compiles a schema's validator on its first parse (~7-10 ms for the policy schema). */
export function warmPolicySchema(): void {
  // A fixed `now` (the epoch), so no clock is read; the default policy has no expiry anyway.
  parsePolicy(DEFAULT_POLICY_TEXT, '(snapshot warm-up)', new Date(0));
  // The first tools/list converts every tool's zod schema to JSON Schema; converting the policy schema here runs the
  // same zod code once, so it is compiled before the first client asks.
  policyJsonSchema();
}

/**
 * Registering the nine tools builds zod objects from their input and output shapes (~9 ms at run time): build one
 * server here and drop it. buildServer only keeps the context in its handlers' closures (they never run here), so an
 * empty stand-in is enough and nothing of a real context exists at build time.
 */
export function warmServer(): void {
  buildServer({} as ServerContext);
}

/**
 * The shell parser loads on its first command. Only through the public analyzeShell, on a constant command, so this
 * holds whichever parser sits behind it. A parser that reads per-process state when it loads (mvdan-sh's Go runtime
 * copies the whole environment and starts a scheduler timer) trips the tripwire; build.mjs then builds the snapshot
 * without this step and the parser loads at run time, as it does without a snapshot.
 */
export function warmShellParser(): void {
  try {
    analyzeShell('true');
  } catch {
    // not warmed: it loads at run time
  }
}
