// What a process of aflock-mcp does first, whichever way it was started (bundle, Deno, executable from a snapshot):
// the process guard, then the CLI. Everything here reads the running process (environment, argv, NODE_OPTIONS,
// signal handlers), so it must run at run time, never while a startup snapshot is being built.
import { main } from './cli.ts';
import { guardProcess } from './runtime.ts';

export function startProcess(argv: string[]): void {
  const refused = guardProcess();
  if (refused !== null) process.exit(refused);
  else main(argv);
}
