import { Dispenser } from '../caddyfile/dispenser.ts';
import { CaddyfileError, parseError, unsupportedError, withLocation } from '../caddyfile/errors.ts';
import type { ServerBlock, Segment } from '../caddyfile/serverblock.ts';
import { isQuoted, type Token } from '../caddyfile/token.ts';
import type { HandlerJSON, MatcherSetJSON, RouteJSON, SubrouteHandlerJSON } from '../config/caddy-json.ts';
import type { ConfigValue, Helper, Warning } from './helper.ts';
import { defineMatchers, matcherSetFromToken, parseNestedMatcherSet } from './matchers.ts';
import { directiveParser, unsupportedDirectiveReason } from './registry.ts';
import { buildSubroute } from './subroute.ts';
import { pushAll } from '../util/push-all.ts';

/** State shared by every Helper of one adapt run. */
export interface AdaptContext {
  /** Parsed global options by name. */
  options: Map<string, unknown>;
  warnings: Warning[];
  /** Caddy's Helper.State: shared by all directives of the run. */
  state: Map<string, unknown>;
  /** Directive order in effect (defaults plus `order` options). */
  order: string[];
  groupCounter: { n: number };
}

/** `handle_path` sorts and groups as `handle` (Caddy's normalizeDirectiveName). */
export function normalizeDirectiveName(dir: string): string {
  return dir === 'handle_path' ? 'handle' : dir;
}

/** Re-raises an error from a directive parser with Caddy's "parsing caddyfile tokens for 'X'" context. */
function wrapDirectiveError(e: unknown, dir: string, at: Token | undefined, directiveToken: Token): CaddyfileError {
  const inner = e instanceof Error ? e.message : String(e);
  const msg = `parsing caddyfile tokens for '${dir}': ${inner}`;
  const unsupported = e instanceof CaddyfileError ? e.unsupported : undefined;
  if (at) return parseError(at, msg, unsupported);
  return withLocation(e, directiveToken, msg, unsupported);
}

/**
 * Runs one directive segment through its registered parser and tags the values with the (normalized) directive
 * name. `nested` selects the error wording Caddy uses inside blocks versus at the top of a site block.
 */
export function runDirective(
  seg: Segment,
  ctx: AdaptContext,
  defs: Record<string, MatcherSetJSON>,
  block: ServerBlock,
  nestedAt?: Token,
): ConfigValue[] {
  const tok = seg[0];
  const dir = tok.text;
  const reason = unsupportedDirectiveReason(dir);
  const fn = directiveParser(dir);
  if (reason !== undefined && !fn) throw unsupportedError(tok, dir, reason);
  if (!fn) {
    if (nestedAt) {
      throw parseError(
        nestedAt,
        `unrecognized directive: ${dir} - are you sure your Caddyfile structure (nesting and braces) is correct?`,
      );
    }
    let msg = `${tok.file}:${tok.line}: unrecognized directive: ${dir}`;
    if (!block.hasBraces) {
      msg +=
        '\nDid you mean to define a second site? If so, you must use curly braces around each site to separate their configurations.';
    }
    throw new CaddyfileError(msg, { file: tok.file, line: tok.line });
  }
  let results: ConfigValue[];
  try {
    results = fn(new HelperImpl(seg.slice(), ctx, defs, block));
  } catch (e) {
    throw wrapDirectiveError(e, dir, nestedAt, tok);
  }
  // A refused directive whose syntax is known is parsed first, so what Caddy rejects gets Caddy's error instead.
  if (reason !== undefined) throw unsupportedError(tok, dir, reason);
  const name = normalizeDirectiveName(dir);
  return results.map((r) => ({ ...r, directive: name, at: tok }));
}

/** The Helper directive parsers get (Caddy's httpcaddyfile.Helper). */
export class HelperImpl extends Dispenser implements Helper {
  readonly matcherDefs: Record<string, MatcherSetJSON>;
  readonly parentBlock: ServerBlock;
  readonly state: Map<string, unknown>;
  private readonly ctx: AdaptContext;

  constructor(tokens: Token[], ctx: AdaptContext, defs: Record<string, MatcherSetJSON>, block: ServerBlock) {
    super(tokens);
    this.ctx = ctx;
    this.matcherDefs = defs;
    this.parentBlock = block;
    this.state = ctx.state;
  }

  option(name: string): unknown {
    return this.ctx.options.get(name);
  }

  matcherToken(): MatcherSetJSON | null | undefined {
    if (!this.nextArg()) return undefined;
    const tok = this.token();
    const set = isQuoted(tok) ? undefined : matcherSetFromToken(tok, this.matcherDefs);
    if (set === undefined) this.prev();
    return set;
  }

  extractMatcherSet(): MatcherSetJSON | undefined {
    this.reset();
    this.next(); // the directive name
    const set = this.matcherToken();
    if (set !== undefined) this.deleteCurrent();
    this.reset();
    return set ?? undefined;
  }

  newRoute(matcherSet: MatcherSetJSON | undefined, handler: HandlerJSON): ConfigValue[] {
    const route: RouteJSON = {};
    if (matcherSet) route.match = [matcherSet];
    route.handle = [handler];
    return [{ class: 'route', value: route }];
  }

  groupRoutes(values: ConfigValue[]): void {
    const routes = values.filter((v) => v.class === 'route');
    if (routes.length < 2) return;
    const group = this.nextGroup();
    for (const v of routes) v.value = { ...(v.value as RouteJSON), group };
  }

  parseSegmentAsSubroute(): HandlerJSON {
    const routes = this.buildSubroute(this.parseSegmentAsConfig());
    const sub: SubrouteHandlerJSON = { handler: 'subroute' };
    if (routes.length) sub.routes = routes;
    return sub;
  }

  parseSegmentAsConfig(): ConfigValue[] {
    const all: ConfigValue[] = [];
    while (this.next()) {
      if (this.nextArg()) throw this.argErr();
      const segments: Segment[] = [];
      for (const n = this.nesting(); this.nextBlock(n); ) segments.push(this.nextSegment());
      const { defs, directives } = defineMatchers(segments, this.matcherDefs);
      for (const seg of directives) {
        pushAll(all, runDirective(seg, this.ctx, defs, this.parentBlock, this.token()));
      }
    }
    return all;
  }

  buildSubroute(values: ConfigValue[]): RouteJSON[] {
    return buildSubroute(values, this.ctx.order, () => this.nextGroup(), true);
  }

  buildSubrouteUnsorted(values: ConfigValue[]): RouteJSON[] {
    return buildSubroute(values, this.ctx.order, () => this.nextGroup(), false);
  }

  parseMatcherSetFromBlock(): MatcherSetJSON {
    return parseNestedMatcherSet(this);
  }

  warn(message: string): void {
    const tok = this.tokens.length ? this.token() : undefined;
    this.ctx.warnings.push({ file: tok?.file, line: tok?.line, message });
  }

  nextGroup(): string {
    return `group${this.ctx.groupCounter.n++}`;
  }

  withTokens(tokens: Token[]): Helper {
    return new HelperImpl(tokens, this.ctx, this.matcherDefs, this.parentBlock);
  }
}
