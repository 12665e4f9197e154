// Network tools: the hosts each connects to, the files its options read or write, the commands some of them run
// (ssh remote commands, rsync -e, nc -e, socat EXEC:).
import { argText, literalArg, type Arg, type Call, type Sink } from '../types.ts';
import { scan, type FileSpec, type Scanned } from '../options.ts';
import { hostOf } from '../text.ts';

/**
 * The network target of a URL word. When only the path is dynamic (`"https://api.github.com/repos/$REPO/pulls"`),
 * the scheme and host are literal and known: the target is the literal part. Anything that could still change the
 * host (`https://$HOST/`, `https://good.com$X/`) stays the word as written, which names no host.
 */
export function urlTarget(a: Arg): string {
  if (a.literal) return a.value;
  if (a.head && /^[a-z][a-z0-9+.-]*:\/\/[^/?#\s@]+[/?#]/i.test(a.head)) return `${a.head}…`;
  return a.src;
}

export function curl(s: Sink, name: string, args: Arg[], c: Call): void {
  const o = scan(args, {
    v: 'AbcCdDeEFHKmoPQrtTuUwxXyYz', ops: 'none',
    vl: ['--data', '--data-ascii', '--data-binary', '--data-raw', '--data-urlencode', '--json', '--form',
      '--form-string', '--header', '--proxy-header', '--output', '--output-dir', '--user', '--proxy-user',
      '--user-agent', '--referer', '--cookie', '--cookie-jar', '--request', '--upload-file', '--config', '--max-time',
      '--connect-timeout', '--retry', '--retry-delay', '--retry-max-time', '--range', '--continue-at', '--write-out',
      '--proxy', '--socks4', '--socks4a', '--socks5', '--socks5-hostname', '--preproxy', '--url', '--cacert',
      '--capath', '--cert', '--cert-type', '--key', '--key-type', '--pass', '--ciphers', '--interface',
      '--local-port', '--dns-servers', '--resolve', '--connect-to', '--limit-rate', '--max-filesize', '--max-redirs',
      '--proto', '--proto-redir', '--trace', '--trace-ascii', '--stderr', '--dump-header', '--netrc-file',
      '--oauth2-bearer', '--aws-sigv4', '--variable', '--expect100-timeout', '--keepalive-time', '--speed-limit',
      '--speed-time', '--time-cond', '--tls-max', '--unix-socket', '--abstract-unix-socket', '--noproxy', '--quote',
      '--mail-from', '--mail-rcpt', '--mail-auth', '--doh-url', '--hsts', '--alt-svc', '--etag-save',
      '--etag-compare', '--happy-eyeballs-timeout-ms', '--parallel-max', '--create-file-mode', '--rate', '--url-query'],
  });
  for (const t of o.operands) s.net(urlTarget(t), name);
  // curl expands {a,b} and [1-9] in URLs itself (unless -g): a host spelled with them is no host a rule can name.
  const globoff = o.flags.has('-g') || o.flags.has('--globoff');
  const urls = [...o.operands, ...o.opts.filter((x) => x.name === '--url').map((x) => x.value as Arg)];
  if (!globoff && urls.some((u) => u?.literal && /^([a-z][a-z0-9+.-]*:\/\/)?[^/?#]*[{[]/i.test(argText(u)) && !/^([a-z]+:\/\/)?\[[0-9a-f:.]+\]/i.test(argText(u)))) {
    s.unres('URL glob', c.src);
  }
  for (const x of o.opts) {
    const v = x.value;
    if (!v) continue;
    const val = argText(v);
    switch (x.name) {
      case '--url': s.net(urlTarget(v), name); break;
      case '-x': case '--proxy': case '--preproxy': case '--socks4': case '--socks4a': case '--socks5':
      case '--socks5-hostname': case '--doh-url':
        s.net(val, name); break;
      case '-o': case '--output': case '-c': case '--cookie-jar': case '-D': case '--dump-header': case '--trace':
      case '--trace-ascii': case '--stderr': case '--etag-save':
        s.file(v, 'write', name); break;
      case '-T': case '--upload-file': case '-K': case '--config': case '--cacert': case '--cert': case '-E': case '--key':
      case '--netrc-file': case '--etag-compare':
        s.file(v, 'read', name); break;
      case '-H': case '--header': case '--proxy-header': case '-w': case '--write-out':
        // `@file` reads the header lines (or the format) from a file.
        if (val.startsWith('@')) s.file({ ...v, value: val.slice(1), src: val.slice(1) }, 'read', name);
        break;
      case '--connect-to': case '--resolve': {
        // HOST1:PORT1:HOST2:PORT2 / HOST:PORT:ADDR: the connection goes to the last host, whatever the URL says.
        const last = val.replace(/^\[?[^\]:]*\]?:\d*:/, '');
        s.net(hostOf(last.replace(/^\[([^\]]*)\].*$/, '$1')), name);
        break;
      }
      case '-b': case '--cookie':
        if (!val.includes('=')) s.file(v, 'read', name); break;
      case '-d': case '--data': case '--data-binary': case '--data-ascii': case '--json': case '--data-urlencode': {
        const at = val.indexOf('@');
        if (at >= 0 && (at === 0 || (x.name === '--data-urlencode' && !val.slice(0, at).includes('=')))) {
          s.file({ ...v, value: val.slice(at + 1), src: val.slice(at + 1) }, 'read', name);
        }
        break;
      }
      case '-F': case '--form': {
        const m = /^[^=]*=[@<]([^;]*)/.exec(val);
        if (m) s.file({ ...v, value: m[1], src: m[1] }, 'read', name);
        break;
      }
      default:
    }
  }
}

export function wget(s: Sink, name: string, args: Arg[]): void {
  const o = scan(args, {
    v: 'oaiBeOtTwQPUlARDIX', ops: 'none',
    vl: ['--output-file', '--append-output', '--input-file', '--base', '--execute', '--output-document', '--tries',
      '--timeout', '--wait', '--quota', '--directory-prefix', '--user-agent', '--level', '--accept', '--reject',
      '--domains', '--include-directories', '--exclude-directories', '--header', '--post-data', '--post-file',
      '--body-data', '--body-file', '--method', '--user', '--password', '--http-user', '--http-password',
      '--proxy-user', '--proxy-password', '--load-cookies', '--save-cookies', '--referer', '--ca-certificate',
      '--certificate', '--private-key', '--limit-rate', '--bind-address', '--dns-timeout', '--connect-timeout',
      '--read-timeout', '--waitretry', '--max-redirect', '--cut-dirs', '--progress', '--config', '--rejected-log',
      '--warc-file', '--accept-regex', '--reject-regex', '--default-page', '--local-encoding', '--remote-encoding'],
  });
  for (const t of o.operands) s.net(urlTarget(t), name);
  for (const x of o.opts) {
    if (['-O', '--output-document', '-o', '--output-file', '-a', '--append-output', '--save-cookies'].includes(x.name)) {
      s.file(x.value, 'write', name);
    }
    if (['-i', '--input-file', '--post-file', '--body-file', '--load-cookies', '--config', '--certificate',
      '--private-key'].includes(x.name)) s.file(x.value, 'read', name);
    if ((x.name === '-B' || x.name === '--base') && x.value) s.net(argText(x.value), name);
    // -e runs a .wgetrc command (proxies, output files, ...): a program of its own language.
    if (x.name === '-e' || x.name === '--execute') s.unres('interpreter inline code', `${name} ${x.name} ${x.value ? argText(x.value) : ''}`);
  }
}

export function sshOptions(s: Sink, o: Scanned, name: string, c: Call): void {
  for (const x of o.opts) {
    const v = x.value ? argText(x.value) : '';
    if (x.name === '-o' && /^\s*(proxycommand|localcommand|permitlocalcommand|knownhostscommand|match)\b/i.test(v)) {
      s.unres('ssh command option', c.src);
    }
    if (x.name === '-F' || x.name === '-i') s.file(x.value, 'read', name);
    if (x.name === '-E') s.file(x.value, 'write', name);
    if (x.name === '-J' && v) for (const h of v.split(',')) s.net(hostOf(h), name);
    // -o HostName=... and -o ProxyJump=... decide where ssh connects, whatever the destination says.
    const opt = x.name === '-o' ? /^\s*(hostname|proxyjump)\s*[= ]\s*(.+)$/i.exec(v) : null;
    if (opt) for (const h of opt[2].split(',')) s.net(hostOf(h.trim()), name);
    if (x.name === '-S' && name !== 'ssh' && x.value) s.shellString(x.value, c, `${name} -S`);
  }
}

export function ssh(s: Sink, name: string, args: Arg[], c: Call): void {
  const o = scan(args, { v: 'BbcDEeFIiJLlmOopQRSWw', ops: 'none' }, true);
  sshOptions(s, o, name, c);
  const dest = o.operands[0];
  if (!dest) return;
  s.net(hostOf(argText(dest)), name);
  const remote = o.operands.slice(1);
  // The remote command runs elsewhere, but it is still something the agent does: analyse it when it is known.
  if (remote.length && remote.every((a) => a.literal)) {
    s.script(remote.map((a) => a.value).join(' '), { ...c.env, piped: false }, c.sc.level + 1, 'ssh');
  }
}

export function copyRemote(s: Sink, key: string, name: string, args: Arg[], c: Call): void {
  const spec: FileSpec = key === 'rsync'
    ? {
      v: 'eBfTM', ops: 'none', x: ['-e', '--rsh'],
      vl: ['--rsh', '--exclude', '--include', '--filter', '--exclude-from', '--include-from', '--files-from',
        '--password-file', '--rsync-path', '--log-file', '--backup-dir', '--suffix', '--chmod', '--chown', '--usermap',
        '--groupmap', '--timeout', '--contimeout', '--port', '--bwlimit', '--max-size', '--min-size', '--partial-dir',
        '--temp-dir', '--compare-dest', '--copy-dest', '--link-dest', '--compress-level', '--skip-compress',
        '--info', '--debug', '--out-format', '--log-file-format', '--modify-window', '--iconv', '--sockopts',
        '--max-delete', '--block-size', '--checksum-choice', '--compress-choice', '--write-batch',
        '--only-write-batch', '--read-batch', '--protocol', '--address', '--remote-option'],
    }
    : { v: 'cFiJlOoPSbs', ops: 'none' };
  const o = scan(args, spec);
  if (key === 'rsync') {
    for (const x of o.opts) {
      if (['--exclude-from', '--include-from', '--files-from', '--password-file'].includes(x.name)) s.file(x.value, 'read', name);
      if (x.name === '--log-file') s.file(x.value, 'write', name);
      if (x.name === '-e' || x.name === '--rsh') s.shellString(x.value, c, `${name} -e`);
    }
  } else {
    sshOptions(s, o, name, c);
    for (const x of o.opts) if (x.name === '-b') s.file(x.value, 'read', name);
  }
  const remote = (a: Arg): string | null => {
    const v = argText(a);
    const url = /^(?:rsync|scp|sftp|ssh):\/\/(?:[^@/]*@)?(\[[^\]]*\]|[^/:]*)/i.exec(v);
    if (url) return url[1].replace(/^\[|\]$/g, '');
    const m = /^(?:[^@/:]*@)?(\[[^\]]*\]|[^/:]+):/.exec(v);
    return m ? m[1].replace(/^\[|\]$/g, '') : null;
  };
  const ops = o.operands;
  ops.forEach((a, i) => {
    const host = remote(a);
    if (host !== null) { s.net(host, name); return; }
    const last = i === ops.length - 1 && ops.length > 1;
    s.file(a, last ? 'write' : 'read', name);
    // Into a local directory destination, a source without a trailing `/` lands as dest/<its name>.
    if (last && a.literal) {
      for (const src of ops.slice(0, -1)) {
        if (!src.literal || remote(src) !== null || /\/\.?$/.test(src.value)) continue;
        const base = src.value.split('/').pop() ?? '';
        if (base && base !== '..') s.file(literalArg(`${a.value.replace(/\/+$/, '')}/${base}`), 'write', name, false, undefined, /\/$/.test(a.value) ? undefined : a.value);
      }
    }
    // rsync --delete (and its spellings) removes what the source lacks, every path under the destination;
    // --remove-source-files (once --remove-sent-files) removes what it copied, every file under a source.
    if (key === 'rsync' && [...o.flags].some((f) => (last ? /^--(delete|del$)/ : /^--remove-(source|sent)-files$/).test(f))) s.file(a, 'write', name, true);
  });
}

