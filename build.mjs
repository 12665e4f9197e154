// Builds the server bundles with esbuild.
//   dist/aflock-mcp.cjs  CommonJS bundle for Node >= 20 (also the single-executable's entry)
//   dist/aflock-mcp.mjs  ESM bundle (Deno)
import { build } from 'esbuild';
import { readFileSync, mkdirSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
mkdirSync('dist', { recursive: true });

const common = {
  entryPoints: ['src/main.ts'],
  bundle: true,
  platform: 'node',
  target: 'node20',
  legalComments: 'none',
  logLevel: 'warning',
  define: { AFLOCK_VERSION: JSON.stringify(pkg.version) },
};

await Promise.all([
  build({ ...common, format: 'cjs', outfile: 'dist/aflock-mcp.cjs', banner: { js: '#!/usr/bin/env node' } }),
  build({
    ...common,
    format: 'esm',
    outfile: 'dist/aflock-mcp.mjs',
    // mvdan-sh is CommonJS and calls require("util"); give the ESM bundle a real require.
    banner: { js: "import { createRequire as __aflockCreateRequire } from 'node:module'; const require = __aflockCreateRequire(import.meta.url);" },
  }),
]);
console.error('built dist/aflock-mcp.cjs and dist/aflock-mcp.mjs');
