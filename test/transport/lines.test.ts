// The stdio line reader: lines split right however the bytes arrive, an oversized line skipped with its top-level id
// (never an id nested deeper, never one inside a string).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LineSplitter, TopLevelIdScanner } from '../../src/transport/lines.ts';

function scan(text: string, chunk = 3): string | number | undefined {
  const s = new TopLevelIdScanner();
  const b = Buffer.from(text);
  for (let i = 0; i < b.length; i += chunk) s.feed(b.subarray(i, i + chunk));
  return s.id();
}

test('the top-level id, wherever it stands and however the bytes are cut', () => {
  const cases: [string, string | number | undefined][] = [
    ['{"jsonrpc":"2.0","id":7,"method":"x"}', 7],
    ['{"method":"x","params":{"id":5,"a":[{"id":6}]},"id":8}', 8],
    ['{"params":{"text":"\\"id\\":9, {"},"id":"abc"}', 'abc'],
    ['{ "id" : -3 , "method":"x"}', -3],
    ['{"id":"a\\"b\\u0041"}', 'a"bA'],
    ['{"id":1.5}', undefined],
    ['{"id":null,"method":"x"}', undefined],
    ['{"id":true}', undefined],
    ['{"idx":4,"xid":5}', undefined],
    ['[{"id":4}]', undefined],
    ['xxxx"id":4', undefined],
    ['{"id":1}{"id":2}', 1],
    ['{"id":1,"id":2}', 2],
    ['{"params":["id",{"id":3}],"id":12345678901}', 12345678901],
  ];
  for (const [text, want] of cases) {
    for (const chunk of [1, 2, 3, 7, 1000]) assert.is(scan(text, chunk), want, `${text} in chunks of ${chunk}`);
    if (want !== undefined && !text.includes('}{')) assert.is(JSON.parse(text).id, want, 'agrees with JSON.parse');
  }
});

test('a long id string is not kept', () => {
  assert.is(scan(`{"id":"${'a'.repeat(300)}"}`), undefined);
  assert.is(scan(`{"id":"${'a'.repeat(200)}"}`), 'a'.repeat(200));
});

test('lines: split across chunks, CRLF accepted, an oversized line reported with its id and the next line kept', () => {
  const lines: string[] = [];
  const over: [number, unknown][] = [];
  const sp = new LineSplitter(16, (l) => lines.push(l.toString()), (n, id) => over.push([n, id]));
  const input = 'abc\r\n{"id":4,"x":"0123456789abcdef"}\n\nshort\n0123456789abcdef\n0123456789abcdef\r\n0123456789abcdefg\n';
  const b = Buffer.from(input);
  for (let i = 0; i < b.length; i += 5) sp.push(b.subarray(i, i + 5));
  assert.equal(lines, ['abc', '', 'short', '0123456789abcdef', '0123456789abcdef']);
  assert.equal(over, [[31, 4], [17, undefined]]);
  assert.is(sp.pending(), 0);
  sp.push(Buffer.from('partial'));
  assert.is(sp.pending(), 7);
});

test.run();
