// BENCHMARK ONLY, never shipped: aflock-mcp's node bundle started as `node --snapshot-blob BLOB`, to measure what a
// snapshot would buy the node bundle. The heap is made exactly as for the executable (src/snapshot/prepare.ts).
// The shipped guard refuses a node command line holding --snapshot-blob (it loads code before our first line), so
// this entry removes that one flag from execArgv before the guard looks; see BENCHMARKS.md for why the node bundle
// ships without a snapshot.
import { building } from '../../src/snapshot/tripwire.ts';
import { startProcess } from '../../src/entry.ts';
import { prepareSnapshot } from '../../src/snapshot/prepare.ts';

if (!building) throw new Error('bench/snapshot/aflock-node.ts only builds a snapshot blob');
prepareSnapshot(
  () => {
    process.execArgv = process.execArgv.filter((a, i, all) => !a.startsWith('--snapshot-blob') && all[i - 1] !== '--snapshot-blob');
    // Under `node --snapshot-blob BLOB args`, process.argv is [node, ...args]: no script path.
    startProcess(process.argv.slice(1));
  },
  { warmShell: false },
);
