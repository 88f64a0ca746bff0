// Worker entry (thin): metrics scrape and admin API first, then the config this client is served by, then the
// route tree. Durable Object classes are exported here for wrangler.toml's bindings.
import { env as startupEnv } from 'cloudflare:workers';
import { handleAdmin, isAdminRequest } from './admin/index.ts';
import { configGauges, prepareBaseConfig, selectConfig, selectConfigNow, storeConfigs } from './config/active.ts';
import { AbortConnection } from './config/compile.ts';
import { flushMetricsIfDue, handleScrape, isScrapeRequest } from './metrics/index.ts';
import { upstreamHealth } from './proxy/upstream-status.ts';

export { ConfigStore } from '../durable/config-store.ts';
export { MetricsShard } from '../durable/metrics-shard.ts';
export { RateLimiter } from '../durable/rate-limiter.ts';
export { UpstreamPool } from '../durable/upstream-pool.ts';

// The config is compiled as the isolate starts, not on its first request (see prepareBaseConfig).
prepareBaseConfig(startupEnv as unknown as Record<string, unknown>);

export default {
  async fetch(request, env, ctx): Promise<Response> {
    const vars = env as Record<string, unknown>;
    // Parsed once: the scrape and admin checks and the route tree share it.
    const url = new URL(request.url);
    if (isScrapeRequest(url, vars)) {
      const scrape = await handleScrape(request, url, vars, { config: () => configGauges(vars), upstreams: upstreamHealth });
      if (scrape) return scrape;
    }
    if (isAdminRequest(url, vars)) {
      const admin = await handleAdmin(request, url, vars, (snapshot) => {
        const store = storeConfigs(vars);
        store?.update(snapshot);
        // A loaded or rolled-out config starts its health checks now, as Caddy's do at load.
        for (const config of store?.live(snapshot) ?? []) config.activate(vars, ctx);
      });
      if (admin) return admin;
    }

    const clientKey = request.headers.get('CF-Connecting-IP') ?? '';
    let selected;
    try {
      // Without a promise when the config is at hand (almost always); awaited when the store must be read first.
      selected = selectConfigNow(vars, clientKey, ctx) ?? (await selectConfig(vars, clientKey, ctx));
    } catch (e) {
      // A broken config must be visible to the operator (in the logs), not look like an empty 200 from the gateway.
      console.error(`gatehouse: config error: ${(e as Error).message}`);
      return new Response('Gatehouse: the configuration does not load (see the Worker logs)\n', { status: 500 });
    }
    try {
      const res = await selected.config.serve(request, vars, ctx, { url });
      flushMetricsIfDue(vars, ctx);
      return vars.VERSION_HEADER === 'true' ? withVersion(res, selected.version) : res;
    } catch (e) {
      if (e instanceof AbortConnection) return abortedResponse();
      throw e;
    }
  },
} satisfies ExportedHandler;

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
