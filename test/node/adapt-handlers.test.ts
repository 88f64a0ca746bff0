import { describe, expect, it } from 'vitest';
import { Dispenser } from '../../src/caddyfile/dispenser.ts';
import { tokenize } from '../../src/caddyfile/lexer.ts';
import type { ServerBlock } from '../../src/caddyfile/serverblock.ts';
import type { Token } from '../../src/caddyfile/token.ts';
import type { HandlerJSON, MatcherSetJSON, RouteJSON } from '../../src/config/caddy-json.ts';
import type { ConfigValue, Helper, Warning } from '../../src/adapt/helper.ts';
import { matcherSetFromToken } from '../../src/adapt/matchers.ts';
import { directiveParser, unsupportedDirectiveReason } from '../../src/adapt/registry.ts';
import '../../src/adapt/directives/index.ts';
import { adaptCaddyfile } from '../../src/adapt/index.ts';
import { parseLogBlock } from '../../src/adapt/directives/log.ts';
import { readFileSync } from 'node:fs';

/**
 * Handler directive parsers, driven through a small Helper (no sorting or grouping) so each directive's JSON can be
 * compared with what `caddy adapt` prints for it (expected values taken from the golden adapt files).
 */
class TestHelper extends Dispenser implements Helper {
  readonly matcherDefs: Record<string, MatcherSetJSON>;
  readonly state = new Map<string, unknown>();
  readonly parentBlock: ServerBlock;
  readonly warnings: Warning[] = [];
  constructor(tokens: Token[], defs: Record<string, MatcherSetJSON>) {
    super(tokens);
    this.matcherDefs = defs;
    this.parentBlock = { keys: [], segments: [tokens], hasBraces: true, isNamedRoute: false };
  }
  option(): unknown {
    return undefined;
  }
  matcherToken(): MatcherSetJSON | null | undefined {
    if (!this.nextArg()) return undefined;
    const m = matcherSetFromToken(this.token(), this.matcherDefs);
    if (m === undefined) this.prev();
    return m;
  }
  extractMatcherSet(): MatcherSetJSON | undefined {
    this.reset();
    this.next();
    const m = this.matcherToken();
    if (m !== undefined) this.deleteCurrent();
    this.reset();
    return m ?? undefined;
  }
  newRoute(matcherSet: MatcherSetJSON | undefined, handler: HandlerJSON): ConfigValue[] {
    const route: RouteJSON = matcherSet ? { match: [matcherSet], handle: [handler] } : { handle: [handler] };
    return [{ class: 'route', value: route }];
  }
  groupRoutes(values: ConfigValue[]): void {
    for (const v of values) (v.value as RouteJSON).group = 'group0';
  }
  parseSegmentAsSubroute(): HandlerJSON {
    throw new Error('not used');
  }
  parseSegmentAsConfig(): ConfigValue[] {
    throw new Error('not used');
  }
  buildSubroute(): RouteJSON[] {
    throw new Error('not used');
  }
  parseMatcherSetFromBlock(): MatcherSetJSON {
    throw new Error('not used');
  }
  warn(message: string): void {
    this.warnings.push({ message });
  }
  nextGroup(): string {
    return 'group0';
  }
  withTokens(tokens: Token[]): Helper {
    return new TestHelper(tokens, this.matcherDefs);
  }
}

/** Runs the directive written in `text` (one directive, maybe with a block); returns its config values. */
function run(text: string, defs: Record<string, MatcherSetJSON> = {}): { values: ConfigValue[]; h: TestHelper } {
  const tokens = tokenize(text, 'Caddyfile');
  const parser = directiveParser(tokens[0].text);
  if (!parser) throw new Error(`no parser for ${tokens[0].text}`);
  const h = new TestHelper(tokens, defs);
  return { values: parser(h), h };
}

/** The routes of the directive written in `text`. */
function routes(text: string, defs: Record<string, MatcherSetJSON> = {}): RouteJSON[] {
  return run(text, defs).values.map((v) => v.value as RouteJSON);
}

/** The single handler of the directive written in `text`. */
function handler(text: string): HandlerJSON {
  const r = routes(text);
  expect(r).toHaveLength(1);
  return r[0].handle![0];
}

