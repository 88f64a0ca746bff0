import type { Env, WaitUntil } from '../env.ts';
import type { ActivationHook, ConfigGaugesSource } from '../http/handlers/types.ts';
import type { CaddyConfigJSON, RouteJSON, ServerJSON } from './caddy-json.ts';
import { ConfigError } from './errors.ts';
import { listensOn, parseListen } from './listen.ts';
import type { PortRange } from './listen.ts';
import { compileRouteList, emptyNext, type RouteCompileOptions } from './routes.ts';
import { AbortConnection, handlerError } from '../http/handlers/errors.ts';
import { replaceRequest } from '../http/handlers/request.ts';
import { dropDeferredHooks, emptyResponse, finalizeResponse } from '../http/handlers/response.ts';
import { isRecord } from '../http/handlers/util.ts';
import { compileClientIpPolicy, type ClientIpPolicy } from '../http/client-ip.ts';
import { createRequestContext } from '../http/context.ts';
import type { Handler, RequestContext } from '../http/types.ts';
import { metricsHosts, routeInstrument, type RouteInstrument } from '../metrics/http.ts';
import { AccessLog, type RequestLog } from '../logging/access.ts';
import { compileLogs, type Logs } from '../logging/logs.ts';
import { compileServerLogPolicy } from '../logging/server-logs.ts';
import { PoolRegistry } from '../proxy/pool-registry.ts';
import type { PoolScope } from '../proxy/pool-scope.ts';

export { AbortConnection };

export type { WaitUntil };

export interface ServeOptions {
  /** The port the request arrived on when the URL does not say (local runs); picks the server. */
  localPort?: number;
  /** Client address when not taken from CF-Connecting-IP (local runs, tests). */
  remoteIp?: string;
  /** `request.url` already parsed by the caller. */
  url?: URL;
  /** The CF-Connecting-IP field as the caller read it (null: absent), so it is not looked up twice. */
  connectingIp?: string | null;
  /** The Host field as the caller read it (null: absent; undefined: not read). */
  host?: string | null;
  /** The config version serving the request, for access log entries. */
  configVersion?: number;
}

export interface CompiledServer {
  readonly name: string;
  readonly listen: PortRange[];
  readonly routes: Handler;
  readonly errorRoutes?: Handler;
  /** Sets client_ip from the client IP headers when the peer is a trusted proxy (absent: no trusted proxies). */
  readonly clientIp?: ClientIpPolicy;
  /** The server's access and error logs (absent: the server has no `logs`, and requests pay nothing for logging). */
  readonly accessLog?: AccessLog;
}

export interface CompiledConfig {
  readonly servers: readonly CompiledServer[];
  /** Every port some server listens on (single ports only; ranges give their first port). */
  readonly ports: number[];
  serve(request: Request, env: Env, exec?: WaitUntil, opts?: ServeOptions): Promise<Response>;
  /**
   * Starts what the config needs running before traffic (shared health checks, as Caddy starts them at load).
   * Idempotent per env object; cheap to call on every request.
   */
  activate(env: Env, exec?: WaitUntil): void;
  /** The config's shared upstream pools: held while the config is live (PoolRegistry.setLive). */
  readonly pools: PoolScope;
  /** Lets go of what the config holds (its pools, released at their objects when no other config uses them). */
  dispose(): Promise<void>;
}

export interface CompileOptions {
  /** Names of the Worker's bindings (file_server needs ASSETS); omitted = unknown, checked per request. */
  bindings?: Iterable<string>;
  /** Where the `metrics` handler reads the config version gauges (the store the config came from). */
  configGauges?: ConfigGaugesSource;
  /**
   * The isolate's shared upstream pools, owned by the config layer. Without it the config gets a registry of its own
   * and holds its pools from its first request until dispose().
   */
  pools?: PoolRegistry;
}

