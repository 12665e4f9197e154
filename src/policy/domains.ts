// Domain rules: hosts come from the WHATWG URL parser (case, ports, userinfo, percent-encoding, trailing dots,
// IPv6 brackets, backslashes, `?`/`#` without a path), never from string slicing.
import { compileGlob, type Glob } from './patterns.ts';

export type HostResult = { ok: true; host: string; scheme: string } | { ok: false; reason: string };

const SCHEME = /^[a-zA-Z][a-zA-Z0-9+.-]*:/;

/** The host a URL-ish string points at. Bare `host/path` and protocol-relative `//host` are read as https. */
export function hostOf(raw: string): HostResult {
  const text = raw.trim();
  if (text === '') return { ok: false, reason: 'empty URL' };
  let candidate: string;
  if (text.startsWith('//') || text.startsWith('\\\\')) candidate = `https:${text}`;
  else if (SCHEME.test(text) && !/^[^:/]+:\d+(\/|$)/.test(text)) candidate = text;
  else candidate = `https://${text}`;
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    return { ok: false, reason: `unparseable URL ${JSON.stringify(raw)}` };
  }
  let host = url.hostname.toLowerCase();
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  while (host.endsWith('.')) host = host.slice(0, -1);
  if (host === '') return { ok: false, reason: `no host in ${JSON.stringify(raw)}` };
  return { ok: true, host, scheme: url.protocol.slice(0, -1).toLowerCase() };
}

/** Host from a bare `host` or `host:port` or `user@host` argument (ssh, nc). */
export function hostOfAddress(raw: string): HostResult {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) return hostOf(raw);
  const atIdx = raw.lastIndexOf('@');
  const hostPart = atIdx >= 0 ? raw.slice(atIdx + 1) : raw;
  return hostOf(`//${hostPart.replace(/:.*$/, '')}`);
}

export interface DomainRules {
  readonly allow: { source: string; glob: Glob }[] | null;
  readonly deny: { source: string; glob: Glob }[];
}

export function compileDomainRules(allow: string[] | undefined, deny: string[] | undefined): DomainRules {
  const compile = (p: string) => ({ source: p, glob: compileGlob(p.toLowerCase().replace(/\.+$/, ''), 'text') });
  return { allow: allow && allow.length > 0 ? allow.map(compile) : null, deny: (deny ?? []).map(compile) };
}

export type DomainVerdict = { ok: true } | { ok: false; reason: string; rule?: string };

export function checkHost(rules: DomainRules, parsed: HostResult, original: string): DomainVerdict {
  if (!parsed.ok) return { ok: false, reason: parsed.reason };
  const { host, scheme } = parsed;
  for (const r of rules.deny) if (r.glob.matches(host)) return { ok: false, reason: `Domain '${host}' matches deny pattern '${r.source}'`, rule: r.source };
  if (rules.allow) {
    if (scheme !== 'http' && scheme !== 'https') {
      return { ok: false, reason: `URL scheme '${scheme}:' is not allowed under a domain allow list (${original})` };
    }
    if (!rules.allow.some((r) => r.glob.matches(host))) return { ok: false, reason: `Domain '${host}' not in allow list` };
  }
  return { ok: true };
}
