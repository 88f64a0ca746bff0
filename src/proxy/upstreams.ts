import type { CheckCounts } from './pool-protocol.ts';
import { checkFields } from '../http/handlers/util.ts';
import { UPSTREAM_FIELDS } from './json.ts';
import { ConfigError } from '../config/errors.ts';
import type { RequestContext, Template } from '../http/types.ts';
import { currentFails, globalLoad, hostState, type PassiveHealth } from './passive-health.ts';
import type { HostState, Upstream } from './types.ts';
import { digitRange } from '../util/digits.ts';

// Upstream dial addresses. In Caddy JSON a dial is a network address (`host:port`, `[::1]:8080`, `tcp/host:port`)
// possibly with placeholders; at the edge `service:NAME` reaches a Worker service binding instead of a socket, and
// `durable:BINDING/NAME` the Durable Object named NAME of a namespace binding (NAME may hold placeholders, so
// `durable:ROOMS/{http.request.uri.path.1}` gives each room its object).

/** A dial no network can connect to: every attempt fails as a dial does, with 502 (Caddy's dial error). */
export class DialError extends Error {}

/** Networks Go's dialer knows; Caddy accepts any other word before a `/` too, and fails at dial time. */
const GO_NETWORK = /^(tcp[46]?|udp[46]?|ip[46]?(:.*)?|unix(gram|packet)?)$/;

/** The network of a dial like `node-ips:80/api/:80` when it is not one Go knows, else undefined. */
function unknownNetwork(dial: string): string | undefined {
  const slash = dial.indexOf('/');
  if (slash <= 0 || dial.startsWith('[') || dial.startsWith('service:') || dial.startsWith('durable:'))
    return undefined;
  const network = dial.slice(0, slash).toLowerCase();
  return GO_NETWORK.test(network) || network.includes('{') ? undefined : network;
}

/** Where one attempt goes, resolved per request for placeholder dials. */
export type DialTarget =
  | { kind: 'tcp'; host: string; port: string }
  | { kind: 'service'; name: string }
  | { kind: 'durable'; binding: string; name: string };

/** A configured upstream of one handler; health and fullness follow Caddy's Upstream. */
export class ProxyUpstream implements Upstream {
  readonly dial: string;
  readonly maxRequests: number;
  readonly host: HostState;
  /** Static target, or a template expanded per request (ReplaceAll) when the dial has placeholders. */
  readonly target: DialTarget | Template;
  readonly passive: PassiveHealth | undefined;
  /**
   * Down by active health (per handler, like Caddy's per-Upstream flag), for either of two reasons kept apart: this
   * isolate's own checks, and what a shared pool reports (its object's checks and the summed passive failures). A
   * pool that cannot run the handler's checks reports every upstream healthy, which must not undo a local result.
   */
  readonly localChecks: CheckCounts = { activeHealthy: true, passCount: 0, failCount: 0 };
  poolDown = false;

  /** This isolate's own active checks have the upstream down. */
  get localDown(): boolean {
    return !this.localChecks.activeHealthy;
  }

  constructor(dial: string, maxRequests: number, target: DialTarget | Template, passive: PassiveHealth | undefined) {
    this.dial = dial;
    this.maxRequests = maxRequests;
    this.host = hostState(dial);
    this.target = target;
    this.passive = passive;
  }

  healthy(): boolean {
    if (!this.localChecks.activeHealthy || this.poolDown) return false;
    if (this.passive && currentFails(this.host) >= this.passive.maxFails) return false;
    return true;
  }

  full(): boolean {
    return this.maxRequests > 0 && globalLoad(this.host) >= this.maxRequests;
  }

  available(): boolean {
    return this.healthy() && !this.full();
  }

  /** The concrete target for this request; throws a message for a dial that does not name one socket. */
  resolve(ctx: RequestContext): DialTarget {
    if (typeof this.target !== 'function') return this.target;
    const dial = this.target(ctx);
    const t = parseDial(dial);
    if (typeof t === 'string') throw new Error(`invalid dial address ${JSON.stringify(dial)}: ${t}`);
    if (t.length !== 1) throw new Error(`dial address must represent precisely one socket: ${dial}`);
    return t[0];
  }
}

/**
 * Parses a JSON dial: `service:NAME`, or `[network/]host:port[-port]` (a range expands to one target per port).
 * Returns an error message instead of throwing so callers choose compile-time or request-time handling.
 */
export function parseDial(dial: string): DialTarget[] | string {
  // The prefixes first: most dials are host:port, and each expression costs a compile the first time it runs.
  const svc = dial.startsWith('service:') ? /^service:([A-Za-z_][A-Za-z0-9_]*)$/.exec(dial) : null;
  if (svc) return [{ kind: 'service', name: svc[1] }];
  if (dial.startsWith('durable:')) {
    const obj = /^durable:([A-Za-z_][A-Za-z0-9_]*)\/(.+)$/.exec(dial);
    return obj ? [{ kind: 'durable', binding: obj[1], name: obj[2] }] : 'expected durable:BINDING/NAME';
  }
  let addr = dial;
  const slash = addr.indexOf('/');
  if (slash >= 0 && !addr.startsWith('[')) {
    const network = addr.slice(0, slash).toLowerCase();
    if (network.startsWith('unix')) return 'unix sockets are not available in a Worker';
    if (!['tcp', 'tcp4', 'tcp6'].includes(network)) return `unsupported network "${network}"`;
    addr = addr.slice(slash + 1);
  }
  // `[v6]:port` or `host:port` (no brackets or colons in the host), the port maybe a range.
  let host: string;
  let portSpec: string;
  if (addr.startsWith('[')) {
    const close = addr.indexOf(']');
    if (close < 2 || addr[close + 1] !== ':') return 'expected host:port';
    host = addr.slice(1, close);
    portSpec = addr.slice(close + 2);
  } else {
    const colon = addr.indexOf(':');
    if (colon < 0) return 'expected host:port';
    host = addr.slice(0, colon);
    portSpec = addr.slice(colon + 1);
    if (host.includes('[') || host.includes(']')) return 'expected host:port';
  }
  const range = digitRange(portSpec);
  if (!range) return 'expected host:port';
  // Go dials the local system when the host is empty (`:8080`), so Caddy's adapter leaves such dials as written.
  if (host === '') host = 'localhost';
  const { from, to } = range;
  if (from > 65535 || to > 65535 || to < from) return 'invalid port';
  const out: DialTarget[] = [];
  for (let p = from; p <= to; p++) out.push({ kind: 'tcp', host, port: String(p) });
  return out;
}

