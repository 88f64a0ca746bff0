import type { Env, WaitUntil } from '../env.ts';
import type { Handler, Matcher, RequestContext, Template } from '../http/types.ts';
import type { PoolScope } from './pool-scope.ts';

/**
 * What the route compiler hands the reverse_proxy compiler, so src/proxy never imports the compiler's internals.
 * `compileTemplate(s, 'empty')` is Caddy's ReplaceAll (unknown placeholders become ""), `'keep'` is ReplaceKnown.
 */
export interface ProxyDeps {
  compileTemplate(s: string, unknown?: 'empty' | 'keep'): Template;
  /** Request matcher sets (OR of ANDs), as in a route's `match`; used for lb_retry_match. */
  compileMatcherSets(sets: unknown[]): Matcher;
  /** Compiles handle_response routes; their `next` is the proxy handler's own `next`. */
  compileRoutes?(routes: unknown[]): Handler;
  /** JSON path of the handler, for ConfigError messages. */
  readonly path?: string;
  /** Registers work to start when the config is activated (the shared pool's health checks). */
  onActivate?(hook: (env: Env, exec?: WaitUntil) => void): void;
  /** The config's shared upstream pools; without them health stays per isolate. */
  readonly pools?: PoolScope;
}

/**
 * Per-dial-address state shared by every handler in this isolate (Caddy keeps one Host per address in a global
 * usage pool): in-flight requests and the expiry times of recorded passive-health failures.
 */
export interface HostState {
  /** Requests this isolate has in flight to the address. */
  numRequests: number;
  /** Requests other isolates have in flight, as of the last pool snapshot (0 without a shared pool). */
  remoteRequests: number;
  /** Expiry timestamps (ms) of failures still counting; each failure stops counting after its fail_duration. */
  failExpiries: number[];
  /** When this isolate last got a response from the address (ms since epoch; 0 = never). */
  lastAnswerAt: number;
}

/** One configured upstream of one handler (Caddy's Upstream). */
export interface Upstream {
  /** The dial address as configured (Caddy's Upstream.String(), the rendezvous-hash and cookie input). */
  readonly dial: string;
  /** 0 = unlimited. */
  readonly maxRequests: number;
  readonly host: HostState;
  /** Not marked down by active checks and under max_fails (passive). */
  healthy(): boolean;
  /** Available = healthy and not full; every policy considers only available upstreams. */
  available(): boolean;
}

/** Things a policy may do to the response besides choosing (the cookie policy sets its sticky cookie). */
export interface SelectionEffects {
  setCookies: string[];
}

/** The prepared upstream request as a policy sees it (Caddy selects on the proxy's clone of the request). */
export interface SelectRequest {
  readonly ctx: RequestContext;
  /** Path and query the upstream will receive (after rewrites and the proxy's own `rewrite`). */
  readonly uri: string;
  readonly query: URLSearchParams;
  readonly headers: Headers;
  /** The request's Host (Go keeps it outside the header map). */
  readonly host: string;
}

/** A compiled selection policy; may be async (cookie hashing uses WebCrypto). */
export type SelectionPolicy = (
  pool: readonly Upstream[],
  req: SelectRequest,
  effects: SelectionEffects,
) => Upstream | null | Promise<Upstream | null>;
