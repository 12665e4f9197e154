// The limits table (docs/limits.md, or the README once it holds the table) says what the code enforces.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { MAX_JSON_DEPTH, MAX_MESSAGE_BYTES, MAX_OUTGOING_BYTES } from '../src/transport/lines.ts';
import { DEFAULT_TIMEOUT_SECONDS, MAX_COMMAND_BYTES, MAX_OUTPUT_BYTES, MAX_TIMEOUT_SECONDS } from '../src/tools/bash.ts';
import { MAX_READ_BYTES, MAX_WRITE_BYTES } from '../src/tools/files.ts';
import { HEADERS_TIMEOUT_MS, REQUEST_TIMEOUT_MS } from '../src/transport/http.ts';

function table(): string {
  for (const file of ['README.md', 'docs/limits.md']) {
    if (!existsSync(file)) continue;
    const m = /<!-- aflock-limits-table -->([\s\S]*?)<!-- \/aflock-limits-table -->/.exec(readFileSync(file, 'utf8'));
    if (m) return m[1];
  }
  throw new Error('no limits table (<!-- aflock-limits-table -->) in README.md or docs/limits.md');
}

const row = (t: string, name: string) => {
  const line = t.split('\n').find((l) => l.startsWith(`| ${name} |`));
  assert.ok(line, `the table has a row '${name}'`);
  return line!;
};

test('every row of the limits table has the value the code enforces', () => {
  const t = table();
  assert.match(row(t, 'Message read (stdio line, HTTP body)'), `| 64 MiB (${MAX_MESSAGE_BYTES} bytes) |`);
  assert.is(MAX_MESSAGE_BYTES, 64 * 1024 * 1024);
  assert.match(row(t, 'Nesting of objects and arrays in a message'), `| ${MAX_JSON_DEPTH} levels |`);
  assert.match(row(t, 'Answer written on stdio'), `| 9 MiB (${MAX_OUTGOING_BYTES} bytes) |`);
  assert.match(row(t, '`bash` command'), `| ${MAX_COMMAND_BYTES} bytes (UTF-8) |`);
  assert.match(row(t, '`bash` output (stdout and stderr together)'), `| 1 MiB (${MAX_OUTPUT_BYTES} bytes) |`);
  assert.match(row(t, '`bash` timeout'), `| ${DEFAULT_TIMEOUT_SECONDS} s by default, at most ${MAX_TIMEOUT_SECONDS} s |`);
  assert.match(row(t, '`read_file` file size'), `| 8 MiB (${MAX_READ_BYTES} bytes) |`);
  assert.match(row(t, '`write_file` content'), `| 8 MiB (${MAX_WRITE_BYTES} bytes, UTF-8) |`);
  assert.match(row(t, 'HTTP request headers'), `| ${HEADERS_TIMEOUT_MS / 1000} s |`);
  assert.match(row(t, 'HTTP whole request'), `| ${REQUEST_TIMEOUT_MS / 1000} s |`);
});

test('the worst JSON escaping of write_file content fits in one message', () => {
  // Every byte a control character: \u00XX, six bytes each; plus room for the rest of the call.
  assert.ok(MAX_WRITE_BYTES * 6 + 1024 * 1024 <= MAX_MESSAGE_BYTES);
  // read_file's limit of plain text fits in one answer.
  assert.ok(MAX_READ_BYTES + 64 * 1024 <= MAX_OUTGOING_BYTES);
});

test.run();
