// A scripted stand-in for the Anthropic Messages API on 127.0.0.1, so the real Claude Code CLI runs offline.
// POST /v1/messages from the main agent (it sends tools and our prompt) is answered turn by turn from `script`: the
// turn is the number of assistant messages already in the conversation, so a retried request gets the same answer.
// Other /v1/messages requests (titles, side queries) get a short text. `stream: true` is answered as SSE events.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

export type Block = { type: 'text'; text: string } | { type: 'tool_use'; name: string; input: Record<string, unknown> };
export type Turn = (messages: unknown[]) => Block[];

export const PROMPT = 'run the scripted checks';

export interface MockApi {
  url: string;
  /** tool_use ids handed out, in order */
  readonly toolUses: { id: string; name: string; input: unknown }[];
  /**
   * Per tool turn, ms from the end of our answer carrying a tool_use to the request carrying its result: the tool,
   * its hooks and Claude Code's own work, with no model time in it.
   */
  readonly turnMs: number[];
  close(): Promise<void>;
}

function isMain(body: { tools?: unknown[]; messages?: unknown[] }): boolean {
  return Array.isArray(body.tools) && body.tools.length > 0 && JSON.stringify(body.messages ?? []).includes(PROMPT);
}

function send(res: ServerResponse, body: { stream?: boolean; model?: string }, blocks: (Block & { id?: string })[], seq: number): void {
  const stop = blocks.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn';
  const usage = { input_tokens: 10, output_tokens: 5 };
  const msg = { id: `msg_e2e_${seq}`, type: 'message', role: 'assistant', model: body.model ?? 'mock', content: blocks, stop_reason: stop, stop_sequence: null, usage };
  if (!body.stream) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(msg));
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const event = (name: string, data: object) => res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
  event('message_start', { type: 'message_start', message: { ...msg, content: [], stop_reason: null } });
  blocks.forEach((b, index) => {
    if (b.type === 'tool_use') {
      event('content_block_start', { type: 'content_block_start', index, content_block: { type: 'tool_use', id: b.id, name: b.name, input: {} } });
      event('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: JSON.stringify(b.input) } });
    } else {
      event('content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
      event('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: b.text } });
    }
    event('content_block_stop', { type: 'content_block_stop', index });
  });
  event('message_delta', { type: 'message_delta', delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: 5 } });
  event('message_stop', { type: 'message_stop' });
  res.end();
}

export function startMockApi(script: Turn[]): Promise<MockApi> {
  const toolUses: MockApi['toolUses'] = [];
  const turnMs: number[] = [];
  const answeredAt = new Map<number, number>();
  let seq = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (req.method !== 'POST') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end('{}');
      }
      let body: { stream?: boolean; model?: string; tools?: unknown[]; messages?: { role: string }[] } = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      } catch {
        // answered as a side query
      }
      if (url.pathname.endsWith('/count_tokens')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end('{"input_tokens": 100}');
      }
      seq++;
      if (!isMain(body)) return send(res, body, [{ type: 'text', text: 'ok' }], seq);
      const turn = (body.messages ?? []).filter((m) => m.role === 'assistant').length;
      const prev = answeredAt.get(turn - 1);
      if (prev !== undefined) {
        turnMs.push(performance.now() - prev);
        answeredAt.delete(turn - 1);
      }
      const blocks = turn < script.length ? script[turn](body.messages ?? []) : [{ type: 'text' as const, text: 'Done.' }];
      const withIds = blocks.map((b, i) => {
        if (b.type !== 'tool_use') return b;
        const id = `toolu_e2e_${String(turn).padStart(2, '0')}_${i}`;
        if (!toolUses.some((t) => t.id === id)) toolUses.push({ id, name: b.name, input: b.input });
        return { ...b, id };
      });
      res.on('finish', () => {
        if (withIds.some((b) => b.type === 'tool_use')) answeredAt.set(turn, performance.now());
      });
      send(res, body, withIds, seq);
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      resolve({ url: `http://127.0.0.1:${port}`, toolUses, turnMs, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}
