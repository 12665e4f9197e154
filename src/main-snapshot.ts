// Entry point of the single executable, which starts from a V8 startup snapshot (build.mjs, scripts/sea.mjs).
// At build time Node runs this bundle once: every module loads and a little warm-up runs (src/snapshot/), then the
// heap is frozen into the executable. At run time the executable restores that heap and calls the function given to
// prepareSnapshot: the process guard, then the CLI, exactly as src/main.ts does for the bundles. Everything per
// process (environment, argv, keys, session id, signal handlers, descriptors, the NODE_OPTIONS check) happens in that
// function or later. The tripwire, imported first, fails the build if anything reached for it.
// (Nothing is exported: at build time Node runs this bundle without a `module` object.)
import { building } from './snapshot/tripwire.ts';
import { startProcess } from './entry.ts';
import { prepareSnapshot } from './snapshot/prepare.ts';

/** Set by build.mjs: whether to load the shell parser into the snapshot (see src/snapshot/warmup.ts). */
declare const AFLOCK_SNAPSHOT_WARM_SHELL: boolean | undefined;

if (building) {
  const warmShell = typeof AFLOCK_SNAPSHOT_WARM_SHELL === 'boolean' && AFLOCK_SNAPSHOT_WARM_SHELL;
  prepareSnapshot(() => startProcess(process.argv.slice(2)), { warmShell });
} else {
  startProcess(process.argv.slice(2));
}
