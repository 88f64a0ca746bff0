import type { Env } from './env.ts';
// Worker entry (thin): metrics scrape and admin API first, then the config this client is served by, then the
// route tree. Durable Object classes are exported here for wrangler.toml's bindings.
import { env as startupEnv } from 'cloudflare:workers';
import { handleAdmin, isAdminRequest } from './admin/index.ts';
import {
  configGauges,
  prepareBaseConfig,
  selectConfig,
  selectConfigNow,
  storeConfigs,
  syncedWithStore,
  isolatePools,
} from './config/active.ts';
import { AbortConnection, type CompiledConfig, type ServeOptions } from './config/compile.ts';
import type { Selected } from './config/versioned.ts';
import { isValidHost } from './http/host-syntax.ts';
import { configureFileLines } from './logging/writers.ts';
import { flushMetricsIfDue, handleScrape, isScrapeRequest } from './metrics/index.ts';
import { upstreamHealth, upstreamStatuses } from './proxy/upstream-status.ts';

export { ConfigStore } from '../durable/config-store.ts';
export { MetricsShard } from '../durable/metrics-shard.ts';
export { RateLimiter } from '../durable/rate-limiter.ts';
export { UpstreamPool } from '../durable/upstream-pool.ts';

// The config is compiled as the isolate starts, not on its first request (see prepareBaseConfig).
configureFileLines(startupEnv as unknown as Env);
prepareBaseConfig(startupEnv as unknown as Env);

export default {
  fetch(request, env, ctx): Promise<Response> {
    const vars = env as Env;
    // request.url was built from the raw Host field: one that is not host[:port] could have moved the path, so it is
    // refused before any route reads the URL. Absent (a Request made in code), the URL is the code's own.
    const host = request.headers.get('host');
    if (host !== null && !isValidHost(host)) return Promise.resolve(malformedHostResponse());
    // Parsed once: the scrape and admin checks and the route tree share it. A valid Host may still not parse
    // (`%2F` or `%00` decoded inside a host): that request is as malformed as Go's 400 says, not a 500.
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return Promise.resolve(malformedHostResponse());
    }
    if (isScrapeRequest(url, vars) || isAdminRequest(url, vars))
      return serveGatehouseRoute(request, url, vars, ctx, host);
    return serveRoutes(request, url, vars, ctx, host);
  },
} satisfies ExportedHandler;

/**
 * The metrics scrape and the admin API (each answers undefined for a request that is not its own); a request
 * neither answers goes to the route tree.
 */
async function serveGatehouseRoute(
  request: Request,
  url: URL,
  vars: Env,
  ctx: ExecutionContext,
  host: string | null,
): Promise<Response> {
  const scrape = await handleScrape(request, url, vars, {
    config: () => configGauges(vars),
    upstreams: () => upstreamHealth(isolatePools()),
  });
  if (scrape) return scrape;
  if (isAdminRequest(url, vars)) await syncedWithStore(vars, ctx);
  const admin = await handleAdmin(
    request,
    url,
    vars,
    (snapshot) => {
      const store = storeConfigs(vars);
      store?.update(snapshot);
      // A loaded or rolled-out config starts its health checks now, as Caddy's do at load.
      for (const config of store?.live(snapshot) ?? []) config.activate(vars, ctx);
    },
    () => upstreamStatuses(isolatePools()),
  );
  return admin ?? serveRoutes(request, url, vars, ctx, host);
}

/**
 * The route tree of the config this client is served by. Not an async function: with the config at hand (almost
 * always) a request costs the route tree's promise and one reaction, not suspended frames.
 */
function serveRoutes(
  request: Request,
  url: URL,
  vars: Env,
  ctx: ExecutionContext,
  host?: string | null,
): Promise<Response> {
  const connectingIp = request.headers.get('cf-connecting-ip');
  const clientKey = connectingIp ?? '';
  let selected: Selected<CompiledConfig> | undefined;
  try {
    selected = selectConfigNow(vars, clientKey, ctx);
  } catch (e) {
    return Promise.resolve(configErrorResponse(e));
  }
  // The store must be read first (a new isolate, or a long-stale snapshot).
  const opts = { url, connectingIp, host };
  if (!selected)
    return selectConfig(vars, clientKey, ctx).then((s) => serveWith(s, request, opts, vars, ctx), configErrorResponse);
  return serveWith(selected, request, opts, vars, ctx);
}

function serveWith(
  selected: Selected<CompiledConfig>,
  request: Request,
  opts: ServeOptions,
  vars: Env,
  ctx: ExecutionContext,
): Promise<Response> {
  let served: Promise<Response>;
  opts.configVersion = selected.version;
  try {
    served = selected.config.serve(request, vars, ctx, opts);
  } catch (e) {
    served = Promise.reject(e);
  }
  return served.then(
    (res) => {
      flushMetricsIfDue(vars, ctx);
      return vars.VERSION_HEADER === 'true' ? withVersion(res, selected.version) : res;
    },
    (e: unknown) => {
      if (e instanceof AbortConnection) return abortedResponse();
      throw e;
    },
  );
}

/** Go's answer to a malformed Host, which Caddy gives before its routes run. */
function malformedHostResponse(): Response {
  return new Response('400 Bad Request: malformed Host header', {
    status: 400,
    headers: { 'content-type': 'text/plain; charset=utf-8' },
  });
}

/** A broken config must be visible to the operator (in the logs), not look like an empty 200 from the gateway. */
function configErrorResponse(e: unknown): Response {
  console.error(`gatehouse: config error: ${(e as Error).message}`);
  return new Response('Gatehouse: the configuration does not load (see the Worker logs)\n', { status: 500 });
}

/** Opt-in (VERSION_HEADER = "true"): which config version served the response, for rollout debugging. */
function withVersion(res: Response, version: number): Response {
  const out = new Response(res.body, res);
  out.headers.set('X-Gatehouse-Config-Version', String(version));
  return out;
}

/**
 * `abort` drops the connection without a response. A Worker cannot reset its client connection, so the closest
 * is a response whose body fails at once: the runtime then abandons the stream instead of completing it.
 */
function abortedResponse(): Response {
  const body = new ReadableStream({
    start(controller) {
      controller.error(new Error('aborted'));
    },
  });
  return new Response(body, { status: 502 });
}
