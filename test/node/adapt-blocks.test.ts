import { describe, expect, it } from 'vitest';
import { Dispenser } from '../../src/caddyfile/dispenser.ts';
import { tokenize } from '../../src/caddyfile/lexer.ts';
import type { ServerBlock } from '../../src/caddyfile/serverblock.ts';
import type { Token } from '../../src/caddyfile/token.ts';
import type { HandlerJSON, MatcherSetJSON, RouteJSON } from '../../src/config/caddy-json.ts';
import '../../src/adapt/directives/blocks.ts';
import { NAMED_ROUTE_STATE_KEY, type ConfigValue, type Helper } from '../../src/adapt/helper.ts';
import { matcherSetFromToken, parseNamedMatcherBlock } from '../../src/adapt/matchers.ts';
import { attachNamedRoutes, parseNamedRoutes, takeInvokedNames } from '../../src/adapt/named-routes.ts';
import { parseCaddyfile } from '../../src/caddyfile/parser.ts';
import type { ServerJSON } from '../../src/config/caddy-json.ts';
import { directiveParser, registerDirective, registerHandlerDirective } from '../../src/adapt/registry.ts';

/**
 * A minimal Helper following Caddy's cursor conventions, so the block directives can be tested before (and apart
 * from) the real adapter: no sorting or grouping, directives evaluated in file order.
 */
class FakeHelper extends Dispenser implements Helper {
  readonly matcherDefs: Record<string, MatcherSetJSON>;
  readonly state: Map<string, unknown>;
  readonly parentBlock: ServerBlock = { keys: [], segments: [], hasBraces: true, isNamedRoute: false };
  constructor(tokens: Token[], defs: Record<string, MatcherSetJSON> = {}, state = new Map<string, unknown>()) {
    super(tokens);
    this.matcherDefs = defs;
    this.state = state;
  }
  option(): unknown {
    return undefined;
  }
  matcherToken(): MatcherSetJSON | null | undefined {
    return this.nextArg() ? matcherSetFromToken(this.token(), this.matcherDefs) : undefined;
  }
  extractMatcherSet(): MatcherSetJSON | undefined {
    this.next();
    const m = this.matcherToken();
    if (m !== undefined) this.deleteCurrent();
    this.reset();
    return m ?? undefined;
  }
  newRoute(matcherSet: MatcherSetJSON | undefined, handler: HandlerJSON): ConfigValue[] {
    return [{ class: 'route', value: matcherSet ? { match: [matcherSet], handle: [handler] } : { handle: [handler] } }];
  }
  groupRoutes(): void {}
  parseSegmentAsSubroute(): HandlerJSON {
    return { handler: 'subroute', routes: this.buildSubroute(this.parseSegmentAsConfig()) };
  }
  parseSegmentAsConfig(): ConfigValue[] {
    const out: ConfigValue[] = [];
    while (this.next()) {
      if (this.nextArg() && this.val() !== '{') throw this.argErr();
      if (this.val() === '{') this.prev();
      const segments: Token[][] = [];
      for (const n = this.nesting(); this.nextBlock(n); ) segments.push(this.nextSegment());
      const defs = { ...this.matcherDefs };
      for (const seg of segments) {
        if (seg[0].text.startsWith('@')) defs[seg[0].text] = parseNamedMatcherBlock(new Dispenser(seg));
      }
      for (const seg of segments) {
        if (seg[0].text.startsWith('@')) continue;
        const fn = directiveParser(seg[0].text);
        if (!fn) throw this.err(`unrecognized directive: ${seg[0].text}`);
        for (const v of fn(new FakeHelper(seg, defs, this.state))) out.push({ ...v, directive: seg[0].text });
      }
    }
    return out;
  }
  buildSubroute(values: ConfigValue[]): RouteJSON[] {
    return values.map((v) => v.value as RouteJSON);
  }
  parseMatcherSetFromBlock(): MatcherSetJSON {
    return {};
  }
  warn(): void {}
  nextGroup(): string {
    return 'group0';
  }
  withTokens(tokens: Token[]): Helper {
    return new FakeHelper(tokens, this.matcherDefs, this.state);
  }
}

