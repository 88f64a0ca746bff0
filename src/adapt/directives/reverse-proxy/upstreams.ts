/**
 * A reverse_proxy upstream address as written in a Caddyfile → Caddy JSON dial addresses (Caddy's
 * parseUpstreamDialAddress): `host:port`, `host` (port 80), `http://host[:port]`, `https://host[:port]` (443),
 * `h2c://…`, port ranges `host:8001-8003` (one upstream per port) and placeholders. Without a scheme, whatever
 * precedes the first `/` is the network (`tcp/host:port`), as in Caddy, even when it is not one.
 */
export function parseUpstream(
  text: string,
): { scheme: string; dials: string[] } | { error: string } | { unsupported: string; why: string } {
  let scheme = '';
  let rest = text;
  let network = '';
  const sep = text.indexOf('://');
  const slash = text.indexOf('/');
  if (sep < 0 && slash >= 0) {
    network = text.slice(0, slash).toLowerCase();
    if (/^(unix(gram|packet)?|unix\+h2c|udp[46]?|ip[46]?(:.*)?)$/.test(network)) {
      return {
        unsupported: `${network} upstream ${text}`,
        why: 'a Worker can only open TCP connections, proxy over TCP',
      };
    }
    rest = text.slice(slash + 1);
  }
  const prefix = network ? `${text.slice(0, slash)}/` : '';
  if (sep >= 0) {
    scheme = text.slice(0, sep).toLowerCase();
    if (!['http', 'https', 'h2c'].includes(scheme)) return { error: `unsupported URL scheme ${scheme}://` };
    rest = text.slice(sep + 3);
    const slash = rest.indexOf('/');
    if (slash >= 0) {
      if (rest.slice(slash) !== '/' && rest.slice(slash) !== '') {
        return { error: `for now, URLs for proxy upstreams only support scheme, host, and port components` };
      }
      rest = rest.slice(0, slash);
    }
  }
  let host = rest;
  let port = '';
  const m = /^(\[[^\]]*\]|.*?)(?::([^:\]]*))?$/.exec(rest);
  if (m && (m[2] !== undefined || rest.startsWith('['))) {
    host = m[1];
    port = m[2] ?? '';
  }
  if (rest.split(':').length > 2 && !rest.startsWith('[')) {
    host = rest; // a bare IPv6 address without brackets
    port = '';
  }
  // A placeholder host without a port may expand to host:port at request time: leave it alone, as Caddy does.
  if (port === '' && host.includes('{') && !scheme) return { scheme, dials: [prefix + host] };
  if (port === '') port = scheme === 'https' ? '443' : '80';
  const range = /^(\d+)-(\d+)$/.exec(port);
  if (range) {
    const from = Number(range[1]);
    const to = Number(range[2]);
    if (to < from) return { error: `invalid port range: ${port}` };
    const dials: string[] = [];
    for (let p = from; p <= to; p++) dials.push(`${prefix}${host}:${p}`);
    return { scheme, dials };
  }
  return { scheme, dials: [`${prefix}${host}:${port}`] };
}
