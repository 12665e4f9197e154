// The floor server (bench/floor/server.ts), started at once: the bundles and the code-cache executable.
import { start } from './server.ts';

start();