// a stand-in handler directive for block bodies
registerHandlerDirective('t_respond', (h) => {
  h.next();
  return { handler: 'static_response', body: h.remainingArgs().join(' ') };
});
registerDirective('t_bind', () => [{ class: 'bind', value: ['127.0.0.1'] }]);

function run(text: string, state = new Map<string, unknown>()): ConfigValue[] {
  const tokens = tokenize(text, 'Caddyfile');
  const fn = directiveParser(tokens[0].text);
  if (!fn) throw new Error('not registered');
  return fn(new FakeHelper(tokens, { '@api': { path: ['/api/*'] } }, state));
}
const respond = (body: string) => ({ handle: [{ handler: 'static_response', body }] });

describe('handle', () => {
  it('wraps its body in a subroute behind the matcher', () => {
    expect(run('handle @api {\n\tt_respond hi\n}')).toEqual([
      {
        class: 'route',
        value: { match: [{ path: ['/api/*'] }], handle: [{ handler: 'subroute', routes: [respond('hi')] }] },
      },
    ]);
  });
  it('sees matchers defined inside its block', () => {
    const [v] = run('handle {\n\t@post method POST\n\tt_respond @post yes\n}');
    expect(v.value).toEqual({
      handle: [{ handler: 'subroute', routes: [{ match: [{ method: ['POST'] }], ...respond('yes') }] }],
    });
  });
  it('rejects arguments that are not a matcher', () => {
    expect(() => run('handle foo {\n\tt_respond hi\n}')).toThrow(
      "wrong argument count or unexpected line ending after 'foo'",
    );
  });
});

describe('handle_path', () => {
  it('strips the path prefix first', () => {
    expect(run('handle_path /api/v1/* {\n\tt_respond v1\n}')).toEqual([
      {
        class: 'route',
        value: {
          match: [{ path: ['/api/v1/*'] }],
          handle: [
            {
              handler: 'subroute',
              routes: [{ handle: [{ handler: 'rewrite', strip_path_prefix: '/api/v1' }] }, respond('v1')],
            },
          ],
        },
      },
    ]);
  });
  it('strips a trailing * or nothing', () => {
    const strip = (p: string) => {
      const [v] = run(`handle_path ${p} {\n\tt_respond x\n}`);
      return ((v.value as RouteJSON).handle?.[0].routes as RouteJSON[] | undefined)?.[0].handle?.[0];
    };
    expect(strip('/api*')).toEqual({ handler: 'rewrite', strip_path_prefix: '/api' });
    expect(strip('/api')).toEqual({ handler: 'rewrite', strip_path_prefix: '/api' });
    expect(strip('/*')).toEqual({ handler: 'rewrite' });
  });
  it('requires an inline path', () => {
    expect(() => run('handle_path @api {\n\tt_respond x\n}')).toThrow("path matcher must begin with '/', got @api");
    expect(() => run('handle_path {\n\tt_respond x\n}')).toThrow(
      "wrong argument count or unexpected line ending after 'handle_path'",
    );
  });
});

describe('route', () => {
  it('keeps its body as a subroute', () => {
    expect(run('route /x {\n\tt_respond b\n\tt_respond a\n}')[0].value).toEqual({
      match: [{ path: ['/x'] }],
      handle: [{ handler: 'subroute', routes: [respond('b'), respond('a')] }],
    });
  });
  it('accepts only handler directives', () => {
    expect(() => run('route {\n\tt_bind\n}')).toThrow(
      't_bind directive returned something other than an HTTP route or subroute (only handler directives can be used in routes)',
    );
  });
  it('omits routes for an empty body', () => {
    expect(run('route {\n}')[0].value).toEqual({ handle: [{ handler: 'subroute' }] });
  });
});

