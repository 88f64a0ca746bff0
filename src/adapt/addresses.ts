/**
 * Site addresses (Caddy's httpcaddyfile.Address): `[scheme://]host[:port][/path]`, where host may be a wildcard,
 * a placeholder or a bracketed IPv6 literal, and every part is optional.
 */
export interface Address {
  original: string;
  scheme: string;
  host: string;
  port: string;
  path: string;
}

/** Go's net.SplitHostPort, enough for site keys: returns undefined where Go returns an error. */
export function splitHostPort(s: string): { host: string; port: string } | undefined {
  const i = s.lastIndexOf(':');
  if (i < 0) return undefined;
  if (s.startsWith('[')) {
    const end = s.indexOf(']');
    if (end < 0 || end + 1 !== i) return undefined;
    const host = s.slice(1, end);
    if (host.includes('[') || host.includes(']')) return undefined;
    return { host, port: s.slice(i + 1) };
  }
  const host = s.slice(0, i);
  if (host.includes(':') || host.includes('[') || host.includes(']')) return undefined; // too many colons
  if (s.slice(i + 1).includes('[') || s.slice(i + 1).includes(']')) return undefined;
  return { host, port: s.slice(i + 1) };
}

/** Parses a site key; errors are Caddy's messages (the caller adds context). */
export function parseAddress(str: string): Address {
  let remaining = str.slice(0, 4096).trim();
  const a: Address = { original: remaining, scheme: '', host: '', port: '', path: '' };
  const s = remaining.indexOf('://');
  if (s >= 0) {
    a.scheme = remaining.slice(0, s);
    remaining = remaining.slice(s + 3);
  }
  const slash = remaining.indexOf('/');
  const hostPart = slash >= 0 ? remaining.slice(0, slash) : remaining;
  const hp = splitHostPort(hostPart) ?? splitHostPort(`${hostPart}:`);
  if (hp) {
    a.host = hp.host;
    a.port = hp.port;
  } else {
    a.host = hostPart;
  }
  if (slash >= 0) a.path = `/${remaining.slice(slash + 1)}`;
  if (a.port !== '') {
    if (!/^[+-]?\d+$/.test(a.port)) {
      throw new Error(`invalid port '${a.port}': strconv.Atoi: parsing ${JSON.stringify(a.port)}: invalid syntax`);
    }
    const n = Number(a.port);
    if (n < 0 || n > 65535) throw new Error(`port ${n} is out of range`);
  }
  return a;
}

/** Lower-cases outside `{placeholders}` (hostnames are case-insensitive; placeholder names are not). */
export function lowerExceptPlaceholders(s: string): string {
  let out = '';
  let escaped = false;
  let inPh = false;
  for (const ch of s) {
    if (ch === '\\' && !escaped) {
      escaped = true;
      out += ch;
      continue;
    }
    if (ch === '{' && !escaped) inPh = true;
    if (ch === '}' && inPh && !escaped) inPh = false;
    out += inPh ? ch : ch.toLowerCase();
    escaped = false;
  }
  return out;
}

/** Caddy's Address.Normalize: lower-case scheme and host, canonical IPv6 text. */
export function normalizeAddress(a: Address): Address {
  let host = a.host.trim();
  if (host.includes(':') && /^[0-9a-fA-F:.]+$/.test(host)) host = canonicalIPv6(host) ?? host;
  return { ...a, scheme: lowerExceptPlaceholders(a.scheme), host: lowerExceptPlaceholders(host) };
}

/** RFC 5952 text of an IPv6 address, or undefined when it is not one. */
function canonicalIPv6(s: string): string | undefined {
  try {
    const u = new URL(`http://[${s}]/`);
    const h = u.hostname.slice(1, -1);
    if (/^::ffff:/i.test(h) || /^[\d.]+$/.test(s)) return undefined;
    return h;
  } catch {
    return undefined;
  }
}

/** Caddy's Address.String (used in errors and as a key). */
export function addressString(a: Address): string {
  if (a.host === '' && a.port === '') return '';
  const scheme = a.scheme || (a.port === '443' ? 'https' : 'http');
  let s = `${scheme}://`;
  if (a.port !== '' && ((scheme === 'https' && a.port !== '443') || (scheme === 'http' && a.port !== '80'))) {
    s += joinHostPort(a.host, a.port);
  } else {
    s += a.host;
  }
  return s + a.path;
}

export function joinHostPort(host: string, port: string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Caddy's specificity: length minus wildcards and placeholders (for ordering site blocks). */
export function specificity(s: string): number {
  let l = s.length - (s.match(/\*/g)?.length ?? 0);
  let rest = s;
  while (rest.length > 0) {
    const start = rest.indexOf('{');
    if (start < 0) return l;
    const close = rest.indexOf('}', start);
    if (close < 0) return l;
    const end = close + 1;
    l -= end - start;
    rest = rest.slice(end);
  }
  return l;
}
