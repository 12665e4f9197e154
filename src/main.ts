// Entry point of the bundles (node, Deno). The process guard runs first: it refuses to serve from a process that
// NODE_OPTIONS may have tampered with and keeps Node's inspector closed (see runtime.ts, entry.ts).
// The single executable starts from src/main-snapshot.ts instead.
import { startProcess } from './entry.ts';

startProcess(process.argv.slice(2));
