// The stdio transport: newline-delimited JSON-RPC on stdin/stdout. It replaces the SDK's StdioServerTransport, whose
// read buffer closes the transport on the first message over 10 MiB (the server then stopped reading stdin, or
// exited 0 with nothing on stderr) and drops, without a word, lines that are not JSON or not valid JSON-RPC. Here:
//   - a message over MAX_MESSAGE_BYTES is skipped up to its newline in constant memory and answered with a JSON-RPC
//     error carrying its id when the id can be read from its top level (else a stderr line); reading goes on;
//   - a line that is not JSON gets -32700 (Parse error, id null) and a stderr line;
//   - a message nesting objects/arrays more than MAX_JSON_DEPTH levels gets -32600 saying so;
//   - JSON that is not a valid JSON-RPC message (params not an object, a batch, ...) gets -32600 (Invalid Request)
//     with its id when it has a usable one, else id null, and a stderr line;
//   - lines are split without re-scanning the buffer, so a large message costs linear time.
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { JSONRPCMessageSchema, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { log } from '../log.ts';

/**
 * The largest JSON-RPC message read from stdin (and over HTTP), in bytes. write_file accepts 8 MiB of content and
 * JSON escaping can make that six times longer (every control character becomes `\u00XX`), so 48 MiB + the rest of
 * the message must fit: 64 MiB.
 */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/**
 * The deepest nesting of objects and arrays accepted in a message. Real calls nest a few levels (a tool input, an
 * attestation predicate); 100,000 levels overflowed the stack of the trail's JSON writer and were refused as "could not
 * write the audit trail". Checked right after parsing, for every transport.
 */
export const MAX_JSON_DEPTH = 64;

/** Whether `value` nests objects/arrays more than `max` levels deep (iterative: deep input cannot overflow this). */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth + 1 > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return false;
}

/**
 * The largest message written to stdout. Clients built on the MCP SDK read at most 10 MiB per message and drop the
 * connection on a longer one (every later call then fails), so a longer answer is replaced by a short error that
 * says so. 9 MiB leaves room for the SDK's buffering of the bytes around a message, and still carries read_file's
 * 8 MiB of plain text (JSON escaping can make a result up to six times longer than the text it holds).
 */
export const MAX_OUTGOING_BYTES = 9 * 1024 * 1024;

type RequestId = string | number;

/** JSON-RPC error codes used here. */
export const PARSE_ERROR = -32700;
export const INVALID_REQUEST = -32600;

const MiB = (n: number) => `${(n / (1024 * 1024)).toFixed(n % (1024 * 1024) === 0 ? 0 : 1)} MiB`;

/**
 * Finds the top-level `"id"` of a JSON object streamed through it, without keeping the object: a small state machine
 * over the bytes (depth, inside a string, after a backslash). Only an `id` at depth 1 counts, so an `"id"` key inside
 * `params` is never mistaken for the request's. The value is kept only when it is a short string or an integer.
 */
export class TopLevelIdScanner {
  private depth = 0;
  private started = false;
  private broken = false;
  private inString = false;
  private escaped = false;
  /** At depth 1: the next string is a key (after `{` or `,`), or a value (after `:`). */
  private expect: 'key' | 'colon' | 'value' | 'other' = 'other';
  private key = '';
  private capture: number[] | null = null;
  private captureIsString = false;
  private keyOverflow = false;
  private found: RequestId | undefined;

