import { canonicalHeaderKey } from '../util/go-header-key.ts';
import { splitHostPort } from '../http/placeholders/request.ts';
import type { RequestContext } from '../http/types.ts';

// Caddy's LoggableHTTPRequest and LoggableHTTPHeader: the request's address, proto, method, host, URI and header
// map (Go-canonical names, each a list of values), with client_ip after remote_port (Caddy 2.7+). Credentials are
// logged as ["REDACTED"] (Caddy 2.7+; 2.6 wrote empty lists) unless the server says should_log_credentials.

const CREDENTIAL_FIELDS = new Set(['cookie', 'set-cookie', 'authorization', 'proxy-authorization']);

const REDACTED = ['REDACTED'];

/** The client's address after trusted_proxies (the `client_ip` var), else the peer's, as Caddy's ClientIPVarKey. */
function clientIp(ctx: RequestContext): string {
  const v = ctx.vars.get('client_ip');
  return typeof v === 'string' ? v : ctx.remoteIp;
}

/** The part of request.cf a log entry reads. */
export type CfProperties = Record<string, unknown>;

export function loggableRequest(
  request: Request,
  cf: CfProperties | undefined,
  ctx: RequestContext,
  host: string,
  logCredentials: boolean,
): Record<string, unknown> {
  const url = ctx.originalUrl;
  const out: Record<string, unknown> = {
    remote_ip: ctx.remoteIp,
    remote_port: ctx.remotePort,
    client_ip: clientIp(ctx),
    proto: typeof cf?.httpProtocol === 'string' ? cf.httpProtocol : 'HTTP/1.1',
    method: ctx.originalMethod,
    host,
    uri: url.pathname + url.search,
    headers: loggableHeaders(request.headers, logCredentials, true),
  };
  const tls = cf && loggableTls(cf, host);
  if (tls) out.tls = tls;
  return out;
}

/** The header map; `dropHost`: Go keeps the request's Host apart from its header map. */
export function loggableHeaders(headers: Headers, logCredentials: boolean, dropHost = false): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, value] of headers) {
    if (dropHost && name === 'host') continue;
    const key = canonicalHeaderKey(name);
    if (!logCredentials && CREDENTIAL_FIELDS.has(name)) {
      out[key] = REDACTED;
      continue;
    }
    (out[key] ??= []).push(value);
  }
  return out;
}

const TLS_VERSIONS: Record<string, number> = { TLSv1: 0x0301, 'TLSv1.1': 0x0302, 'TLSv1.2': 0x0303, 'TLSv1.3': 0x0304 };
const CIPHER_SUITES: Record<string, number> = {
  AEAD_AES_128_GCM_SHA256: 0x1301,
  AEAD_AES_256_GCM_SHA384: 0x1302,
  AEAD_CHACHA20_POLY1305_SHA256: 0x1303,
  'ECDHE-ECDSA-AES128-GCM-SHA256': 0xc02b,
  'ECDHE-RSA-AES128-GCM-SHA256': 0xc02f,
  'ECDHE-ECDSA-AES256-GCM-SHA384': 0xc02c,
  'ECDHE-RSA-AES256-GCM-SHA384': 0xc030,
  'ECDHE-ECDSA-CHACHA20-POLY1305': 0xcca9,
  'ECDHE-RSA-CHACHA20-POLY1305': 0xcca8,
};

/** Caddy's tls object from what Cloudflare reports of the client's TLS connection (absent over plain HTTP). */
function loggableTls(cf: Record<string, unknown>, host: string): Record<string, unknown> | undefined {
  const version = typeof cf.tlsVersion === 'string' ? TLS_VERSIONS[cf.tlsVersion] : undefined;
  if (version === undefined) return undefined;
  const cipher = typeof cf.tlsCipher === 'string' ? (CIPHER_SUITES[cf.tlsCipher] ?? 0) : 0;
  const proto = cf.httpProtocol === 'HTTP/2' ? 'h2' : cf.httpProtocol === 'HTTP/3' ? 'h3' : 'http/1.1';
  return { resumed: false, version, cipher_suite: cipher, proto, server_name: splitHostPort(host)[0] };
}