export function openssl(s: Sink, name: string, args: Arg[]): void {
  const sub = args[0]?.literal ? args[0].value : '';
  // `openssl s_client host:port` (the operand form of -connect) and `openssl storeutl FILE` (reads the file).
  const operands = args.slice(1).filter((a, i, all) => !(a.literal && a.value.startsWith('-'))
    && !(all[i - 1]?.literal && all[i - 1].value.startsWith('-')));
  if (sub === 's_client' || sub === 's_time') for (const a of operands) s.net(hostOf(argText(a)), name);
  if (sub === 'storeutl' || sub === 'asn1parse') for (const a of operands) s.file(a, 'read', name);
  for (let i = 0; i < args.length; i++) {
    const v = args[i].literal ? args[i].value : '';
    if (['-in', '-inkey', '-key', '-CAfile', '-cert', '-certfile', '-signkey', '-kfile', '-config', '-infiles',
      '-sigfile', '-prvkey', '-pubin', '-CAkey', '-untrusted'].includes(v)) { s.file(args[i + 1], 'read', name); i++; }
    else if (['-out', '-keyout', '-signature'].includes(v)) { s.file(args[i + 1], 'write', name); i++; }
    else if (v === '-connect' && args[i + 1]) { s.net(hostOf(argText(args[i + 1])), name); i++; }
    else if (['-proxy', '-servername'].includes(v) && args[i + 1]) { s.net(hostOf(argText(args[i + 1])), name); i++; }
    else if ((v === '-pass' || v === '-passin' || v === '-passout') && args[i + 1]?.literal) {
      const p = args[i + 1].value;
      if (p.startsWith('file:')) s.file(literalArg(p.slice(5)), 'read', name);
      i++;
    }
  }
}