  feed(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length && !this.broken; i++) this.step(bytes[i]);
  }

  /** The id found so far (the last one, as JSON.parse would keep). */
  id(): RequestId | undefined {
    if (this.capture && !this.captureIsString) this.finishNumber();
    return this.found;
  }

  private step(b: number): void {
    if (this.inString) {
      if (this.escaped) this.escaped = false;
      else if (b === 0x5c) this.escaped = true; // backslash
      else if (b === 0x22) {
        this.inString = false;
        this.endString();
        return;
      }
      this.keep(b);
      return;
    }
    if (this.capture && !this.captureIsString) {
      if ((b >= 0x30 && b <= 0x39) || b === 0x2d || b === 0x2b || b === 0x2e || b === 0x65 || b === 0x45) return this.keep(b);
      this.finishNumber();
    }
    if (b === 0x20 || b === 0x09 || b === 0x0d || b === 0x0a) return;
    if (!this.started) {
      this.started = true;
      if (b !== 0x7b) this.broken = true; // not an object: no id to find
      else {
        this.depth = 1;
        this.expect = 'key';
      }
      return;
    }
    switch (b) {
      case 0x22: // "
        this.inString = true;
        if (this.depth === 1 && this.expect === 'key') {
          this.key = '';
          this.keyOverflow = false;
        } else if (this.depth === 1 && this.expect === 'value' && this.key === 'id') {
          this.capture = [];
          this.captureIsString = true;
        }
        return;
      case 0x7b: // {
      case 0x5b: // [
        this.depth++;
        if (this.depth === 2 && this.expect === 'value') this.expect = 'other';
        return;
      case 0x7d: // }
      case 0x5d: // ]
        this.depth--;
        if (this.depth <= 0) this.broken = true; // the top-level object ended
        return;
      case 0x3a: // :
        if (this.depth === 1 && this.expect === 'colon') this.expect = 'value';
        return;
      case 0x2c: // ,
        if (this.depth === 1) this.expect = 'key';
        return;
      default:
        if (this.depth === 1 && this.expect === 'value') {
          if (this.key === 'id' && ((b >= 0x30 && b <= 0x39) || b === 0x2d)) {
            this.capture = [b];
            this.captureIsString = false;
          }
          this.expect = 'other';
        }
    }
  }

  private keep(b: number): void {
    if (this.inString && this.depth === 1 && this.expect === 'key') {
      if (this.key.length < 8) this.key += String.fromCharCode(b);
      else this.keyOverflow = true;
      return;
    }
    if (this.capture) {
      if (this.capture.length < 256) this.capture.push(b);
      else this.capture = null; // too long to be an id we answer to
    }
  }

  private endString(): void {
    if (this.depth !== 1) return;
    if (this.expect === 'key') {
      if (this.keyOverflow) this.key = '';
      this.expect = 'colon';
      return;
    }
    if (this.expect === 'value') {
      if (this.capture && this.captureIsString) {
        try {
          this.found = JSON.parse(`"${Buffer.from(this.capture).toString('utf8')}"`) as string;
        } catch {
          // an id string with a broken escape: not one to answer to
        }
      }
      this.capture = null;
      this.expect = 'other';
    }
  }

  private finishNumber(): void {
    const n = Number(Buffer.from(this.capture!).toString('latin1'));
    this.capture = null;
    if (Number.isSafeInteger(n)) this.found = n;
  }
}

/**
 * Splits a byte stream into lines of at most `max` bytes (the newline and a trailing CR excluded). A longer line is
 * skipped as it streams in (only its length and top-level id are kept) and reported once its newline arrives.
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  private oversize: { bytes: number; scanner: TopLevelIdScanner } | null = null;

  constructor(
    private readonly max: number,
    private readonly onLine: (line: Buffer) => void,
    private readonly onOversize: (bytes: number, id: RequestId | undefined) => void,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    while (start <= chunk.length) {
      const nl = chunk.indexOf(0x0a, start);
      const piece = chunk.subarray(start, nl === -1 ? chunk.length : nl);
      if (this.oversize) {
        this.oversize.bytes += piece.length;
        this.oversize.scanner.feed(piece);
      } else if (this.size + piece.length > this.max + 1) {
        // +1: a CR before the newline is not part of the message. Past the limit: keep only what finds the id.
        const scanner = new TopLevelIdScanner();
        for (const p of this.parts) scanner.feed(p);
        scanner.feed(piece);
        this.oversize = { bytes: this.size + piece.length, scanner };
        this.parts = [];
        this.size = 0;
      } else if (piece.length > 0) {
        this.parts.push(piece);
        this.size += piece.length;
      }
      if (nl === -1) return;
      start = nl + 1;
      if (this.oversize) {
        const { bytes, scanner } = this.oversize;
        this.oversize = null;
        this.onOversize(bytes, scanner.id());
        continue;
      }
      let line = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.size);
      this.parts = [];
      this.size = 0;
      if (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
      if (line.length > this.max) this.onOversize(line.length, undefined);
      else this.onLine(line);
    }
  }

  /** Bytes of an unfinished line (no newline yet). */
  pending(): number {
    return this.oversize ? this.oversize.bytes : this.size;
  }
}

