// Diagnosis only (bench/rss.mjs): runs the aflock-mcp bundle named by $BUNDLE with `node --expose-gc`, and answers
// SIGUSR2 with two full garbage collections followed by one "HEAP {json}" line on stderr: what the process still holds
// after a GC, which tells a leak from V8 merely growing its heap. The server refuses node flags (src/runtime.ts), so
// this wrapper hides them from execArgv first; never use it to run the server for real.
'use strict';
process.execArgv.length = 0;
process.on('SIGUSR2', () => {
  global.gc();
  global.gc();
  const m = process.memoryUsage();
  process.stderr.write(`HEAP ${JSON.stringify({ rssKiB: Math.round(m.rss / 1024), heapUsedKiB: Math.round(m.heapUsed / 1024), heapTotalKiB: Math.round(m.heapTotal / 1024), externalKiB: Math.round(m.external / 1024) })}\n`);
});
require(process.env.BUNDLE);
