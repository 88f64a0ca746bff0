import type { HandlerJSON, RouteJSON } from '../../config/caddy-json.ts';
import type { Handler } from '../types.ts';

/** What a handler compiler may use besides its own JSON. */
export interface CompileDeps {
  /** JSON path of the module being compiled (for ConfigError messages). */
  readonly path: string;
  /** Compiles a nested route list (subroute) into a handler; `next` is the chain after the subroute. */
  compileRoutes(routes: RouteJSON[], path: string): Handler;
  /** Worker bindings known at compile time (file_server needs ASSETS); undefined when the compiler cannot know. */
  readonly bindings: ReadonlySet<string> | undefined;
}

/** Turns one handler module's JSON into a Handler, validating every field it is given. */
export type HandlerCompiler = (json: HandlerJSON, deps: CompileDeps) => Handler;
