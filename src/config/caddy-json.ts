/**
 * Caddy's JSON config, the contract between the adapter and the runtime (what `caddy adapt` prints and what the admin
 * `/load` accepts). Only the parts Gatehouse reads are typed closely; module objects stay open because Caddy's are.
 */

/** A handler module: `{"handler": "<name>", ...fields}`. */
export interface HandlerJSON {
  handler: string;
  [field: string]: unknown;
}

/** A matcher set: matcher module name → its config; all matchers in one set must match (AND). */
export type MatcherSetJSON = Record<string, unknown>;

export interface RouteJSON {
  group?: string;
  /** Matcher sets are OR-ed; a route without sets always matches. */
  match?: MatcherSetJSON[];
  handle?: HandlerJSON[];
  terminal?: boolean;
}

export interface SubrouteHandlerJSON extends HandlerJSON {
  handler: 'subroute';
  routes?: RouteJSON[];
  errors?: { routes?: RouteJSON[] };
}

export interface ServerJSON {
  listen?: string[];
  routes?: RouteJSON[];
  errors?: { routes?: RouteJSON[] };
  named_routes?: Record<string, RouteJSON>;
  automatic_https?: Record<string, unknown>;
  logs?: Record<string, unknown>;
  trusted_proxies?: Record<string, unknown>;
  client_ip_headers?: string[];
  trusted_proxies_strict?: number;
  [field: string]: unknown;
}

export interface HttpAppJSON {
  http_port?: number;
  https_port?: number;
  grace_period?: number;
  metrics?: Record<string, unknown>;
  servers?: Record<string, ServerJSON>;
  [field: string]: unknown;
}

export interface CaddyConfigJSON {
  admin?: Record<string, unknown>;
  logging?: Record<string, unknown>;
  apps?: {
    http?: HttpAppJSON;
    [app: string]: unknown;
  };
  [field: string]: unknown;
}
