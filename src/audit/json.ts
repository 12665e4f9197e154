// Canonical JSON and the SHA-256 helper, shared by the audit modules, the policy loader and the token authority.
//
// canonicalJson is JSON with object keys sorted by UTF-16 code units and no whitespace: for values that came from
// JSON.parse it is the RFC 8785 (JCS) serialisation, since JCS uses ECMAScript's own number and string output.
// It is what the action statement's subject digest is computed over, so anyone can recompute it from `toolInput`.
import { createHash } from 'node:crypto';

export function canonicalJson(value: unknown): string {
  const out = canon(value);
  return out === undefined ? 'null' : out;
}

// undefined means "not representable" (undefined, functions, symbols): omitted in objects, null in arrays,
// exactly as JSON.stringify does.
function canon(value: unknown): string | undefined {
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    value = (value as { toJSON: () => unknown }).toJSON();
  }
  if (value === null || typeof value !== 'object') {
    return JSON.stringify(value) as string | undefined;
  }
  if (Array.isArray(value)) {
    return '[' + value.map((v) => canon(v) ?? 'null').join(',') + ']';
  }
  const obj = value as Record<string, unknown>;
  const parts: string[] = [];
  // Plain sort() compares UTF-16 code units, which is the JCS order (integer-like keys included).
  for (const key of Object.keys(obj).sort()) {
    const v = canon(obj[key]);
    if (v !== undefined) parts.push(JSON.stringify(key) + ':' + v);
  }
  return '{' + parts.join(',') + '}';
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