// Server fields that configure sockets, TLS or logging: meaningless in a Worker, so accepted and ignored.
const IGNORED_SERVER_FIELDS = new Set([
  'automatic_https',
  'read_timeout',
  'read_header_timeout',
  'write_timeout',
  'idle_timeout',
  'keepalive_interval',
  'max_header_bytes',
  'protocols',
  'tls_connection_policies',
  'listener_wrappers',
  'strict_sni_host',
  'enable_full_duplex',
  'metrics',
  'trusted_proxies_unix',
  'allow_h2c',
  'keepalive_idle',
  'keepalive_count',
  'listen_protocols',
  'shutdown_delay',
]);
const SERVER_FIELDS = [
  'listen',
  'routes',
  'errors',
  'named_routes',
  'trusted_proxies',
  'client_ip_headers',
  'trusted_proxies_strict',
  'logs',
];
const IGNORED_APPS = new Set(['tls', 'pki', 'events']);

/** Compiles Caddy JSON into a servable route tree. Every problem is a ConfigError here, never at request time. */
export function compileConfig(config: CaddyConfigJSON, opts: CompileOptions = {}): CompiledConfig {
  if (!isRecord(config)) throw new ConfigError('config must be a JSON object');
  const bindings = opts.bindings ? new Set(opts.bindings) : undefined;
  for (const app of Object.keys(config.apps ?? {})) {
    if (app !== 'http' && !IGNORED_APPS.has(app)) throw new ConfigError(`app "${app}" is not supported`, 'apps');
  }
  // HTTP metrics are opt-in, as in Caddy (the `metrics` global option → apps.http.metrics).
  const metricsJson = config.apps?.http?.metrics;
  const metrics = metricsJson ? { perHost: (metricsJson as { per_host?: boolean }).per_host === true } : undefined;
  // Caddy's per_host cardinality guard: hosts no site names are labelled _other (unless observe_catchall_hosts).
  const hosts = metrics?.perHost ? metricsHosts(config) : undefined;
  const servers: CompiledServer[] = [];
  const activations: ActivationHook[] = [];
  const pools = opts.pools ? opts.pools.scope() : new PoolRegistry().scope(true);
  // `logging.logs` is read only when some server logs requests: otherwise it configures Caddy's process logs,
  // which a Worker does not have.
  const serverJsons = Object.values(config.apps?.http?.servers ?? {});
  let logs: Logs | undefined;
  if (serverJsons.some((srv) => isRecord(srv) && srv.logs !== undefined)) {
    try {
      logs = compileLogs(config.logging);
    } catch (e) {
      throw asConfigError(e, 'logging');
    }
  }
  for (const [name, srv] of Object.entries(config.apps?.http?.servers ?? {})) {
    try {
      servers.push(
        compileServer(
          name,
          srv,
          { bindings, activations, configGauges: opts.configGauges, pools },
          metrics && routeInstrument(name, metrics.perHost, hosts),
          logs,
        ),
      );
    } catch (e) {
      throw asConfigError(e, `apps.http.servers.${name}`);
    }
  }
  const activated = new WeakSet<object>();
  const ports = [...new Set(servers.flatMap((s) => s.listen.map((r) => r.from)))];

  return {
    servers,
    ports,
    serve: (request, env, exec, serveOpts = {}) => serve(servers, request, env, exec, serveOpts),
    activate: (env, exec) => {
      if (activations.length === 0 || activated.has(env)) return;
      activated.add(env);
      for (const hook of activations) hook(env, exec);
    },
    pools,
    dispose: () => pools.dispose(),
  };
}

/**
 * A route tree nested deeper than the stack allows, or a module that reports a bad value with a plain Error (its
 * message already names the JSON path), is a bad config: a ConfigError. Other exceptions are defects and stay as
 * they are.
 */
function asConfigError(e: unknown, path: string): unknown {
  if (e instanceof RangeError && /call stack/i.test(e.message)) {
    return new ConfigError('routes are nested too deeply to compile', path);
  }
  if (e instanceof Error && e.constructor === Error) return new ConfigError(e.message);
  return e;
}

