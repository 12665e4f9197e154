// Entry point of the single executable, which starts from a V8 startup snapshot (build.mjs, scripts/sea.mjs).
// At build time Node runs this bundle once: every module loads and a little warm-up runs (src/snapshot/warmup.ts),
// then the heap is frozen into the executable. At run time the executable restores that heap and calls the function
// given to setDeserializeMainFunction: the process guard, then the CLI, exactly as src/main.ts does for the bundles.
// Everything per process (environment, argv, keys, session id, signal handlers, descriptors, the NODE_OPTIONS check)
// happens in that function or later. The tripwire, imported first, fails the build if anything reached for it.
import { arm, building, disarm, type Finding } from './snapshot/tripwire.ts';
import { startProcess } from './entry.ts';
import { warmPolicySchema, warmShellParser } from './snapshot/warmup.ts';
import { startupSnapshot } from 'node:v8';

/** Set by build.mjs: whether to load the shell parser into the snapshot (see warmShellParser). */
declare const AFLOCK_SNAPSHOT_WARM_SHELL: boolean | undefined;

/** build.mjs looks for this marker to rebuild without the shell parser's warm-up. (Nothing is exported: at build
 * time Node runs this bundle without a `module` object.) */
const SHELL_WARMUP_UNSAFE = 'AFLOCK_SNAPSHOT_SHELL_WARMUP_UNSAFE';

function report(findings: Finding[]): string {
  return findings.map((f) => `  ${f.what}  at ${f.at}`).join('\n');
}

if (building) {
  warmPolicySchema();
  const moduleFindings = disarm();
  if (moduleFindings.length > 0) {
    throw new Error(`the startup snapshot would capture per-process state; move these to run time:\n${report(moduleFindings)}`);
  }
  if (typeof AFLOCK_SNAPSHOT_WARM_SHELL === 'boolean' && AFLOCK_SNAPSHOT_WARM_SHELL) {
    arm();
    warmShellParser();
    const shellFindings = disarm();
    if (shellFindings.length > 0) {
      throw new Error(`${SHELL_WARMUP_UNSAFE}: the shell parser reads per-process state when it loads:\n${report(shellFindings.slice(0, 5))}`);
    }
  }
  startupSnapshot.setDeserializeMainFunction(() => startProcess(process.argv.slice(2)));
} else {
  startProcess(process.argv.slice(2));
}
