import { unsupportedError } from '../../../caddyfile/errors.ts';
import { durationArg, intArg, requireArg } from '../../args.ts';
import type { ActiveHealthJSON, PassiveHealthJSON, ReverseProxyJSON } from '../../../proxy/json.ts';
import { policyModule, type FallbackJSON, type SelectionPolicyJSON } from '../../../proxy/policies/index.ts';
import type { HandlerJSON, MatcherSetJSON } from '../../../config/caddy-json.ts';
import type { Helper } from '../../helper.ts';
import { parseNestedMatcherSet } from '../../matchers.ts';
import { registerHandlerDirective } from '../../registry.ts';
import type { Dispenser } from '../../../caddyfile/dispenser.ts';
import { applyHeaderOp, type HeaderOpsJSON, type ResponseMatcherJSON, type RespHeaderOpsJSON } from '../header-ops.ts';
import { parseResponseMatcher } from '../response-matcher.ts';
import { parseBytes } from '../size.ts';
import { parseUpstream } from './upstreams.ts';
import { isDigits } from '../../../util/digits.ts';
import { pushAll } from '../../../util/push-all.ts';

/**
 * `reverse_proxy` (Caddy's reverseproxy/caddyfile.go): upstreams, load balancing, active and passive health,
 * header_up/header_down, rewrite, buffers and the http transport. Durations become nanoseconds, as in Caddy's JSON.
 */

const duration = (h: Helper, text: string): number => durationArg(h, text, (t) => `bad duration value '${t}'`);
const arg = requireArg;
const int = (h: Helper, text: string, what: string): number => intArg(h, text, (t) => `bad ${what} value '${t}'`);

/** `lb_policy name [args] [{ fallback … }]` → selection_policy JSON, read through the policy registry. */
function parsePolicy(h: Helper): SelectionPolicyJSON {
  const name = arg(h);
  const module = policyModule(name);
  if (!module) {
    throw h.err(
      `getting load balancing policy module '${name}': module not registered: http.reverse_proxy.selection_policies.${name}`,
    );
  }
  const args = h.remainingArgs();
  const fields = module.parseCaddyfile({
    args,
    argErr: () => h.argErr(),
    err: (m) => h.err(m),
    int: (t, what) => int(h, t, what),
  });
  const policy: SelectionPolicyJSON & FallbackJSON = { policy: name, ...fields };
  for (const nesting = h.nesting(); h.nextBlock(nesting); ) {
    if (h.val() !== 'fallback') throw h.err(`unrecognized option '${h.val()}'`);
    policy.fallback = parsePolicy(h);
  }
  return policy;
}

function parseTransport(h: Helper, json: ReverseProxyJSON): void {
  const name = arg(h);
  if (name !== 'http')
    throw unsupportedError(
      h.token(),
      `transport ${name}`,
      'only the http transport exists at the edge, proxy to an HTTP server instead',
    );
  const t: Record<string, unknown> = { protocol: 'http', ...(json.transport ?? {}) };
  for (const nesting = h.nesting(); h.nextBlock(nesting); ) {
    const opt = h.val();
    switch (opt) {
      case 'tls':
        t.tls ??= {};
        break;
      case 'tls_insecure_skip_verify':
        t.tls = { ...((t.tls as object) ?? {}), insecure_skip_verify: true };
        break;
      case 'tls_server_name':
        t.tls = { ...((t.tls as object) ?? {}), server_name: arg(h) };
        break;
      case 'tls_except_ports':
        t.tls = { ...((t.tls as object) ?? {}), except_ports: h.remainingArgs() };
        break;
      case 'dial_timeout':
      case 'response_header_timeout':
      case 'expect_continue_timeout':
      case 'dial_fallback_delay':
        t[opt] = duration(h, arg(h));
        break;
      case 'versions':
        t.versions = h.remainingArgs();
        break;
      case 'local_address':
        t.local_address = arg(h);
        break;
      case 'compression':
        if (arg(h) === 'off') t.compression = false;
        break;
      case 'max_conns_per_host':
        t.max_conns_per_host = int(h, arg(h), opt);
        break;
      case 'keepalive':
        if (arg(h) === 'off') t.keep_alive = { enabled: false };
        break;
      default:
        // Socket-level tuning has no meaning for fetch(); accept it so existing Caddyfiles load.
        h.remainingArgs();
        for (const n = h.nesting(); h.nextBlock(n); ) h.remainingArgs();
    }
  }
  json.transport = t;
}

function headerLine(h: Helper, ops: HeaderOpsJSON, resp: RespHeaderOpsJSON | undefined): void {
  const args = h.remainingArgs();
  if (args.length < 1 || args.length > 3) throw h.argErr();
  const [field, value, replacement] = args;
  try {
    applyHeaderOp(ops, resp, field, value ?? '', replacement);
  } catch (e) {
    throw h.err((e as Error).message);
  }
}

