import { ConfigError } from '../../config/errors.ts';
import { serveScrape } from '../../metrics/index.ts';
import { upstreamHealth } from '../../proxy/upstream-status.ts';
import { HandlerError } from '../types.ts';
import { errorId } from './errors.ts';
import type { HandlerCompiler, HandlerModule } from './types.ts';
import { checkHandler, optBool } from './util.ts';

/**
 * Caddy's `metrics` handler: the Prometheus exposition at whatever route the Caddyfile gives it, with no token of
 * its own (access is what the routes around it allow). The series come from the METRICS shards, so the binding is
 * required. Only the text format is rendered, which is what Caddy sends a scraper that does not ask for OpenMetrics.
 */
export const compileMetrics: HandlerCompiler = (json, deps) => {
  const path = deps.path;
  checkHandler(json, ['disable_openmetrics'], path);
  optBool(json.disable_openmetrics, 'disable_openmetrics', path);
  if (deps.bindings && !deps.bindings.has('METRICS')) {
    throw new ConfigError(
      'metrics needs the METRICS Durable Object binding (class MetricsShard) in wrangler.toml',
      path,
    );
  }
  const configGauges = deps.configGauges;
  const registry = deps.pools?.registry;
  return async (ctx) => {
    const env = ctx.env;
    if (!env.METRICS) throw new HandlerError(500, 'metrics: METRICS binding missing', errorId());
    return serveScrape(env, {
      config: configGauges && (() => configGauges(ctx.env)),
      upstreams: () => upstreamHealth(registry),
    });
  };
};

export const metricsHandler: HandlerModule = { name: 'metrics', compile: compileMetrics };
