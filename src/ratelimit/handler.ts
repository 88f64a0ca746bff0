import type { HandlerJSON, MatcherSetJSON } from '../config/caddy-json.ts';
import { ConfigError } from '../config/errors.ts';
import { compileMatcherSets } from '../http/matchers/index.ts';
import { compileTemplate } from '../http/placeholders/index.ts';
import { HandlerError, type Handler, type Matcher, type RequestContext, type Template } from '../http/types.ts';
import { durationMs } from '../util/duration.ts';
import { responseHeaderMap } from '../http/handlers/response.ts';
import type { HandlerModule } from '../http/handlers/types.ts';
import { METRICS } from '../metrics/catalog.ts';
import { countDurableObjectError, metricsRecorder } from '../metrics/index.ts';
import { maskKey } from './key-prefix.ts';
import { LeaseHolder, LimiterUnavailable, leaseLimit, type Decision, type Limit } from './lease.ts';

/**
 * The `rate_limit` handler (caddy-ratelimit semantics) with exact limits across isolates: each
 * (zone, key) is one RateLimiter Durable Object. Requests no zone matches never leave the isolate; a busy key far
 * from its limit is served from leases (one object call per batch, src/ratelimit/lease.ts); a key known to be over
 * its limit is answered from this isolate's deny cache until its window frees up.
 */

interface ZoneJSON {
  match?: MatcherSetJSON[];
  key?: string;
  window?: number | string;
  max_events?: number;
  ipv4_prefix?: number;
  ipv6_prefix?: number;
  /** Gatehouse: what to do when the limiter object cannot be reached ("open" lets requests through). */
  fail_mode?: 'open' | 'closed';
  /** Gatehouse: false = no leases, every request decided by the limiter object (`lease off`). */
  lease?: boolean;
}

interface RateLimitJSON extends HandlerJSON {
  rate_limits?: Record<string, ZoneJSON>;
  jitter?: number;
  /** Gatehouse: add the IETF RateLimit-Limit/-Remaining/-Reset headers to responses of limited routes. */
  ratelimit_headers?: boolean;
}

interface Zone {
  name: string;
  match: Matcher;
  key: Template;
  windowMs: number;
  maxEvents: number;
  ipv4Prefix?: number;
  ipv6Prefix?: number;
  failOpen: boolean;
  limit: Limit;
}

/** This isolate's leases and deny cache, for every zone and key. */
const holder = new LeaseHolder({
  onReleaseError: (e) =>
    console.error(`gatehouse: rate_limit: giving back unused slots failed (they free with the window): ${String(e)}`),
});

export function compileRateLimit(json: HandlerJSON): Handler {
  const config = json as RateLimitJSON;
  const zones = compileZones(config.rate_limits ?? {});
  const jitter = config.jitter ?? 0;
  if (!(jitter >= 0)) throw new ConfigError('rate_limit: jitter must be a non-negative fraction');
  const ietfHeaders = config.ratelimit_headers === true;

  return async (ctx, next) => {
    let tightest: { zone: Zone; result: Decision } | undefined;
    for (const zone of zones) {
      if (!zone.match(ctx)) continue;
      const key = maskKey(zone.key(ctx), zone.ipv4Prefix, zone.ipv6Prefix);
      const pending = hitZone(ctx, zone, key);
      const result = pending instanceof Promise ? await pending : pending;
      metricsRecorder(ctx.env).inc(result.allowed ? METRICS.rateLimitAllowed : METRICS.rateLimitDenied, {
        zone: zone.name,
      });
      if (!result.allowed) deny(ctx, zone, result.waitMs, jitter);
      if (!tightest || result.remaining < tightest.result.remaining) tightest = { zone, result };
    }
    const response = await next(ctx);
    if (!ietfHeaders || !tightest) return response;
    return withRateLimitHeaders(response, tightest.zone, tightest.result);
  };
}