export function parseReverseProxy(h: Helper): HandlerJSON {
  h.next(); // directive name
  const json: ReverseProxyJSON = { handler: 'reverse_proxy' };
  const upstreams: string[] = [];
  let scheme = '';
  const addUpstream = (text: string) => {
    const u = parseUpstream(text);
    if ('error' in u) throw h.err(u.error);
    if ('unsupported' in u) throw unsupportedError(h.token(), u.unsupported, u.why);
    if (scheme && u.scheme && scheme !== u.scheme)
      throw h.err(`upstream address scheme is different from others: ${text}`);
    if (u.scheme) scheme = u.scheme;
    pushAll(upstreams, u.dials);
  };
  for (const a of h.remainingArgs()) addUpstream(a);

  const lb = (): Record<string, unknown> => (json.load_balancing ??= {});
  const active = (): ActiveHealthJSON => ((json.health_checks ??= {}).active ??= {});
  const passive = (): PassiveHealthJSON => ((json.health_checks ??= {}).passive ??= {});

  const responseMatchers: Record<string, ResponseMatcherJSON> = {};
  const handleResponse: Array<Record<string, unknown>> = [];
  const handleResponseSegments: Dispenser[] = [];
  const namedMatcher = (name: string): ResponseMatcherJSON => {
    if (!name.startsWith('@')) throw h.err("must use a named response matcher, starting with '@'");
    const m = responseMatchers[name];
    if (!m) throw h.err(`no named response matcher defined with name '${name.slice(1)}'`);
    return m;
  };

  for (const nesting = h.nesting(); h.nextBlock(nesting); ) {
    const sub = h.val();
    if (sub.startsWith('@')) {
      responseMatchers[sub] = parseResponseMatcher(h.newFromNextSegment());
      continue;
    }
    switch (sub) {
      case 'to':
        for (const a of h.remainingArgs()) addUpstream(a);
        break;
      case 'lb_policy':
        lb().selection_policy = parsePolicy(h);
        break;
      case 'lb_retries':
        lb().retries = int(h, arg(h), sub);
        break;
      case 'lb_try_duration':
        lb().try_duration = duration(h, arg(h));
        break;
      case 'lb_try_interval':
        lb().try_interval = duration(h, arg(h));
        break;
      case 'lb_retry_match': {
        const set: MatcherSetJSON = parseNestedMatcherSet(h);
        ((lb().retry_match ??= []) as MatcherSetJSON[]).push(set);
        break;
      }
      case 'health_uri':
        active().uri = arg(h);
        break;
      case 'health_path':
        active().path = arg(h);
        break;
      case 'health_upstream':
        active().upstream = arg(h);
        break;
      case 'health_port':
        active().port = int(h, arg(h), sub);
        break;
      case 'health_interval':
        active().interval = duration(h, arg(h));
        break;
      case 'health_timeout':
        active().timeout = duration(h, arg(h));
        break;
      case 'health_passes':
        active().passes = int(h, arg(h), sub);
        break;
      case 'health_fails':
        active().fails = int(h, arg(h), sub);
        break;
      case 'health_method':
        active().method = arg(h);
        break;
      case 'health_request_body':
        active().body = arg(h);
        break;
      case 'health_follow_redirects':
        active().follow_redirects = true;
        break;
      case 'health_body':
        active().expect_body = arg(h);
        break;
      case 'health_status': {
        const s = arg(h);
        active().expect_status = /^[1-5]xx$/.test(s) ? Number(s[0]) : int(h, s, sub);
        break;
      }
      case 'health_headers': {
        const headers: Record<string, string[]> = {};
        for (const n = h.nesting(); h.nextBlock(n); ) {
          const key = h.val();
          const values = h.remainingArgs();
          headers[key] = [...(headers[key] ?? []), ...(values.length ? values : [''])];
        }
        active().headers = headers;
        break;
      }
      case 'fail_duration':
        passive().fail_duration = duration(h, arg(h));
        break;
      case 'max_fails':
        passive().max_fails = int(h, arg(h), sub);
        break;
      case 'unhealthy_request_count':
        passive().unhealthy_request_count = int(h, arg(h), sub);
        break;
      case 'unhealthy_status':
        passive().unhealthy_status = h
          .remainingArgs()
          .map((s) => (/^[1-5]xx$/.test(s) ? Number(s[0]) : int(h, s, sub)));
        break;
      case 'unhealthy_latency':
        passive().unhealthy_latency = duration(h, arg(h));
        break;
      case 'flush_interval': {
        const v = arg(h);
        json.flush_interval = /^-?\d+$/.test(v) ? Number(v) : duration(h, v);
        break;
      }
      case 'request_buffers':
      case 'response_buffers': {
        const v = arg(h);
        try {
          json[sub] = v === 'unlimited' ? -1 : parseBytes(v);
        } catch (e) {
          throw h.err(`bad ${sub} value '${v}': ${(e as Error).message}`);
        }
        break;
      }
      case 'stream_buffer_size': {
        const v = arg(h);
        try {
          json.stream_buffer_size = parseBytes(v);
        } catch (e) {
          throw h.err((e as Error).message);
        }
        break;
      }
      case 'stream_timeout':
      case 'stream_close_delay':
        json[sub] = duration(h, arg(h));
        break;
      case 'trusted_proxies':
        json.trusted_proxies = h
          .remainingArgs()
          .flatMap((a) =>
            a === 'private_ranges'
              ? ['192.168.0.0/16', '172.16.0.0/12', '10.0.0.0/8', '127.0.0.1/8', 'fd00::/8', '::1']
              : [a],
          );
        break;
      case 'header_up':
        headerLine(h, ((json.headers ??= {}).request ??= {}), undefined);
        break;
      case 'header_down':
        headerLine(h, ((json.headers ??= {}).response ??= {}), (json.headers.response ??= {}));
        break;
      case 'method':
        json.rewrite = { ...(json.rewrite ?? {}), method: arg(h) };
        break;
      case 'rewrite':
        json.rewrite = { ...(json.rewrite ?? {}), uri: arg(h) };
        break;
      case 'transport':
        parseTransport(h, json);
        break;
      case 'dynamic':
        throw unsupportedError(
          h.token(),
          'reverse_proxy dynamic upstreams',
          'a Worker cannot do DNS lookups, use static upstreams or a Service binding',
        );
      case 'handle_response':
        // Parsed after the block, like Caddy's FinalizeUnmarshalCaddyfile, so matchers defined later still count.
        handleResponseSegments.push(h.newFromNextSegment());
        break;
      case 'replace_status': {
        const args = h.remainingArgs();
        if (args.length !== 1 && args.length !== 2) {
          throw h.err('must have one or two arguments: an optional response matcher, and a status code');
        }
        const code = args[args.length - 1];
        const entry: Record<string, unknown> = {};
        if (args.length === 2) entry.match = namedMatcher(args[0]);
        entry.status_code = isDigits(code) ? Number(code) : code;
        if (h.nextBlock(h.nesting()))
          throw h.err("cannot define routes for 'replace_status', use 'handle_response' instead.");
        handleResponse.push(entry);
        break;
      }
      case 'verbose_logs':
        break;
      default:
        throw h.err(`unrecognized subdirective ${sub}`);
    }
  }

  for (const d of handleResponseSegments) {
    d.next(); // handle_response
    const args = d.remainingArgs();
    if (args.length > 1) {
      throw d.err(
        `too many arguments for 'handle_response': only a single response matcher name is allowed, but got: [${args.join(' ')}]`,
      );
    }
    const entry: Record<string, unknown> = {};
    if (args.length === 1) entry.match = namedMatcher(args[0]);
    const subroute = h.withTokens(d.nextSegment()).parseSegmentAsSubroute() as HandlerJSON & { routes?: unknown[] };
    entry.routes = subroute.routes;
    handleResponse.push(entry);
  }
  // Caddy moves entries without a matcher to the end, keeping the others in file order.
  if (handleResponse.length)
    json.handle_response = [...handleResponse.filter((e) => e.match), ...handleResponse.filter((e) => !e.match)];

  if (scheme === 'https')
    json.transport = { protocol: 'http', ...(json.transport ?? {}), tls: (json.transport?.tls as object) ?? {} };
  if (scheme === 'h2c') json.transport = { protocol: 'http', ...(json.transport ?? {}), versions: ['h2c', '2'] };
  if (upstreams.length) json.upstreams = upstreams.map((dial) => ({ dial }));
  return json;
}