/** What is wrong with a parsed line that is not a JSON-RPC message, in one line. */
function whyInvalid(value: unknown): string {
  if (Array.isArray(value)) return 'a JSON array (batches are not supported); send one JSON-RPC object per line';
  if (value === null || typeof value !== 'object') return `a JSON ${value === null ? 'null' : typeof value}, not a JSON-RPC object`;
  const m = value as Record<string, unknown>;
  if (m.jsonrpc !== '2.0') return 'jsonrpc must be "2.0"';
  if ('params' in m && (m.params === null || typeof m.params !== 'object' || Array.isArray(m.params))) {
    return `params must be an object, not ${Array.isArray(m.params) ? 'an array' : m.params === null ? 'null' : `a ${typeof m.params}`}`;
  }
  if ('id' in m && !usableId(m.id)) return 'id must be a string or an integer';
  if ('method' in m && typeof m.method !== 'string') return 'method must be a string';
  return 'not a valid JSON-RPC request, notification or response';
}

/**
 * Whether a message that cannot be processed gets a JSON-RPC error, and with which id: a request gets one with its id
 * (null if unusable); a broken notification or response has nobody waiting for an answer (stderr only); anything
 * else gets one with id null.
 */
function whoToAnswer(value: unknown): { answer: boolean; id: RequestId | null } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { answer: true, id: null };
  const m = value as Record<string, unknown>;
  if ('method' in m && 'id' in m) return { answer: true, id: usableId(m.id) ? m.id : null };
  if ('method' in m || 'result' in m || 'error' in m) return { answer: false, id: null };
  return { answer: true, id: null };
}

function usableId(id: unknown): id is RequestId {
  return typeof id === 'string' || (typeof id === 'number' && Number.isSafeInteger(id));
}

