/**
 * A reverse_proxy upstream address as written in a Caddyfile → Caddy JSON dial addresses (Caddy's
 * parseUpstreamDialAddress): `host:port`, `host` (port 80), `http://host[:port]`, `https://host[:port]` (443),
 * `h2c://…`, port ranges `host:8001-8003` (one upstream per port) and placeholders.
 */
export function parseUpstream(text: string): { scheme: string; dials: string[] } | { error: string } {
  // Unix sockets have no port; `unix+h2c//path` is the h2c shorthand for one.
  if (text.startsWith('unix/')) return { scheme: '', dials: [text] };
  if (text.startsWith('unix+h2c/')) return { scheme: 'h2c', dials: [`unix/${text.slice('unix+h2c/'.length)}`] };
  let scheme = '';
  let rest = text;
  const sep = text.indexOf('://');
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
  if (port === '' && host.includes('{') && !scheme) return { scheme, dials: [host] };
  if (port === '') port = scheme === 'https' ? '443' : '80';
  const range = /^(\d+)-(\d+)$/.exec(port);
  if (range) {
    const from = Number(range[1]);
    const to = Number(range[2]);
    if (to < from) return { error: `invalid port range: ${port}` };
    const dials: string[] = [];
    for (let p = from; p <= to; p++) dials.push(`${host}:${p}`);
    return { scheme, dials };
  }
  return { scheme, dials: [`${host}:${port}`] };
}
