// The floor for the benchmarks: the least an MCP server over stdio can be with this SDK. One McpServer, one `echo`
// tool with a zod input schema, the SDK's stdio transport, nothing else. bench/run.mjs bundles it the same ways as
// aflock-mcp (esbuild cjs/mjs, Node SEA via scripts/sea.mjs, with and without a startup snapshot) so the ratios
// compare like with like. Entries: echo.ts (starts at once), echo-snapshot.ts (modules in a snapshot).
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import * as z from 'zod';

export async function main(): Promise<void> {
  const server = new McpServer({ name: 'floor-echo', version: '0.0.0' }, { capabilities: { tools: {} } });
  server.registerTool(
    'echo',
    { title: 'Echo', description: 'Returns its input text.', inputSchema: { text: z.string() } },
    ({ text }) => ({ content: [{ type: 'text', text }] }),
  );
  await server.connect(new StdioServerTransport());
}

export function start(): void {
  main().catch((e) => {
    process.stderr.write(`floor: ${(e as Error).message}\n`);
    process.exit(1);
  });
}
