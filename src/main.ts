// Entry point of the bundles and the single executable. The process guard runs first: it refuses to serve from a
// process that NODE_OPTIONS may have tampered with and keeps Node's inspector closed (see runtime.ts).
import { main } from './cli.ts';
import { guardProcess } from './runtime.ts';

const refused = guardProcess();
if (refused !== null) process.exit(refused);
else main(process.argv.slice(2));