registerHandlerDirective('reverse_proxy', parseReverseProxy);

/** `copy_response [<status>] [{ status <code> }]` inside handle_response routes. */
registerHandlerDirective('copy_response', (h) => {
  h.next();
  const json: HandlerJSON & { status_code?: number | string } = { handler: 'copy_response' };
  const args = h.remainingArgs();
  if (args.length > 1) throw h.argErr();
  if (args.length === 1) json.status_code = isDigits(args[0]) ? Number(args[0]) : args[0];
  for (const n = h.nesting(); h.nextBlock(n); ) {
    if (h.val() !== 'status') throw h.err(`unrecognized subdirective '${h.val()}'`);
    const v = arg(h);
    json.status_code = isDigits(v) ? Number(v) : v;
  }
  return json;
});

/** `copy_response_headers { include …; exclude … }` inside handle_response routes. */
registerHandlerDirective('copy_response_headers', (h) => {
  h.next();
  if (h.nextArg()) throw h.argErr();
  const json: HandlerJSON & { include?: string[]; exclude?: string[] } = { handler: 'copy_response_headers' };
  for (const n = h.nesting(); h.nextBlock(n); ) {
    const opt = h.val();
    if (opt !== 'include' && opt !== 'exclude') throw h.err(`unrecognized subdirective '${opt}'`);
    pushAll((json[opt] ??= []), h.remainingArgs());
  }
  return json;
});
