// Host spellings and address classes for the sandbox's network proxy. A host reaches the domain rules only in one
// canonical spelling: the WHATWG URL parser turns `2130706433`, `0x7f.1`, `017700000001` and `0` into dotted IPv4,
// lowercases names and keeps IPv6 compressed; we then strip brackets and trailing dots and unwrap IPv4-mapped IPv6
// (`::ffff:127.0.0.1`), so every spelling of one address is one string.
import { BlockList, isIP } from 'node:net';

export type CanonicalHost = { ok: true; host: string; ip: 4 | 6 | 0 } | { ok: false; reason: string };

/** Canonical form of a host as written in a CONNECT target or an absolute URL (no port, no brackets). */
export function canonicalHost(raw: string): CanonicalHost {
  let text = raw.trim();
  if (text === '') return { ok: false, reason: 'empty host' };
  if (/[\s/\\?#@]/.test(text)) return { ok: false, reason: `malformed host ${JSON.stringify(raw)}` };
  if (text.includes(':') && !text.startsWith('[')) text = `[${text}]`; // bare IPv6
  let url: URL;
  try {
    url = new URL(`http://${text}/`);
  } catch {
    return { ok: false, reason: `malformed host ${JSON.stringify(raw)}` };
  }
  let host = url.hostname.toLowerCase();
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  while (host.endsWith('.')) host = host.slice(0, -1);
  if (host === '') return { ok: false, reason: `malformed host ${JSON.stringify(raw)}` };
  const mapped = unmapIPv4(host);
  const kind = isIP(mapped);
  return { ok: true, host: mapped, ip: kind === 4 ? 4 : kind === 6 ? 6 : 0 };
}

/** `::ffff:7f00:1` / `::ffff:127.0.0.1` -> `127.0.0.1`; anything else unchanged. */
export function unmapIPv4(addr: string): string {
  if (isIP(addr) !== 6) return addr;
  const m = addr.toLowerCase().match(/^(?:0{0,4}:){0,5}:?ffff:(?:(\d+\.\d+\.\d+\.\d+)|([0-9a-f]{1,4}):([0-9a-f]{1,4}))$/);
  if (!m) return addr;
  if (m[1]) return m[1];
  const hi = parseInt(m[2], 16);
  const lo = parseInt(m[3], 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** Addresses that are not the public internet: loopback, private, link-local (cloud metadata), CGNAT, unspecified, multicast, reserved. */
const NON_PUBLIC = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15],
  ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) NON_PUBLIC.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  // ::/96 (IPv4-compatible, `::127.0.0.1`), ::ffff:0:0:0/96 (IPv4-translated) and 2002::/16 (6to4) embed an IPv4
  // address, loopback or private as often as not; all three are deprecated or unrouted on the public internet.
  ['::', 96], ['::ffff:0:0:0', 96], ['2002::', 16],
  ['::', 128], ['::1', 128], ['64:ff9b::', 96], ['64:ff9b:1::', 48], ['100::', 64], ['2001::', 23],
  ['2001:db8::', 32], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
] as const) NON_PUBLIC.addSubnet(net, bits, 'ipv6');
// Not ::ffff:0:0/96: BlockList checks IPv4 through its mapped form, so that entry would block every IPv4 address;
// mapped addresses are unmapped before the check instead.

/** True when `addr` (an IP literal) is on the public internet. */
export function isPublicAddress(addr: string): boolean {
  const a = unmapIPv4(addr);
  const kind = isIP(a);
  if (kind === 0) return false;
  return !NON_PUBLIC.check(a, kind === 4 ? 'ipv4' : 'ipv6');
}