function errorOf(text: string): string {
  try {
    run(text);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
}

describe('respond / error / abort', () => {
  it('treats a lone 3-digit number as the status, other text as the body', () => {
    expect(handler('respond 404')).toEqual({ handler: 'static_response', status_code: 404 });
    expect(handler('respond "Hello"')).toEqual({ handler: 'static_response', body: 'Hello' });
    expect(handler('respond 1234')).toEqual({ handler: 'static_response', body: '1234' });
    expect(handler('respond "Not found" 404')).toEqual({
      handler: 'static_response',
      body: 'Not found',
      status_code: 404,
    });
  });
  it('keeps a placeholder status as a string and supports body/close in a block', () => {
    expect(handler('respond "x" {http.vars.code}')).toEqual({
      handler: 'static_response',
      body: 'x',
      status_code: '{http.vars.code}',
    });
    expect(handler('respond 200 {\n\tbody hi\n\tclose\n}')).toEqual({
      handler: 'static_response',
      status_code: 200,
      body: 'hi',
      close: true,
    });
  });
  it('takes heredoc bodies verbatim', () => {
    expect(handler('respond <<EOF\n\t<p>hi</p>\n\tEOF 200')).toEqual({
      handler: 'static_response',
      body: '<p>hi</p>',
      status_code: 200,
    });
  });
  it('puts the matcher on the route', () => {
    expect(routes('respond /health 200')).toEqual([
      { match: [{ path: ['/health'] }], handle: [{ handler: 'static_response', status_code: 200 }] },
    ]);
  });
  it('reports Caddy errors', () => {
    expect(errorOf('respond a b c')).toBe(
      "Caddyfile:1 - Error during parsing: wrong argument count or unexpected line ending after 'c'",
    );
    expect(errorOf('respond hi {\n\tbody x\n}')).toBe('Caddyfile:2 - Error during parsing: body already specified');
    expect(errorOf('respond 200 {\n\tfoo\n}')).toBe(
      "Caddyfile:2 - Error during parsing: unrecognized subdirective 'foo'",
    );
  });
  it('error: message and status (default left to the runtime)', () => {
    expect(handler('error 403')).toEqual({ handler: 'error', status_code: 403 });
    expect(handler('error "Forbidden" 403')).toEqual({ handler: 'error', error: 'Forbidden', status_code: 403 });
    expect(handler('error {\n\tmessage boom\n}'.replace('error {', 'error 503 {'))).toEqual({
      handler: 'error',
      error: 'boom',
      status_code: 503,
    });
    expect(errorOf('error "a" {\n\tmessage b\n}')).toBe(
      'Caddyfile:2 - Error during parsing: message already specified',
    );
  });
  it('abort takes nothing', () => {
    expect(handler('abort')).toEqual({ handler: 'static_response', abort: true });
    expect(routes('abort /x')[0].match).toEqual([{ path: ['/x'] }]);
    expect(errorOf('abort foo')).toContain('wrong argument count');
  });
});

describe('redir', () => {
  it('defaults to 302 and maps permanent/temporary', () => {
    expect(handler('redir https://example.com{uri}')).toEqual({
      handler: 'static_response',
      status_code: 302,
      headers: { Location: ['https://example.com{uri}'] },
    });
    expect(handler('redir new permanent').status_code).toBe(301);
    expect(handler('redir new temporary').status_code).toBe(302);
    expect(handler('redir new 308').status_code).toBe(308);
    expect(handler('redir new 401').status_code).toBe(401);
    expect(handler('redir new {http.vars.code}').status_code).toBe('{http.vars.code}');
  });
  it('with a matcher token, the target is the second argument', () => {
    expect(routes('redir /old /new')).toEqual([
      {
        match: [{ path: ['/old'] }],
        handle: [{ handler: 'static_response', status_code: 302, headers: { Location: ['/new'] } }],
      },
    ]);
  });
  it('html mode answers 200 with an escaped redirect page', () => {
    const h = handler('redir "a?b=1&c=<2>" html');
    expect(h.status_code).toBe(200);
    expect(h.headers).toEqual({ 'Content-Type': ['text/html; charset=utf-8'] });
    const t = 'a?b=1&amp;c=&lt;2&gt;';
    expect(h.body).toBe(
      `<!DOCTYPE html>\n<html>\n\t<head>\n\t\t<title>Redirecting...</title>\n\t\t<script>window.location.replace("${t}");</script>\n` +
        `\t\t<meta http-equiv="refresh" content="0; URL='${t}'">\n\t</head>\n\t<body>Redirecting to <a href="${t}">${t}</a>...</body>\n</html>\n`,
    );
  });
  it('rejects codes outside 3xx/401', () => {
    expect(errorOf('redir x 200')).toBe(
      "Caddyfile:1 - Error during parsing: Redir code not in the 3xx range or 401: '200'",
    );
    expect(errorOf('redir x nope')).toBe(
      "Caddyfile:1 - Error during parsing: Not a supported redir code type or not valid integer: 'nope'",
    );
    expect(errorOf('redir')).toContain('wrong argument count');
  });
});

describe('header / request_header', () => {
  const resp = (text: string, defs: Record<string, MatcherSetJSON> = {}): unknown[] =>
    routes(text, defs).map((r) =>
      r.match ? { match: r.match, response: r.handle![0].response } : r.handle![0].response,
    );

  it('builds one op per line, deferring deletes and `>` (golden header.caddyfiletest)', () => {
    expect(resp('header Denis "Ritchie"')).toEqual([{ set: { Denis: ['Ritchie'] } }]);
    expect(resp('header +Edsger "Dijkstra"')).toEqual([{ add: { Edsger: ['Dijkstra'] } }]);
    expect(resp('header ?John "von Neumann"')).toEqual([
      { require: { headers: { John: null } }, set: { John: ['von Neumann'] } },
    ]);
    expect(resp('header -Wolfram')).toEqual([{ deferred: true, delete: ['Wolfram'] }]);
    expect(resp('header >Set Defer')).toEqual([{ deferred: true, set: { Set: ['Defer'] } }]);
    expect(resp('header >Replace Deferred Replacement')).toEqual([
      { deferred: true, replace: { Replace: [{ replace: 'Replacement', search_regexp: 'Deferred' }] } },
    ]);
  });

  it('splits `?` lines of a block into a second handler and strips trailing colons', () => {
    const text = 'header {\n\tGrace: "Hopper"\n\t+Ray "Solomonoff"\n\t?Tim "Berners-Lee"\n\tdefer\n}';
    expect(resp(text)).toEqual([
      { add: { Ray: ['Solomonoff'] }, deferred: true, set: { Grace: ['Hopper'] } },
      { require: { headers: { Tim: null } }, set: { Tim: ['Berners-Lee'] } },
    ]);
  });

  it('takes a response matcher from `match` (block or line form) and keeps the request matcher', () => {
    const defs = { '@images': { path: ['/images/*'] } };
    const text = 'header @images {\n\tCache-Control "public, max-age=3600"\n\tmatch {\n\t\tstatus 200\n\t}\n}';
    expect(resp(text, defs)).toEqual([
      {
        match: [{ path: ['/images/*'] }],
        response: { require: { status_code: [200] }, set: { 'Cache-Control': ['public, max-age=3600'] } },
      },
    ]);
    expect(resp('header {\n\t+Link "Foo"\n\t+Link "Bar"\n\tmatch status 200\n}')).toEqual([
      { add: { Link: ['Foo', 'Bar'] }, require: { status_code: [200] } },
    ]);
    expect(
      resp(
        'header {\n\tX a\n\tmatch {\n\t\tstatus 2xx\n\t\theader Content-Type text/*\n\t\theader Content-Type app/*\n\t}\n}',
      ),
    ).toEqual([{ require: { status_code: [2], headers: { 'Content-Type': ['text/*', 'app/*'] } }, set: { X: ['a'] } }]);
  });

  it('canonicalises field names like Go, but not placeholders', () => {
    expect(resp('header x-foo-bar baz')).toEqual([{ set: { 'X-Foo-Bar': ['baz'] } }]);
    expect(resp('header {http.vars.h} baz')).toEqual([{ set: { '{http.vars.h}': ['baz'] } }]);
  });

  it('rejects mixing arguments with a block', () => {
    expect(errorOf('header X y {\n\tZ w\n}')).toBe(
      'Caddyfile:2 - Error during parsing: cannot specify headers in both arguments and block',
    );
  });

  it('request_header: request ops; `?` is refused', () => {
    expect(handler('request_header +X-Forwarded-Test yes')).toEqual({
      handler: 'headers',
      request: { add: { 'X-Forwarded-Test': ['yes'] } },
    });
    expect(handler('request_header -Cookie')).toEqual({ handler: 'headers', request: { delete: ['Cookie'] } });
    expect(handler('request_header Host example.com')).toEqual({
      handler: 'headers',
      request: { set: { Host: ['example.com'] } },
    });
    expect(handler('request_header X-A "(.*)" "$1-x"')).toEqual({
      handler: 'headers',
      request: { replace: { 'X-A': [{ search_regexp: '(.*)', replace: '$1-x' }] } },
    });
    expect(errorOf('request_header ?X y')).toContain(
      "the default header modifier ('?') can only be used on response headers",
    );
    expect(errorOf('request_header')).toContain('wrong argument count');
  });
});

describe('rewrite / method / uri / try_files', () => {
  it('rewrite: one argument is the target, two are matcher and target', () => {
    expect(routes('rewrite /index.html')).toEqual([{ handle: [{ handler: 'rewrite', uri: '/index.html' }] }]);
    expect(routes('rewrite /api/* /v2{uri}')).toEqual([
      { match: [{ path: ['/api/*'] }], handle: [{ handler: 'rewrite', uri: '/v2{uri}' }] },
    ]);
    expect(errorOf('rewrite')).toBe(
      'Caddyfile:1 - Error during parsing: too few arguments; must have at least a rewrite URI',
    );
    expect(errorOf('rewrite a b c')).toBe(
      'Caddyfile:1 - Error during parsing: too many arguments; should only be a matcher and a URI',
    );
  });
  it('method', () => {
    expect(handler('method POST')).toEqual({ handler: 'rewrite', method: 'POST' });
  });
  it('uri operations', () => {
    expect(handler('uri strip_prefix /api')).toEqual({ handler: 'rewrite', strip_path_prefix: '/api' });
    expect(handler('uri strip_suffix .php')).toEqual({ handler: 'rewrite', strip_path_suffix: '.php' });
    expect(handler('uri replace a b')).toEqual({ handler: 'rewrite', uri_substring: [{ find: 'a', replace: 'b' }] });
    expect(handler('uri replace a b 2')).toEqual({
      handler: 'rewrite',
      uri_substring: [{ find: 'a', replace: 'b', limit: 2 }],
    });
    expect(handler('uri path_regexp ^/(.*)$ /x/$1')).toEqual({
      handler: 'rewrite',
      path_regexp: [{ find: '^/(.*)$', replace: '/x/$1' }],
    });
    expect(errorOf('uri bogus')).toBe("Caddyfile:1 - Error during parsing: unrecognized URI manipulation 'bogus'");
    expect(errorOf('uri replace a b x')).toContain('limit must be an integer');
  });
  it('uri query: one op inline or several in a block', () => {
    expect(handler('uri query -secret')).toEqual({ handler: 'rewrite', query: { delete: ['secret'] } });
    expect(handler('uri query {\n\t+a 1\n\tb 2\n\told>new\n\tc ^x y\n\t-d\n}')).toEqual({
      handler: 'rewrite',
      query: {
        add: [{ key: 'a', val: '1' }],
        set: [{ key: 'b', val: '2' }],
        rename: [{ key: 'old', val: 'new' }],
        replace: [{ key: 'c', search_regexp: '^x', replace: 'y' }],
        delete: ['d'],
      },
    });
    expect(errorOf('uri query a 1 {\n\tb 2\n}')).toContain(
      'Cannot specify uri query rewrites in both argument and block',
    );
  });
  it('try_files: file matcher plus rewrite; query-bearing items get their own route, all grouped', () => {
    expect(routes('try_files {path} /index.php?{query}&p={path}')).toEqual([
      {
        group: 'group0',
        match: [{ file: { try_files: ['{path}'] } }],
        handle: [{ handler: 'rewrite', uri: '{http.matchers.file.relative}' }],
      },
      {
        group: 'group0',
        match: [{ file: { try_files: ['/index.php'] } }],
        handle: [{ handler: 'rewrite', uri: '{http.matchers.file.relative}?{query}&p={path}' }],
      },
    ]);
    expect(routes('try_files a b {\n\tpolicy smallest_size\n}')[0].match).toEqual([
      { file: { try_files: ['a', 'b'], try_policy: 'smallest_size' } },
    ]);
    expect(errorOf('try_files a {\n\tpolicy nope\n}')).toContain('unrecognized try policy: nope');
  });
});

describe('basic_auth / request_body / encode', () => {
  const hash = '$2a$14$Zkx19XLiW6VYouLHR5NmfOFU0z2GTNmpkT/5qqR7hx4IjWJPDhjvG';
  it('basic_auth keeps the hash string and the realm', () => {
    expect(handler(`basic_auth /secret/* bcrypt "My Realm" {\n\tBob ${hash}\n}`)).toEqual({
      handler: 'authentication',
      providers: {
        http_basic: {
          accounts: [{ username: 'Bob', password: hash }],
          hash: { algorithm: 'bcrypt' },
          hash_cache: {},
          realm: 'My Realm',
        },
      },
    });
    const { h, values } = run(`basicauth {\n\tBob ${hash}\n}`);
    expect((values[0].value as RouteJSON).handle![0].providers).toEqual({
      http_basic: { accounts: [{ username: 'Bob', password: hash }], hash: { algorithm: 'bcrypt' }, hash_cache: {} },
    });
    expect(h.warnings.map((w) => w.message)).toEqual([
      "the 'basicauth' directive is deprecated, please use 'basic_auth' instead!",
    ]);
    expect(errorOf('basic_auth md5 {\n\tBob x\n}')).toBe(
      'Caddyfile:1 - Error during parsing: unrecognized hash algorithm: md5',
    );
    expect(errorOf('basic_auth {\n\tBob\n}')).toBe(
      'Caddyfile:2 - Error during parsing: username and password cannot be empty or missing',
    );
  });
  it('request_body sizes follow go-humanize (KB decimal, KiB binary)', () => {
    expect(handler('request_body {\n\tmax_size 10MB\n}')).toEqual({ handler: 'request_body', max_size: 10_000_000 });
    expect(handler('request_body {\n\tmax_size 1KiB\n}').max_size).toBe(1024);
    expect(handler('request_body {\n\tmax_size 1.5k\n}').max_size).toBe(1500);
    expect(handler('request_body {\n\tmax_size 2048\n}').max_size).toBe(2048);
    expect(handler('request_body {\n\tset "{}"\n}')).toEqual({ handler: 'request_body', set: '{}' });
    expect(errorOf('request_body {\n\tmax_size 10QB\n}')).toBe(
      'Caddyfile:2 - Error during parsing: parsing max_size: unhandled size name: qb',
    );
    expect(errorOf('request_body {\n\tfoo\n}')).toBe(
      "Caddyfile:2 - Error during parsing: unrecognized request_body subdirective 'foo'",
    );
  });
  it('encode (golden encode_options.caddyfiletest)', () => {
    const text =
      'encode gzip zstd {\n\tminimum_length 256\n\tmatch {\n\t\tstatus 2xx 4xx 500\n\t\theader Content-Type text/*\n' +
      '\t\theader Content-Type application/json*\n\t}\n}';
    expect(handler(text)).toEqual({
      handler: 'encode',
      encodings: { gzip: {}, zstd: {} },
      match: { headers: { 'Content-Type': ['text/*', 'application/json*'] }, status_code: [2, 4, 500] },
      minimum_length: 256,
      prefer: ['gzip', 'zstd'],
    });
    expect(handler('encode {\n\tzstd {\n\t\tdisable_checksum\n\t}\n\tgzip 5\n}')).toEqual({
      handler: 'encode',
      encodings: { gzip: { level: 5 }, zstd: { checksum: false } },
      prefer: ['zstd', 'gzip'],
    });
    expect(handler('encode')).toEqual({
      handler: 'encode',
      encodings: { gzip: {}, zstd: {} },
      prefer: ['zstd', 'gzip'],
    });
    expect(errorOf('encode br')).toContain('http.encoders.br');
  });
});

describe('vars / map / root', () => {
  it('types unquoted values (golden map_and_vars_with_raw_types)', () => {
    expect(handler('vars foo bar')).toEqual({ handler: 'vars', foo: 'bar' });
    expect(handler('vars {\n\tabc true\n\tdef 1\n\tghi 2.3\n\tjkl "mn op"\n\tmno "5"\n}')).toEqual({
      handler: 'vars',
      abc: true,
      def: 1,
      ghi: 2.3,
      jkl: 'mn op',
      mno: '5',
    });
  });
  it('map: literal and ~regexp inputs, `-` as null, padded outputs and defaults', () => {
    const text =
      'map {http.request.host} {my_placeholder} {magic_number} {\n\texample.com true 3\n\tfoo.example.com "string value"\n' +
      '\t~.*\\.net$ - `7`\n\t~.*\\.xyz$ 123.456 "false"\n\tdefault "unknown domain"\n}';
    expect(handler(text)).toEqual({
      handler: 'map',
      source: '{http.request.host}',
      destinations: ['{my_placeholder}', '{magic_number}'],
      mappings: [
        { input: 'example.com', outputs: [true, 3] },
        { input: 'foo.example.com', outputs: ['string value', null] },
        { input_regexp: '.*\\.net$', outputs: [null, '7'] },
        { input_regexp: '.*\\.xyz$', outputs: [123.456, 'false'] },
      ],
      defaults: ['unknown domain', ''],
    });
    expect(errorOf('map {a} {http.request.host}')).toBe(
      'Caddyfile:1 - Error during parsing: destination {host} conflicts with a Caddyfile placeholder shorthand',
    );
    expect(errorOf('map {a} {b} {\n\tx 1 2\n}')).toBe('Caddyfile:2 - Error during parsing: too many outputs');
  });
  it('root: one argument is the path', () => {
    expect(routes('root /srv')).toEqual([{ handle: [{ handler: 'vars', root: '/srv' }] }]);
    expect(routes('root * /srv')).toEqual([{ handle: [{ handler: 'vars', root: '/srv' }] }]);
    expect(routes('root /a /srv')).toEqual([
      { match: [{ path: ['/a'] }], handle: [{ handler: 'vars', root: '/srv' }] },
    ]);
  });
});

describe('log', () => {
  const log = (text: string, state?: Map<string, unknown>): unknown => {
    const tokens = tokenize(text, 'Caddyfile');
    const h = new TestHelper(tokens, {});
    if (state) for (const [k, v] of state) h.state.set(k, v);
    const values = directiveParser('log')!(h);
    expect(values.map((v) => v.class)).toEqual(['custom_log']);
    return values[0].value;
  };
  it('a bare log has no name and no logger config', () => {
    expect(log('log')).toEqual({ name: '', hostnames: [], noHostname: false });
  });
  it('names unnamed configured logs log0, log1 … and includes the access logger', () => {
    expect(log('log {\n\toutput stderr\n\tformat json\n\tlevel DEBUG\n}')).toEqual({
      name: 'log0',
      hostnames: [],
      noHostname: false,
      log: {
        writer: { output: 'stderr' },
        encoder: { format: 'json' },
        level: 'DEBUG',
        include: ['http.log.access.log0'],
      },
    });
    expect((log('log {\n\toutput stdout\n}', new Map([['logCounter', 1]])) as { name: string }).name).toBe('log1');
  });
  it('file output roll options (golden log_roll_days.caddyfiletest)', () => {
    const text =
      'log one {\n\toutput file /var/log/access.log {\n\t\tmode 0644\n\t\tdir_mode 0755\n\t\troll_size 1gb\n\t\troll_uncompressed\n' +
      '\t\troll_compression none\n\t\troll_local_time\n\t\troll_keep 5\n\t\troll_keep_for 90d\n\t}\n}';
    expect((log(text) as { log: unknown }).log).toEqual({
      writer: {
        dir_mode: '0755',
        filename: '/var/log/access.log',
        mode: '0644',
        output: 'file',
        roll_compression: 'none',
        roll_gzip: false,
        roll_keep: 5,
        roll_keep_days: 90,
        roll_local_time: true,
        roll_size_mb: 954,
      },
      include: ['http.log.access.one'],
    });
    const two =
      'log two {\n\toutput file /var/log/access-2.log {\n\t\tmode 0777\n\t\troll_size 1gib\n\t\troll_interval 12h\n' +
      '\t\troll_at 00:00 06:00 12:00,18:00\n\t\troll_minutes 10 40 45,46\n\t}\n}';
    expect((log(two) as { log: { writer: unknown } }).log.writer).toEqual({
      filename: '/var/log/access-2.log',
      mode: '0777',
      output: 'file',
      roll_at: ['00:00', '06:00', '12:00', '18:00'],
      roll_interval: 43200000000000,
      roll_minutes: [10, 40, 45, 46],
      roll_size_mb: 1024,
    });
  });
  it('sampling, hostnames and no_hostname', () => {
    expect(log('log {\n\tsampling {\n\t\tinterval 5m\n\t\tfirst 50\n\t\tthereafter 40\n\t}\n}')).toEqual({
      name: 'log0',
      hostnames: [],
      noHostname: false,
      log: { sampling: { interval: 300000000000, first: 50, thereafter: 40 }, include: ['http.log.access.log0'] },
    });
    expect(log('log x {\n\thostnames a.com b.com\n\tno_hostname\n}')).toEqual({
      name: 'x',
      hostnames: ['a.com', 'b.com'],
      noHostname: true,
    });
  });
  it('errors', () => {
    expect(errorOf('log {\n\tlevel INFO\n\tlevel DEBUG\n}')).toBe(
      "Caddyfile:3 - Error during parsing: 'level' subdirective specified more than once in the same log block",
    );
    expect(errorOf('log {\n\tinclude a\n}')).toBe(
      'Caddyfile:2 - Error during parsing: include is not allowed in the log directive',
    );
    expect(errorOf('log {\n\tformat cbor\n}')).toBe(
      "Caddyfile:2 - Error during parsing: getting module named 'caddy.logging.encoders.cbor': module not registered: caddy.logging.encoders.cbor",
    );
  });
});

describe('log encoders', () => {
  const golden = (name: string): { caddyfile: string; logging: { logs: Record<string, { encoder?: unknown }> } } => {
    const text = readFileSync(`/work/shared/conformance/caddyfile_adapt/${name}.caddyfiletest`, 'utf8');
    const [caddyfile, json] = text.split('----------');
    return { caddyfile, logging: JSON.parse(json).logging };
  };
  /** The `log` block of a golden Caddyfile that holds only `:80` and one log directive. */
  const logBlock = (caddyfile: string): string => caddyfile.slice(caddyfile.indexOf('log {'));

  for (const name of ['log_filters', 'log_multiple_regexp_filters']) {
    it(`filter encoder as in ${name}.caddyfiletest`, () => {
      const g = golden(name);
      const v = directiveParser('log')!(new TestHelper(tokenize(logBlock(g.caddyfile), 'Caddyfile'), {}))[0].value as {
        log: { encoder: unknown };
      };
      expect(v.log.encoder).toEqual(g.logging.logs.log0.encoder);
    });
  }

  it('append encoder with typed fields (golden log_append_encoder)', () => {
    const g = golden('log_append_encoder');
    const tokens = tokenize(g.caddyfile, 'Caddyfile');
    // the global option form: same parser, the name defaults to `default`; it stops where the log block closes
    const v = parseLogBlock(
      new Dispenser(tokens.slice(tokens.findIndex((t) => t.text === 'log'))),
      new Map(),
      new Set(),
    );
    expect(v.name).toBe('default');
    expect(v.log?.encoder).toEqual(g.logging.logs.default.encoder);
  });
});

describe('file_server / log_skip / log_append / metrics / templates / tls / unsupported', () => {
  it('file_server hides the Caddyfile and keeps user hides first (golden file_server_hide_repeated)', () => {
    expect(handler('file_server {\n\thide first.txt\n\thide second.txt third.txt\n}')).toEqual({
      handler: 'file_server',
      hide: ['first.txt', 'second.txt', 'third.txt', './Caddyfile'],
    });
    expect(handler('file_server {\n\tdisable_canonical_uris\n\tpass_thru\n\tstatus 404\n\tprecompressed\n}')).toEqual({
      handler: 'file_server',
      canonical_uris: false,
      pass_thru: true,
      status_code: 404,
      precompressed: { br: {}, zstd: {}, gzip: {} },
      precompressed_order: ['br', 'zstd', 'gzip'],
      hide: ['./Caddyfile'],
    });
  });
  it('file_server browse is refused with file:line: static assets cannot be listed', () => {
    const refusal =
      /Caddyfile:3 - Error during parsing: valid in Caddy but not supported by Gatehouse: file_server browse \(static assets cannot be listed/;
    expect(() =>
      adaptCaddyfile(':80 {\n\troot * ./public\n\tfile_server browse\n}\n', { filename: 'Caddyfile', env: {} }),
    ).toThrow(refusal);
    expect(() =>
      adaptCaddyfile(':80 {\n\troot * ./public\n\tfile_server {\n\t\tbrowse\n\t}\n}\n', {
        filename: 'Caddyfile',
        env: {},
      }),
    ).toThrow(/Caddyfile:4 - .*file_server browse/);
  });
  it('log_skip / skip_log / log_append', () => {
    expect(routes('log_skip /health')).toEqual([
      { match: [{ path: ['/health'] }], handle: [{ handler: 'vars', log_skip: true }] },
    ]);
    expect(run('skip_log').h.warnings).toHaveLength(1);
    expect(handler('log_append const bar')).toEqual({ handler: 'log_append', key: 'const', value: 'bar' });
    expect(handler('log_append <early {path}')).toEqual({
      handler: 'log_append',
      key: 'early',
      value: '{path}',
      early: true,
    });
  });
  it('log_name and timeouts', () => {
    expect(handler('log_name access other')).toEqual({ handler: 'vars', access_logger_names: ['access', 'other'] });
    expect(handler('timeouts {\n\tread_timeout 5s 1000\n\twrite_timeout 1m\n\tmax_write_chunk 1KiB\n}')).toEqual({
      handler: 'timeouts',
      read_timeout: 5_000_000_000,
      read_min_rate: 1000,
      write_timeout: 60_000_000_000,
      max_write_chunk: 1024,
    });
    expect(errorOf('timeouts {\n\tread_timeout 1d\n}')).toBe(
      'Caddyfile:2 - Error during parsing: parsing read_timeout: time: invalid duration "1d"',
    );
  });
  it('metrics and templates', () => {
    expect(handler('metrics')).toEqual({ handler: 'metrics' });
    expect(handler('metrics /metrics {\n\tdisable_openmetrics\n}')).toEqual({
      handler: 'metrics',
      disable_openmetrics: true,
    });
    expect(handler('templates {\n\tmime text/html application/json\n\tbetween [[ ]]\n}')).toEqual({
      handler: 'templates',
      mime_types: ['text/html', 'application/json'],
      delimiters: ['[[', ']]'],
    });
  });
  it('tls is accepted as a no-op and recorded as ignored', () => {
    const { values, h } = run('tls internal');
    expect(values).toEqual([]);
    expect(h.state.get('ignored')).toEqual(new Set(['tls']));
  });
  it('tls accepts what Caddy accepts and refuses the rest in its words', () => {
    const adapt = (tls: string) => () =>
      adaptCaddyfile(`example.com {\n\t${tls}\n\trespond ok\n}\n`, { filename: 'Caddyfile', env: {} });
    const err = (line: number, msg: string) =>
      `parsing caddyfile tokens for 'tls': Caddyfile:${line} - Error during parsing: ${msg}`;
    for (const ok of [
      'tls internal',
      'tls cert.pem key.pem',
      'tls {\n\t\tprotocols tls1.2 tls1.3\n\t\tclient_auth {\n\t\t\tmode require\n\t\t}\n\t\tissuer acme {\n\t\t\tdir x\n\t\t}\n\t\ton_demand\n\t}',
    ]) {
      expect(adapt(ok), ok).not.toThrow();
    }
    expect(adapt('tls {\n\t\tbogus_option 1\n\t}')).toThrow(err(3, 'unknown subdirective: bogus_option'));
    expect(adapt('tls')).toThrow(err(2, "wrong argument count or unexpected line ending after 'tls'"));
    expect(adapt('tls a b c')).toThrow(err(2, "wrong argument count or unexpected line ending after 'c'"));
    expect(adapt('tls {\n\t\teab a\n\t}')).toThrow(err(3, "wrong argument count or unexpected line ending after 'a'"));
    expect(adapt('tls {\n\t\tprotocols tls1.9\n\t}')).toThrow(
      err(3, "Wrong protocol name or protocol not supported: 'tls1.9'"),
    );
    expect(adapt('tls {\n\t\tissuer bogus\n\t}')).toThrow(
      err(3, "getting module named 'tls.issuance.bogus': module not registered: tls.issuance.bogus"),
    );
  });
  it('edge-impossible directives are registered as unsupported with a reason', () => {
    for (const name of ['php_fastcgi', 'acme_server', 'fs', 'push', 'tracing']) {
      expect(directiveParser(name)).toBeUndefined();
      expect(unsupportedDirectiveReason(name)).toBeTruthy();
    }
  });
});