/** The commands network1() knows. */
export const NETWORK_NAMES: readonly string[] = ['nc', 'ncat', 'netcat', 'telnet', 'ftp', 'sftp', 'whois', 'ping', 'ping6', 'traceroute', 'mtr', 'tracepath', 'dig', 'nslookup', 'host', 'drill', 'socat', 'aria2c', 'axel', 'lynx', 'links', 'w3m', 'elinks', 'http', 'https', 'xh', 'xhs', 'httpie', 'curlie', 'npx', 'pnpx', 'bunx'];

/** Host-based network commands; true when `key` was one. */
export function network1(s: Sink, key: string, name: string, args: Arg[], c: Call): boolean {
  switch (key) {
    case 'nc': case 'ncat': case 'netcat': {
      const o = scan(args, {
        v: 'IiMmOPpsTVWwXxqedco', ops: 'none',
        vl: ['--proxy', '--proxy-type', '--proxy-auth', '--source', '--source-port', '--wait', '--idle-timeout',
          '--exec', '--sh-exec', '--lua-exec', '--output', '--hex-dump', '--max-conns', '--delay', '--append-output'],
      });
      for (const x of o.opts) {
        if ((x.name === '-x' || x.name === '--proxy') && x.value) s.net(hostOf(argText(x.value)), name);
        if (['-c', '--sh-exec'].includes(x.name)) s.shellString(x.value, c, `${name} -c`);
        if (['-e', '--exec'].includes(x.name) && x.value) {
          if (x.value.literal) s.script(x.value.value, { ...c.env, piped: false }, c.sc.level + 1, `${name} -e`);
          else s.unres('non-literal shell -c', c.src);
        }
        if (x.name === '--lua-exec') s.unres('interpreter inline code', c.src);
        if (['-o', '--output', '--append-output', '--hex-dump'].includes(x.name)) s.file(x.value, 'write', name);
      }
      const listen = o.flags.has('-l') || o.flags.has('--listen');
      if (!listen && o.operands[0]) s.net(hostOf(argText(o.operands[0])), name);
      return true;
    }
    case 'telnet': case 'ftp': case 'sftp': case 'whois': case 'ping': case 'ping6': case 'traceroute': case 'mtr':
    case 'tracepath': {
      const values: Record<string, string> = {
        telnet: 'lbnekX', ftp: 'Po', whois: 'hpT', ping: 'cilmpsFIMQSTtWw', ping6: 'cilmpsFIMQSTtWw',
        traceroute: 'fFmNpqtwzsiAgx', mtr: 'cisfmMPQBGa', tracepath: 'lmp',
      };
      const host = scan(args, { v: values[key] ?? '', ops: 'none' }).operands[0];
      if (host) s.net(hostOf(argText(host)), name);
      return true;
    }
    case 'dig': case 'nslookup': case 'host': case 'drill': {
      const o = scan(args, { v: 'bcfkpqtxyW', ops: 'none' });
      const types = /^(a|aaaa|any|mx|ns|txt|soa|cname|ptr|srv|caa|ds|dnskey|axfr|ixfr|in|ch|hs)$/i;
      for (const a of o.operands) {
        const v = argText(a);
        if (v.startsWith('+')) continue;
        if (v.startsWith('@')) { s.net(v.slice(1), name); continue; }
        if (key === 'dig' && types.test(v)) continue;
        s.net(v, name);
      }
      for (const x of o.opts) if (x.name === '-f') s.file(x.value, 'read', name);
      return true;
    }
    case 'socat': {
      for (const a of args) {
        const v = argText(a);
        const m = /^(tcp[46]?|udp[46]?|ssl|openssl|tcp-connect|udp-connect|sctp|dccp|proxy|socks4a?|socks5):([^:,]+)/i.exec(v);
        if (m && !/listen/i.test(m[1])) s.net(m[2], name);
        // File addresses: OPEN/GOPEN/FILE read and write the file, CREATE writes it, PIPE makes it (a named pipe).
        // A dual address (`OPEN:.env!!STDOUT`) reads one and writes the other: each half is an address.
        for (const half of v.split('!!')) {
          const f = /^(open|gopen|file|create|pipe|unix-connect|unix-client|unix-sendto|unix):([^,!]*)/i.exec(half);
          if (!f || !a.literal) continue;
          const kind = f[1].toLowerCase();
          if (kind !== 'create') s.file(literalArg(f[2]), 'read', name);
          if (kind !== 'unix-connect') s.file(literalArg(f[2]), 'write', name);
        }
        const x = /^(exec|system):(.*)$/is.exec(v);
        if (x) {
          const cmd = x[2].split(',')[0];
          if (a.literal) s.script(cmd, { ...c.env, piped: false }, c.sc.level + 1, 'socat');
          else s.unres('non-literal shell -c', c.src);
        }
      }
      return true;
    }
    case 'aria2c': case 'axel': case 'lynx': case 'links': case 'w3m': case 'elinks': {
      for (const a of scan(args, { v: 'dojixsanNkU', ops: 'none' }).operands) s.net(argText(a), name);
      return true;
    }
    case 'http': case 'https': case 'xh': case 'xhs': case 'httpie': case 'curlie': {
      // [METHOD] URL [request items]
      const ops = scan(args, { v: 'aopsvPAFjx', vl: ['--auth', '--output', '--session', '--session-read-only',
        '--verify', '--cert', '--cert-key', '--proxy', '--timeout', '--pretty', '--style', '--print', '--auth-type'],
      ops: 'none' }).operands;
      const url = ops[0] && /^[A-Z]+$/.test(argText(ops[0])) ? ops[1] : ops[0];
      if (url) s.net(argText(url), name);
      return true;
    }
    case 'npx': case 'pnpx': case 'bunx': {
      const o = scan(args, { v: 'cp', vl: ['--call', '--package'], ops: 'none' }, true);
      const call = o.opts.find((x) => x.name === '-c' || x.name === '--call');
      if (call) s.shellString(call.value, c, `${name} -c`);
      return false;
    }
    default:
      return false;
  }
}
