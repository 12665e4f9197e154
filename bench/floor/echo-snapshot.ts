// The floor server (bench/floor/server.ts) in a startup snapshot, treated as aflock's executable is: its modules load
// at build time, the server is made and connected at run time.
import { startupSnapshot } from 'node:v8';
import { start } from './server.ts';

if (Boolean(startupSnapshot.isBuildingSnapshot())) startupSnapshot.setDeserializeMainFunction(start);
else start();
