import { checkFields } from '../http/handlers/util.ts';
import { ACTIVE_HEALTH_FIELDS } from './json.ts';
import type { Env } from '../env.ts';
import { ConfigError } from '../config/errors.ts';
import { createRequestContext } from '../http/context.ts';
import { goRegexp } from '../http/handlers/regexp.ts';
import type { RequestContext, Template } from '../http/types.ts';
import { durationMs } from './passive-health.ts';
import { checkRequest, countCheck, judgeCheck, TARGET_UPSTREAM, TARGET_UPSTREAM_PLACEHOLDER } from './pool-protocol.ts';
import { sendToTarget } from './send-to-target.ts';
import type { ProxyUpstream } from './upstreams.ts';

// Active health checks without a background goroutine: a Worker has no timers between requests, so a round of
// checks starts (in waitUntil) on the first request after each interval; requests never wait for it. Until the
// first round completes every upstream counts as healthy, as in Caddy before its first check. These per-isolate
// checks run whenever the handler's UpstreamPool object cannot run them (health_upstream, service:/durable: or
// placeholder upstreams); otherwise the object runs them on its alarms (durable/upstream-pool.ts).

export interface ActiveHealth {
  readonly upstreams: readonly ProxyUpstream[];
  readonly tls: boolean;
  readonly uri: string;
  readonly hostOverride: string;
  readonly port: string;
  readonly method: string;
  readonly headers: Array<[string, Template[]]>;
  readonly body: string;
  readonly followRedirects: boolean;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly passes: number;
  readonly fails: number;
  readonly maxSize: number;
  readonly expectStatus: number;
  readonly expectBody: RegExp | undefined;
  nextAt: number;
  running: boolean;
  /** The first round while it runs: requests wait for it (bounded), as Caddy checks before its first request. */
  firstRound: Promise<void> | undefined;
}

export function compileActiveHealth(
  json: unknown,
  path: string,
  upstreams: readonly ProxyUpstream[],
  tls: boolean,
  compile: (s: string) => Template,
): ActiveHealth | undefined {
  if (json === undefined || json === null) return undefined;
  if (typeof json !== 'object' || Array.isArray(json))
    throw new ConfigError('active health checks must be an object', path);
  const rec = json as Record<string, unknown>;
  checkFields(rec, ACTIVE_HEALTH_FIELDS, path, 'active health checks');
  const str = (k: string): string => {
    const v = rec[k];
    if (v === undefined || v === null) return '';
    if (typeof v !== 'string') throw new ConfigError(`${k} must be a string`, path);
    return v;
  };
  const int = (k: string): number => {
    const v = rec[k] ?? 0;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
      throw new ConfigError(`${k} must be a non-negative integer`, path);
    return v;
  };
  const uri = str('uri') || str('path');
  const port = rec.port === undefined || rec.port === null ? '' : String(rec.port);
  // Caddy runs active checks only when a URI/path or a port is configured.
  if (!uri && !port) return undefined;
  const headers: Array<[string, Template[]]> = [];
  if (rec.headers !== undefined && rec.headers !== null) {
    if (typeof rec.headers !== 'object' || Array.isArray(rec.headers))
      throw new ConfigError('headers must be an object', path);
    for (const [name, vals] of Object.entries(rec.headers)) {
      if (!Array.isArray(vals) || !vals.every((v) => typeof v === 'string'))
        throw new ConfigError(`headers.${name} must be a list of strings`, path);
      headers.push([name, (vals as string[]).map(compile)]);
    }
  }
  const expectBody = str('expect_body');
  return {
    upstreams: upstreams.filter((u) => typeof u.target !== 'function'),
    tls,
    uri: uri.startsWith('/') || uri === '' ? uri : `/${uri}`,
    hostOverride: str('upstream'),
    port,
    method: (str('method') || 'GET').toUpperCase(),
    headers,
    body: str('body'),
    followRedirects: rec.follow_redirects === true,
    intervalMs: durationMs(rec.interval, 'interval', path) || 30_000,
    timeoutMs: durationMs(rec.timeout, 'timeout', path) || 5_000,
    passes: int('passes') || 1,
    fails: int('fails') || 1,
    maxSize: int('max_size'),
    expectStatus: int('expect_status'),
    expectBody: expectBody ? goRegexp(expectBody, path) : undefined,
    nextAt: 0,
    running: false,
    firstRound: undefined,
  };
}

