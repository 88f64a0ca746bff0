/**
 * The header fields the front sends to workerd and back to the client, as raw [name, value, …] lists so that field
 * case and order survive. Only fields about the connection itself are dropped (each hop has its own); the Worker
 * sees everything else the client sent, as Caddy's handlers do.
 */

/** Fields that describe one connection (RFC 9110 7.6.1); Node frames the body of each side itself. */
const connectionFields = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);

/**
 * The request fields for workerd: Host as checked (the authority of an absolute-form target wins), no
 * client-sent CF-Connecting-IP, and CF-Connecting-IP set to the socket's peer, which the Worker reads as the
 * client address (as it does behind Cloudflare). An upgrade keeps its Connection and Upgrade fields.
 */
export function requestHeadersForWorkerd(rawHeaders: string[], host: string, peer: string, upgrade: boolean): string[] {
  const out: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i];
    const lower = name.toLowerCase();
    if (lower === 'host') {
      out.push(name, host);
      continue;
    }
    if (lower === 'cf-connecting-ip') continue;
    // Transfer-Encoding stays: Node's client then chunks the body it streams, as the client did.
    if (
      lower !== 'transfer-encoding' &&
      connectionFields.has(lower) &&
      !(upgrade && (lower === 'connection' || lower === 'upgrade'))
    )
      continue;
    out.push(name, rawHeaders[i + 1]);
  }
  out.push('CF-Connecting-IP', peer);
  return out;
}

/** The response fields for the client, without workerd's connection fields (Node frames the body for this client). */
export function responseHeadersForClient(rawHeaders: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (!connectionFields.has(rawHeaders[i].toLowerCase())) out.push(rawHeaders[i], rawHeaders[i + 1]);
  }
  return out;
}

/** The socket's peer as the Worker should see it: an IPv4 client of a dual-stack socket is written as IPv4. */
export function peerAddress(remoteAddress: string): string {
  return remoteAddress.startsWith('::ffff:') && remoteAddress.includes('.') ? remoteAddress.slice(7) : remoteAddress;
}
