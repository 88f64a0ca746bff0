import type { Env, WaitUntil } from '../../env.ts';
import type { HandlerJSON, RouteJSON } from '../../config/caddy-json.ts';
import type { ConfigGauges } from '../../metrics/index.ts';
import type { Handler } from '../types.ts';
import type { PoolScope } from '../../proxy/pool-scope.ts';

/** What a handler compiler may use besides its own JSON. */
export interface CompileDeps {
  /** JSON path of the module being compiled (for ConfigError messages). */
  readonly path: string;
  /** Compiles a nested route list (subroute) into a handler; `next` is the chain after the subroute. */
  compileRoutes(routes: RouteJSON[], path: string): Handler;
  /** Worker bindings known at compile time (file_server needs ASSETS); undefined when the compiler cannot know. */
  readonly bindings: ReadonlySet<string> | undefined;
  /** Registers work to start when the config is activated (once per config and env), e.g. health checks. */
  onActivate?(hook: ActivationHook): void;
  /** The config store's version gauges for the `metrics` handler (config/ knows where they live, handlers do not). */
  readonly configGauges?: ConfigGaugesSource;
  /** The compiled config's shared upstream pools (reverse_proxy joins them; the metrics handler reads them). */
  readonly pools?: PoolScope;
}

/** Reads the config version gauges for a scrape. */
export type ConfigGaugesSource = (env: Env) => Promise<ConfigGauges | undefined>;

/** Started when a config becomes active in an isolate; background work goes to `exec.waitUntil`. */
export type ActivationHook = (env: Env, exec?: WaitUntil) => void;

/** Turns one handler module's JSON into a Handler, validating every field it is given. */
export type HandlerCompiler = (json: HandlerJSON, deps: CompileDeps) => Handler;

/** A handler module: its JSON `handler` name (Caddy's http.handlers.<name>) and its compiler, from one file. */
export interface HandlerModule {
  readonly name: string;
  readonly compile: HandlerCompiler;
}
