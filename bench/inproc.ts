// What bench/inprocess.mjs measures in-process, bundled by esbuild from the sources (not from dist/, whose bundle
// exports nothing).
export { evaluateCall, flowCheck, clearAnalysisCache } from '../src/policy/evaluate.ts';
export { loadPolicyFile } from '../src/policy/load.ts';
export { analyzeShell } from '../src/policy/shell/index.ts';
export { TokenAuthority, tokenSha256 } from '../src/auth/tokens.ts';
export { AuditTrail } from '../src/audit/trail.ts';
export { realpathOnce } from '../src/tools/guard.ts';