describe('handle_errors', () => {
  const expr = (args: string) => {
    const [v] = run(`handle_errors ${args} {\n\tt_respond oops\n}`);
    expect(v.class).toBe('error_route');
    return (v.value as RouteJSON).match;
  };
  it('builds the status expression as Caddy does', () => {
    expect(expr('404 410')).toEqual([{ expression: '{http.error.status_code} in [404, 410]' }]);
    expect(expr('5xx')).toEqual([{ expression: '{http.error.status_code} >= 500 && {http.error.status_code} <= 599' }]);
    expect(expr('4xx 500')).toEqual([
      {
        expression:
          '{http.error.status_code} >= 400 && {http.error.status_code} <= 499 || {http.error.status_code} in [500]',
      },
    ]);
  });
  it('wraps the body in a subroute, with no matcher when no codes are given', () => {
    expect(run('handle_errors {\n\tt_respond oops\n}')).toEqual([
      { class: 'error_route', value: { handle: [{ handler: 'subroute', routes: [respond('oops')] }] } },
    ]);
  });
  it('rejects bad status values', () => {
    expect(() => expr('40')).toThrow("bad status value '40'");
    expect(() => expr('abc')).toThrow(`bad status value 'abc': strconv.Atoi: parsing "abc": invalid syntax`);
  });
});

describe('invoke', () => {
  it('emits an invoke handler and records the name', () => {
    const state = new Map<string, unknown>();
    expect(run('invoke @api my-route', state)).toEqual([
      { class: 'route', value: { match: [{ path: ['/api/*'] }], handle: [{ handler: 'invoke', name: 'my-route' }] } },
    ]);
    expect(state.get(NAMED_ROUTE_STATE_KEY)).toEqual(new Set(['my-route']));
  });
  it('takes exactly one name', () => {
    expect(() => run('invoke')).toThrow('wrong argument count');
    expect(() => run('invoke a b')).toThrow("wrong argument count or unexpected line ending after 'b'");
  });
});

describe('named routes', () => {
  const define = (text: string) => {
    const state = new Map<string, unknown>();
    const blocks = parseCaddyfile(text, { filename: 'Caddyfile', env: {} });
    return parseNamedRoutes(blocks, (b) => new FakeHelper([...b.segments[0]], {}, state));
  };
  const text = [
    '&(a) {\n\tinvoke b\n\tt_respond a\n}',
    '&(b) {\n\tt_respond b\n}',
    '&(c) {\n\t@x path /x\n\tt_respond @x c\n}',
    '&(loop1) {\n\tinvoke loop2\n}',
    '&(loop2) {\n\tinvoke loop1\n}',
    ':80 {\n\tinvoke a\n}',
  ].join('\n');

  it('parses each definition, unwrapping a lone unconditional handler', () => {
    const defs = define(text);
    expect(defs.routes.get('b')).toEqual({ handle: [{ handler: 'static_response', body: 'b' }] });
    expect(defs.routes.get('a')).toEqual({
      handle: [{ handler: 'subroute', routes: [{ handle: [{ handler: 'invoke', name: 'b' }] }, respond('a')] }],
    });
    expect(defs.routes.get('c')).toEqual({
      handle: [{ handler: 'subroute', routes: [{ match: [{ path: ['/x'] }], ...respond('c') }] }],
    });
    expect(defs.invokes.get('a')).toEqual(['b']);
  });

  it('attaches invoked routes transitively, once each', () => {
    const defs = define(text);
    const server: ServerJSON = {};
    attachNamedRoutes(server, ['a'], defs);
    expect(Object.keys(server.named_routes ?? {})).toEqual(['a', 'b']);
    const loop: ServerJSON = {};
    attachNamedRoutes(loop, ['loop1'], defs);
    expect(Object.keys(loop.named_routes ?? {})).toEqual(['loop1', 'loop2']);
    const none: ServerJSON = {};
    attachNamedRoutes(none, [], defs);
    expect(none.named_routes).toBeUndefined();
  });

  it('rejects invoking an undefined route and duplicate definitions', () => {
    const defs = define('&(a) {\n\tinvoke missing\n}');
    expect(() => attachNamedRoutes({}, ['a'], defs)).toThrow(
      "cannot invoke named route 'missing', which was not defined",
    );
    expect(() => define('&(a) {\n\tt_respond 1\n}\n&(a) {\n\tt_respond 2\n}')).toThrow(
      'cannot have duplicate named_routes: a',
    );
  });

  it('hands over the names a site invoked and forgets them', () => {
    const state = new Map<string, unknown>();
    run('invoke x', state);
    expect(takeInvokedNames(state)).toEqual(['x']);
    expect(takeInvokedNames(state)).toEqual([]);
  });
});
