import { checkFields } from '../http/handlers/util.ts';
import { ConfigError } from '../config/errors.ts';
import { durationMs } from './passive-health.ts';

// The `http` transport as far as fetch() can honour it. Socket-level options (buffers, keep-alive, dial fallback,
// HTTP versions, proxy protocol, client certificates) are accepted and ignored: the Workers runtime owns the
// connections. What matters here: TLS on or off (https upstreams), the dial timeout and the response-header timeout.

/** Caddy's dial timeout when `dial_timeout` is unset or zero (httptransport.go: "a relatively short default"). */
export const DEFAULT_DIAL_TIMEOUT_MS = 3000;

export interface Transport {
  readonly tls: boolean;
  /** Ports for which TLS stays off even when `tls` is set (tls.except_ports). */
  readonly tlsExceptPorts: readonly string[];
  /** 0 = wait as long as it takes. */
  readonly responseHeaderTimeoutMs: number;
  /**
   * How long a tcp attempt may go without response headers before a connect probe decides whether it is a dial
   * failure (round-trip.ts). Caddy turns an unset or zero dial_timeout into 3 s; a negative one is Go's dialer with
   * a deadline in the past: every dial fails at once.
   */
  readonly dialTimeoutMs: number;
}

const HTTP_FIELDS = [
  'protocol',
  'resolver',
  'tls',
  'keep_alive',
  'compression',
  'max_conns_per_host',
  'proxy_protocol',
  'forward_proxy_url',
  'network_proxy',
  'dial_timeout',
  'dial_fallback_delay',
  'response_header_timeout',
  'expect_continue_timeout',
  'max_response_header_size',
  'write_buffer_size',
  'read_buffer_size',
  'read_timeout',
  'write_timeout',
  'versions',
  'local_address',
];

export function compileTransport(json: unknown, path: string): Transport {
  if (json === undefined || json === null)
    return { tls: false, tlsExceptPorts: [], responseHeaderTimeoutMs: 0, dialTimeoutMs: DEFAULT_DIAL_TIMEOUT_MS };
  if (typeof json !== 'object' || Array.isArray(json)) throw new ConfigError('transport must be an object', path);
  const rec = json as Record<string, unknown>;
  if (rec.protocol !== 'http')
    throw new ConfigError(`transport ${JSON.stringify(rec.protocol)} is not supported (only http)`, path);
  checkFields(rec, HTTP_FIELDS, path, 'http transport');
  const tls = rec.tls !== undefined && rec.tls !== null;
  const tlsRec = (tls ? rec.tls : {}) as Record<string, unknown>;
  const except = tlsRec.except_ports ?? [];
  if (!Array.isArray(except) || !except.every((p) => typeof p === 'string'))
    throw new ConfigError('tls.except_ports must be a list of strings', path);
  return {
    tls,
    tlsExceptPorts: except as string[],
    responseHeaderTimeoutMs: durationMs(rec.response_header_timeout, 'response_header_timeout', path),
    dialTimeoutMs: durationMs(rec.dial_timeout, 'dial_timeout', path) || DEFAULT_DIAL_TIMEOUT_MS,
  };
}
