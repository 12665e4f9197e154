// The build-time half of a snapshot entry: warm up under the tripwire, refuse to snapshot per-process state, and
// hand Node the function that starts the process at run time. Used by src/main-snapshot.ts (the executable) and by
// the benchmark's node --snapshot-blob variant, so both snapshot exactly the same heap.
import { arm, disarm, type Finding } from './tripwire.ts';
import { warmPolicySchema, warmServer, warmShellParser } from './warmup.ts';
import { startupSnapshot } from 'node:v8';

/** build.mjs looks for this marker to rebuild without the shell parser's warm-up. */
export const SHELL_WARMUP_UNSAFE = 'AFLOCK_SNAPSHOT_SHELL_WARMUP_UNSAFE';

function report(findings: Finding[]): string {
  return findings.map((f) => `  ${f.what}  at ${f.at}`).join('\n');
}

/**
 * Call while a snapshot is being built, with the tripwire armed since the first module loaded. `warmShell`: also
 * load the shell parser (see warmShellParser). Throws, failing the build, if anything reached for per-process state.
 */
export function prepareSnapshot(start: () => void, opts: { warmShell: boolean }): void {
  warmPolicySchema();
  warmServer();
  const moduleFindings = disarm();
  if (moduleFindings.length > 0) {
    throw new Error(`the startup snapshot would capture per-process state; move these to run time:\n${report(moduleFindings)}`);
  }
  if (opts.warmShell) {
    arm();
    warmShellParser();
    const shellFindings = disarm();
    if (shellFindings.length > 0) {
      throw new Error(`${SHELL_WARMUP_UNSAFE}: the shell parser reads per-process state when it loads:\n${report(shellFindings.slice(0, 5))}`);
    }
  }
  startupSnapshot.setDeserializeMainFunction(start);
}
