// Shapes of tool results. Refusals are isError results whose text starts with one of the reference's prefixes.
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

export const PREFIX = {
  policy: 'Policy denied:',
  approval: 'Policy requires approval:',
  auth: 'Authorization denied:',
  dataFlow: 'DataFlow policy denied:',
} as const;

export function errorResult(text: string): CallToolResult {
  return { content: [{ type: 'text', text }], isError: true };
}

export function textResult(text: string): CallToolResult {
  return { content: [{ type: 'text', text }] };
}

export function jsonResult(value: Record<string, unknown>, structured = false): CallToolResult {
  return {
    content: [{ type: 'text', text: JSON.stringify(value, null, 2) }],
    ...(structured ? { structuredContent: value } : {}),
  };
}