/** Caddy evaluates the most permissive zone (highest events per window) first. */
function compileZones(json: Record<string, ZoneJSON>): Zone[] {
  const zones: Zone[] = [];
  for (const [name, z] of Object.entries(json)) {
    const windowMs = durationMs(z.window);
    if (windowMs === undefined || windowMs <= 0)
      throw new ConfigError(`rate_limit zone ${name}: window must be a positive duration`);
    if (!Number.isInteger(z.max_events) || (z.max_events ?? 0) <= 0) {
      throw new ConfigError(`rate_limit zone ${name}: max_events must be a positive integer`);
    }
    zones.push({
      name,
      match: compileMatcherSets(z.match),
      key: compileTemplate(z.key ?? ''),
      windowMs,
      maxEvents: z.max_events!,
      ipv4Prefix: z.ipv4_prefix,
      ipv6Prefix: z.ipv6_prefix,
      failOpen: z.fail_mode !== 'closed',
      limit: leaseLimit(z.max_events!, windowMs, z.lease !== false),
    });
  }
  return zones.sort((a, b) => b.maxEvents / b.windowMs - a.maxEvents / a.windowMs);
}

/** A lease or the deny cache answers without a promise; only a call to the limiter object is awaited. */
function hitZone(ctx: RequestContext, zone: Zone, key: string): Decision | Promise<Decision> {
  const id = `${zone.name}\n${key}`;
  const ns = ctx.env.RATE_LIMITER;
  if (!ns) return unavailable(ctx, zone, new LimiterUnavailable('the RATE_LIMITER Durable Object binding is missing'));
  let d: Decision | Promise<Decision>;
  try {
    d = holder.take(id, zone.limit, ns, ctx.exec);
  } catch (e) {
    return unavailable(ctx, zone, e);
  }
  return d instanceof Promise ? d.catch((e: unknown) => unavailable(ctx, zone, e)) : d;
}

/**
 * The limiter is unreachable: the zone's fail mode decides; either way it is logged (without the key's value) and
 * counted, once per failed call however many requests shared it.
 */
function unavailable(ctx: RequestContext, zone: Zone, e: unknown): Decision {
  const err = e instanceof LimiterUnavailable ? e : new LimiterUnavailable(e);
  if (!err.reported) {
    err.reported = true;
    console.error(
      `gatehouse: rate_limit zone ${zone.name}: limiter unavailable, failing ${zone.failOpen ? 'open' : 'closed'}: ${err.message}`,
    );
    countDurableObjectError(ctx.env, 'RateLimiter');
  }
  ctx.vars.set('gatehouse.rate_limit.unavailable', zone.name);
  const now = Date.now();
  return zone.failOpen
    ? { allowed: true, waitMs: 0, remaining: zone.maxEvents, resetAt: now, usedAt: now }
    : { allowed: false, waitMs: zone.windowMs, remaining: 0, resetAt: now + zone.windowMs, usedAt: now };
}

/** The plugin answers with a 429 handler error and Retry-After (seconds, rounded to nearest, plus jitter). */
function deny(ctx: RequestContext, zone: Zone, waitMs: number, jitter: number): never {
  const wait = waitMs + (jitter > 0 ? Math.random() * waitMs * jitter : 0);
  // The plugin prints seconds + 0.5 with no decimals: effectively rounded up.
  const retryAfter = Math.max(0, Math.round(wait / 1000 + 0.5));
  ctx.vars.set('http.rate_limit.exceeded.name', zone.name);
  // Like the plugin, the header goes on the response being written, so the error response (or handle_errors) keeps it.
  responseHeaderMap(ctx).set('Retry-After', String(retryAfter));
  throw new HandlerError(429, `rate limit exceeded for zone ${zone.name}`);
}

function withRateLimitHeaders(res: Response, zone: Zone, result: Decision): Response {
  const out = new Response(res.body, res);
  out.headers.set('RateLimit-Limit', String(zone.maxEvents));
  out.headers.set('RateLimit-Remaining', String(result.remaining));
  out.headers.set('RateLimit-Reset', String(Math.max(0, Math.ceil((result.resetAt - Date.now()) / 1000))));
  return out;
}

export const rateLimitHandler: HandlerModule = { name: 'rate_limit', compile: (json) => compileRateLimit(json) };
