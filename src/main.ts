// Entry point of the bundles and the single executable.
import { main } from './cli.ts';

main(process.argv.slice(2));