function compileServer(
  name: string,
  srv: ServerJSON,
  opts: RouteCompileOptions,
  instrument: RouteInstrument | undefined,
  logs: Logs | undefined,
): CompiledServer {
  const path = `apps.http.servers.${name}`;
  if (!isRecord(srv)) throw new ConfigError('server must be an object', path);
  for (const key of Object.keys(srv)) {
    if (!SERVER_FIELDS.includes(key) && !IGNORED_SERVER_FIELDS.has(key)) {
      throw new ConfigError(`server: unsupported field "${key}"`, path);
    }
  }
  if (srv.named_routes && Object.keys(srv.named_routes).length) {
    throw new ConfigError('named_routes (invoke) are not supported yet', path);
  }
  const listen = parseListen(srv.listen, `${path}.listen`);
  const routes = compileRouteList(srv.routes ?? [], `${path}.routes`, opts, instrument);
  let errorRoutes: Handler | undefined;
  if (srv.errors !== undefined) {
    if (!isRecord(srv.errors)) throw new ConfigError('errors must be an object', `${path}.errors`);
    const errRoutes: RouteJSON[] = srv.errors.routes ?? [];
    if (errRoutes.length) errorRoutes = compileRouteList(errRoutes, `${path}.errors.routes`, opts);
  }
  const clientIp = compileClientIpPolicy(srv, path);
  const accessLog =
    logs && srv.logs !== undefined ? new AccessLog(compileServerLogPolicy(srv.logs, `${path}.logs`), logs) : undefined;
  return { name, listen, routes, errorRoutes, clientIp, accessLog };
}

/** Caddy picks the server by the listener the connection came in on: here the port of the request. */
function pickServer(servers: CompiledServer[], url: URL, localPort?: number): CompiledServer | undefined {
  // A lone server takes every request (the fallback below): no URL getter (a runtime call) is needed to say so.
  if (servers.length === 1) return servers[0];
  const urlPort = url.port;
  const port = localPort ?? (urlPort ? Number(urlPort) : url.protocol === 'https:' ? 443 : 80);
  return servers.find((s) => listensOn(s.listen, port)) ?? servers[0];
}

function serve(
  servers: CompiledServer[],
  request: Request,
  env: Env,
  exec: WaitUntil | undefined,
  opts: ServeOptions,
): Promise<Response> {
  const url = opts.url ?? new URL(request.url);
  const server = pickServer(servers, url, opts.localPort);
  if (!server) return Promise.resolve(emptyResponse(200));
  return serveOn(server, request, env, exec, opts, url);
}

/** Runs the server's routes. Not an async function: a request no handler fails costs one reaction, not a frame. */
function serveOn(
  server: CompiledServer,
  request: Request,
  env: Env,
  exec: WaitUntil | undefined,
  opts: ServeOptions,
  url: URL,
): Promise<Response> {
  const ctx = createRequestContext(request, env, {
    exec,
    remoteIp: opts.remoteIp,
    url,
    connectingIp: opts.connectingIp,
    host: opts.host,
  });
  server.clientIp?.(ctx);
  const log = server.accessLog?.begin(ctx, opts);
  let routed: Promise<Response>;
  try {
    routed = server.routes(ctx, emptyNext);
  } catch (e) {
    routed = Promise.reject(e);
  }
  if (log) {
    return routed.then(
      (res) => log.finish(finalizeResponse(ctx, res)),
      (e: unknown) => serveError(server, ctx, ctx.originalMethod, e, log),
    );
  }
  return routed.then(
    (res) => finalizeResponse(ctx, res),
    (e: unknown) => serveError(server, ctx, ctx.originalMethod, e),
  );
}

/** A handler failed: the server's error routes answer, else an empty response with the error's status. */
async function serveError(
  server: CompiledServer,
  ctx: RequestContext,
  originalMethod: string,
  e: unknown,
  log?: RequestLog,
): Promise<Response> {
  if (e instanceof AbortConnection) throw e;
  const err = handlerError(500, e);
  // Error routes see the original method and URI (rewrites undone); header changes stay, as in Caddy.
  replaceRequest(ctx, new URL(ctx.originalUrl), { method: originalMethod });
  ctx.error = err;
  dropDeferredHooks(ctx);
  let res = emptyResponse(err.statusCode || 500);
  if (server.errorRoutes) {
    try {
      res = await server.errorRoutes(ctx, emptyNext);
      log?.logError(err, true);
    } catch (e2) {
      if (e2 instanceof AbortConnection) throw e2;
      dropDeferredHooks(ctx);
      log?.logError(err, false, e2);
    }
  } else {
    log?.logError(err, false);
  }
  return log ? log.finish(finalizeResponse(ctx, res)) : finalizeResponse(ctx, res);
}