/** JSON-RPC over newline-delimited stdin/stdout, with the limits and answers described at the top of this file. */
export class LineTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  private readonly splitter: LineSplitter;
  private started = false;
  private closed = false;
  private complaints = 0;

  constructor(
    private readonly input: NodeJS.ReadableStream = process.stdin,
    private readonly output: NodeJS.WritableStream = process.stdout,
    readonly maxMessageBytes = MAX_MESSAGE_BYTES,
    readonly maxOutgoingBytes = MAX_OUTGOING_BYTES,
  ) {
    this.splitter = new LineSplitter(maxMessageBytes, (line) => this.onLine(line), (bytes, id) => this.onOversize(bytes, id));
  }

  private readonly onData = (chunk: Buffer | string) => {
    this.splitter.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  };

  private readonly onEnd = () => {
    const left = this.splitter.pending();
    if (left > 0) this.complain(`stdin ended in the middle of a message (${left} bytes with no newline); it was not read`);
  };

  private readonly onStreamError = (e: Error) => this.onerror?.(e);

  async start(): Promise<void> {
    if (this.started) throw new Error('LineTransport already started');
    this.started = true;
    this.input.on('data', this.onData);
    this.input.on('end', this.onEnd);
    this.input.on('error', this.onStreamError);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.input.off('data', this.onData);
    this.input.off('end', this.onEnd);
    this.input.off('error', this.onStreamError);
    this.onclose?.();
  }

  send(message: JSONRPCMessage): Promise<void> {
    let line = `${JSON.stringify(message)}\n`;
    // UTF-16 length x 3 bounds the UTF-8 length: only long messages are measured.
    if (line.length * 3 > this.maxOutgoingBytes) {
      const bytes = Buffer.byteLength(line, 'utf8');
      if (bytes > this.maxOutgoingBytes) line = `${JSON.stringify(this.tooLongAnswer(message, bytes))}\n`;
    }
    return new Promise((resolve) => {
      if (this.output.write(line)) resolve();
      else this.output.once('drain', resolve);
    });
  }

  /** What is sent instead of an answer longer than maxOutgoingBytes: a tool error for a tool call, else -32603. */
  private tooLongAnswer(message: JSONRPCMessage, bytes: number): JSONRPCMessage {
    const m = message as { id?: RequestId; result?: { content?: unknown } };
    const why = `the answer is ${bytes} bytes (${MiB(bytes)}) once JSON-encoded, over the ${MiB(this.maxOutgoingBytes)} limit per message (MCP SDK clients drop the connection past 10 MiB); JSON escaping makes quotes, backslashes and control characters 2 to 6 times longer`;
    this.complain(`${why}; sent an error instead${m.id === undefined ? '' : ` (request id ${JSON.stringify(m.id)})`}`);
    if (m.id !== undefined && m.result && Array.isArray(m.result.content)) {
      const text = `Result too large: ${why}. The call itself ran and is in the trail; ask for less (with bash: | head -c 100000, or | base64 for binary data).`;
      return { jsonrpc: '2.0', id: m.id, result: { content: [{ type: 'text', text }], isError: true } } as JSONRPCMessage;
    }
    if (m.id !== undefined && 'result' in m) return { jsonrpc: '2.0', id: m.id, error: { code: -32603, message: `Internal error: ${why}` } } as unknown as JSONRPCMessage;
    return message; // a request or notification of ours: never that large
  }

  /** A stderr line per problem, thinned out when a client floods us with bad input. */
  private complain(message: string): void {
    this.complaints++;
    if (this.complaints <= 20 || this.complaints % 1000 === 0) log(`${message}${this.complaints > 20 ? ` (${this.complaints} bad messages so far)` : ''}`);
  }

  private reply(id: RequestId | null, code: number, message: string): void {
    void this.send({ jsonrpc: '2.0', id, error: { code, message } } as unknown as JSONRPCMessage);
  }

  private onOversize(bytes: number, id: RequestId | undefined): void {
    const message = `Invalid Request: the message is ${bytes} bytes (${MiB(bytes)}); the limit is ${this.maxMessageBytes} bytes (${MiB(this.maxMessageBytes)}) per message`;
    this.complain(`${message}${id === undefined ? '; its id could not be read, so it was answered with id null' : ` (request id ${JSON.stringify(id)})`}`);
    this.reply(id ?? null, INVALID_REQUEST, message);
  }

  private onLine(line: Buffer): void {
    const text = line.toString('utf8');
    if (text.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      const why = (e as Error).message.split('\n')[0];
      this.complain(`a line on stdin is not JSON (${why}); answered with -32700`);
      this.reply(null, PARSE_ERROR, `Parse error: the line is not JSON (${why})`);
      return;
    }
    if (nestsDeeperThan(value, MAX_JSON_DEPTH)) {
      const { answer, id } = whoToAnswer(value);
      const message = `Invalid Request: the message nests objects/arrays more than ${MAX_JSON_DEPTH} levels deep (the limit)`;
      this.complain(`${message}${id === null ? '' : ` (request id ${JSON.stringify(id)})`}`);
      if (answer) this.reply(id, INVALID_REQUEST, message);
      return;
    }
    const parsed = JSONRPCMessageSchema.safeParse(value);
    if (parsed.success) {
      this.onmessage?.(parsed.data);
      return;
    }
    const why = whyInvalid(value);
    const { answer, id } = whoToAnswer(value);
    this.complain(`an invalid JSON-RPC message on stdin: ${why}${answer ? '; answered with -32600' : ''}`);
    if (answer) this.reply(id, INVALID_REQUEST, `Invalid Request: ${why}`);
  }
}
