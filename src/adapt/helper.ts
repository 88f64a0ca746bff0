import type { Dispenser } from '../caddyfile/dispenser.ts';
import type { ServerBlock } from '../caddyfile/serverblock.ts';
import type { Token } from '../caddyfile/token.ts';
import type { HandlerJSON, MatcherSetJSON, RouteJSON } from '../config/caddy-json.ts';

/** An adapter warning, shaped like Caddy's (`caddy adapt` prints these; admin `/adapt` returns them). */
export interface Warning {
  file?: string;
  line?: number;
  directive?: string;
  message: string;
}

/**
 * What a directive contributes to the config (Caddy's httpcaddyfile.ConfigValue). Classes Gatehouse uses:
 * - `route`: value is a RouteJSON for the site's route list (sorted by directive order);
 * - `error_route`: a RouteJSON for the server's `errors.routes` (handle_errors): `{match?, handle: [subroute]}`;
 *   `match` holds the status-code expression when the block named codes (those sort before catch-alls);
 * - `named_route`: `&(name)` definitions; `bind`, `custom_log`, `tls.*`: listener/logging/TLS data.
 */
export interface ConfigValue {
  class: string;
  value: unknown;
  /** Name of the directive that produced it (used for sorting); set by the adapter. */
  directive?: string;
  /** The directive's token, for locating errors found later; set by the adapter. */
  at?: Token;
}

/**
 * The view a directive parser gets of the Caddyfile (Caddy's httpcaddyfile.Helper): a Dispenser over the
 * directive's tokens plus access to matchers, global options and shared adapt state.
 */
export interface Helper extends Dispenser {
  /** Value of a global option after the options block was parsed (undefined if not set). */
  option(name: string): unknown;
  /**
   * If the next argument is a matcher token (`*`, `/path…`, `@name`), consumes it and returns its matcher set
   * (`null` for `*`); otherwise leaves the cursor and returns undefined.
   */
  matcherToken(): MatcherSetJSON | null | undefined;
  /** Removes a leading matcher token from this directive's tokens and rewinds (Caddy's ExtractMatcherSet). */
  extractMatcherSet(): MatcherSetJSON | undefined;
  /** One `route` ConfigValue with the given matcher set and handler. */
  newRoute(matcherSet: MatcherSetJSON | undefined, handler: HandlerJSON): ConfigValue[];
  /** Puts all the given routes in one mutually-exclusive group (only the first matching runs). */
  groupRoutes(values: ConfigValue[]): void;
  /** Parses the rest of the current segment's block as directives and builds a subroute handler (handle, route …). */
  parseSegmentAsSubroute(): HandlerJSON;
  /** Parses the block's directive lines as config values, without building a subroute (handle_errors, invoke …). */
  parseSegmentAsConfig(): ConfigValue[];
  /** Builds routes from config values as a site block does: sort by directive order, group, consolidate. */
  buildSubroute(values: ConfigValue[]): RouteJSON[];
  /**
   * Like buildSubroute but keeps the values in file order (no directive sort), as Caddy does for `route` blocks;
   * grouping of handle/rewrite/root and consolidation still apply. Optional: `route` falls back to buildSubroute.
   */
  buildSubrouteUnsorted?(values: ConfigValue[]): RouteJSON[];
  /** Parses a matcher definition block/line body (`@name` lines or a `match { … }` block) into one set. */
  parseMatcherSetFromBlock(): MatcherSetJSON;
  /** Adds an adapter warning at the current token. */
  warn(message: string): void;
  /** Fresh unique group name (`group0`, `group1`, … shared with nested blocks, as Caddy counts). */
  nextGroup(): string;
  /** Matcher definitions visible here, by name with the `@`. */
  readonly matcherDefs: Record<string, MatcherSetJSON>;
  /** The site block being adapted. */
  readonly parentBlock: ServerBlock;
  /** Scratch state shared by all directives of one adapt run (e.g. named routes, log names). */
  readonly state: Map<string, unknown>;
  /** Helper over other tokens, sharing this one's state and matcher scope (Caddy's WithDispenser). */
  withTokens(tokens: Token[]): Helper;
}

/** A directive parser that returns config values (Caddy's UnmarshalFunc). */
export type UnmarshalFunc = (h: Helper) => ConfigValue[];

/**
 * A handler directive parser (Caddy's UnmarshalHandlerFunc): the matcher token is already removed, and the cursor is
 * before the directive name, so the parser starts with `h.next()`.
 */
export type UnmarshalHandlerFunc = (h: Helper) => HandlerJSON;

/**
 * Key in Helper.state under which `invoke` records the named routes it uses (a Set<string> of names), so the adapter
 * can copy those `&(name)` routes into the server's `named_routes` (Caddy's "named_route" state).
 */
export const NAMED_ROUTE_STATE_KEY = 'named_route';
