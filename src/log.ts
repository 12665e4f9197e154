// Diagnostics go to stderr: stdout carries the MCP protocol. Never pass a token, secret or key to these.
export function log(message: string): void {
  process.stderr.write(`[aflock] ${message}\n`);
}