/** Formats a target back into a dial string (`host:port`, brackets for IPv6). */
export function dialString(t: DialTarget): string {
  if (t.kind === 'service') return `service:${t.name}`;
  if (t.kind === 'durable') return `durable:${t.binding}/${t.name}`;
  return `${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}`;
}

/**
 * Builds the handler's upstream list from JSON `upstreams`. Port ranges become one upstream per port (Caddy's
 * adapter does this too); dials with placeholders are kept as one templated upstream.
 */
export function compileUpstreams(
  json: unknown,
  path: string,
  passive: PassiveHealth | undefined,
  compileTemplate: (s: string) => Template,
): ProxyUpstream[] {
  if (json === undefined || json === null) return [];
  if (!Array.isArray(json)) throw new ConfigError('upstreams must be a list', path);
  const out: ProxyUpstream[] = [];
  json.forEach((u: unknown, i: number) => {
    const where = `${path}.upstreams[${i}]`;
    if (typeof u !== 'object' || u === null || Array.isArray(u))
      throw new ConfigError('upstream must be an object', where);
    const rec = u as Record<string, unknown>;
    checkFields(rec, UPSTREAM_FIELDS, where, 'upstream');
    const dial = rec.dial;
    if (typeof dial !== 'string' || dial === '') throw new ConfigError('upstream dial address is required', where);
    const maxReq = rec.max_requests ?? 0;
    if (typeof maxReq !== 'number' || !Number.isInteger(maxReq) || maxReq < 0) {
      throw new ConfigError('max_requests must be a non-negative integer', where);
    }
    // unhealthy_request_count fills max_requests when the upstream has none.
    const maxRequests = maxReq || passive?.unhealthyRequestCount || 0;
    if (dial.includes('{')) {
      out.push(new ProxyUpstream(dial, maxRequests, compileTemplate(dial), passive));
      return;
    }
    const network = unknownNetwork(dial);
    if (network !== undefined) {
      const failure = `dial ${network}: unknown network ${network}`;
      out.push(
        new ProxyUpstream(
          dial,
          maxRequests,
          () => {
            throw new DialError(failure);
          },
          passive,
        ),
      );
      return;
    }
    const targets = parseDial(dial);
    if (typeof targets === 'string')
      throw new ConfigError(`invalid dial address ${JSON.stringify(dial)}: ${targets}`, where);
    if (targets.length === 1) out.push(new ProxyUpstream(dial, maxRequests, targets[0], passive));
    else for (const t of targets) out.push(new ProxyUpstream(dialString(t), maxRequests, t, passive));
  });
  return out;
}

/**
 * Caddyfile upstream forms (`parseUpstreamDialAddress`): `host[:port]`, `http(s)://host[:port]`, `h2c://…`, port
 * ranges, placeholders (scheme-less only), `service:NAME`. Returns the dial strings and the scheme ('' when none);
 * for the adapter.
 */
export function parseUpstreamAddress(text: string): { dials: string[]; scheme: '' | 'http' | 'https' | 'h2c' } {
  if (/^service:/.test(text)) {
    const t = parseDial(text);
    if (typeof t === 'string') throw new Error(t);
    return { dials: [text], scheme: '' };
  }
  const sm = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(text);
  let scheme: '' | 'http' | 'https' | 'h2c' = '';
  let rest = text;
  if (sm) {
    const s = sm[1].toLowerCase();
    if (s === 'ws' || s === 'wss')
      throw new Error('ws:// and wss:// schemes are not supported: use http:// or https:// instead');
    if (s !== 'http' && s !== 'https' && s !== 'h2c') throw new Error(`unsupported URL scheme ${s}://`);
    scheme = s;
    rest = text.slice(sm[0].length);
    if (/[/?#]/.test(rest))
      throw new Error(`for now, URLs for proxy upstreams only support scheme, host, and port components`);
    if (rest.includes('{')) throw new Error('placeholders in upstream addresses are only supported without a scheme');
  }
  if (rest.includes('{')) {
    return { dials: [rest], scheme };
  }
  const hasPort = /^\[[^\]]+\]:|^[^:[\]]*:/.test(rest);
  if (!hasPort) rest += `:${scheme === 'https' ? 443 : 80}`;
  const port = rest.slice(rest.lastIndexOf(':') + 1);
  if ((scheme === 'http' || scheme === 'h2c') && port === '443')
    throw new Error(`upstream address has conflicting scheme (${scheme}://) and port (:443, the HTTPS port)`);
  if (scheme === 'https' && port === '80')
    throw new Error('upstream address has conflicting scheme (https://) and port (:80, the HTTP port)');
  const targets = parseDial(rest);
  if (typeof targets === 'string') throw new Error(`invalid upstream address ${text}: ${targets}`);
  return { dials: targets.map(dialString), scheme };
}