/**
 * Starts a round of checks when one is due. Returns the first round while it runs (the request should wait for it,
 * bounded by firstRoundWaitMs); later rounds run in the background.
 */
export function maybeRunActiveChecks(a: ActiveHealth, ctx: RequestContext): Promise<void> | undefined {
  const now = Date.now();
  if (a.running || now < a.nextAt) return a.firstRound;
  const first = a.nextAt === 0;
  a.running = true;
  a.nextAt = now + a.intervalMs;
  // checkOne never rejects (a failed probe is a failed check).
  const round = Promise.all(a.upstreams.map((u) => checkOne(a, u, ctx)))
    .then(() => {})
    .finally(() => {
      a.running = false;
      a.firstRound = undefined;
    });
  if (ctx.exec) ctx.exec.waitUntil(round);
  if (first) a.firstRound = round;
  return a.firstRound;
}

/** How long a request waits for the first round: the check timeout, at most a second. */
export function firstRoundWaitMs(a: ActiveHealth): number {
  return Math.min(a.timeoutMs, 1000);
}

/** Runs one round now and waits for it (tests, and the first request of a fresh isolate if desired). */
export async function runActiveChecks(a: ActiveHealth, ctx: RequestContext): Promise<void> {
  a.nextAt = Date.now() + a.intervalMs;
  await Promise.all(a.upstreams.map((u) => checkOne(a, u, ctx)));
}

async function checkOne(a: ActiveHealth, up: ProxyUpstream, ctx: RequestContext): Promise<void> {
  const ok = await probe(a, up, ctx).catch(() => false);
  countCheck(up.localChecks, ok, a);
}

/**
 * The health_headers values for checks a pool object runs: placeholders resolved now, from the env only (Caddy gives
 * health checks the global replacer), except target_upstream, which stays a placeholder that the object fills in
 * for each upstream at each check. Deterministic per config and env, so every isolate names the same pool.
 */
export function poolCheckHeaders(a: ActiveHealth, env: Env): Record<string, string> {
  const ctx = createRequestContext(new Request('http://health-check.invalid/'), env);
  ctx.vars.set(TARGET_UPSTREAM, TARGET_UPSTREAM_PLACEHOLDER);
  const out: Record<string, string> = {};
  for (const [name, vals] of a.headers) out[name] = vals.map((v) => v(ctx)).join(', ');
  return out;
}

async function probe(a: ActiveHealth, up: ProxyUpstream, ctx: RequestContext): Promise<boolean> {
  if (typeof up.target === 'function') return true;
  // Resolved per upstream, as Caddy's doActiveHealthCheck does: target_upstream is the upstream's dial address (not
  // the health_upstream/health_port target). A `Host` entry sets the request's host (first value, as Caddy's
  // req.Host); fetch() always sends the URL's host, so it can only take effect where the URL host is free: service
  // and Durable Object upstreams. A TCP check goes to its address with that address as Host.
  ctx.vars.set(TARGET_UPSTREAM, up.dial);
  const headers = new Headers();
  let hostEntry: string | undefined;
  for (const [name, vals] of a.headers) {
    if (name.toLowerCase() === 'host') {
      hostEntry = vals[0]?.(ctx);
      continue;
    }
    for (const v of vals) headers.append(name, v(ctx));
  }
  ctx.vars.delete(TARGET_UPSTREAM);
  let hostport: string;
  if (up.target.kind !== 'tcp') hostport = hostEntry || ctx.url.host;
  else {
    const host = up.target.host.includes(':') ? `[${up.target.host}]` : up.target.host;
    hostport = a.hostOverride || `${host}:${a.port || up.target.port}`;
  }
  const { url, init } = checkRequest(a.tls ? 'https' : 'http', hostport, a.uri, a, headers);
  const sent = sendToTarget(up.target, ctx.env, url, init);
  if (!sent) return false;
  return (await judgeCheck(await sent, a)).ok;
}
