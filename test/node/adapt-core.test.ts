import { describe, expect, it } from 'vitest';
import { normalizeAddress, parseAddress, specificity } from '../../src/adapt/addresses.ts';
import type { ConfigValue } from '../../src/adapt/helper.ts';
import { adaptCaddyfile } from '../../src/adapt/index.ts';
import { goSliceStable } from '../../src/adapt/go-sort.ts';
import { DEFAULT_DIRECTIVE_ORDER, parseOrderOption } from '../../src/adapt/order.ts';
import { expandShorthands } from '../../src/adapt/shorthands.ts';
import { sortRoutes } from '../../src/adapt/sort.ts';
import { Dispenser } from '../../src/caddyfile/dispenser.ts';
import { tokenize } from '../../src/caddyfile/lexer.ts';

describe('site addresses', () => {
  it('splits scheme, host, port and path', () => {
    expect(parseAddress('https://Example.com:8443/api')).toMatchObject({
      scheme: 'https',
      host: 'Example.com',
      port: '8443',
      path: '/api',
    });
    expect(normalizeAddress(parseAddress('HTTP://EXAMPLE.com')).host).toBe('example.com');
    expect(parseAddress(':8080')).toMatchObject({ host: '', port: '8080' });
    expect(parseAddress('[::1]:443')).toMatchObject({ host: '::1', port: '443' });
    expect(parseAddress('*.example.com')).toMatchObject({ host: '*.example.com', port: '' });
  });
  it('rejects bad ports like Caddy', () => {
    expect(() => parseAddress('example.com:99999')).toThrow('port 99999 is out of range');
    expect(() => parseAddress('example.com:abc')).toThrow("invalid port 'abc'");
  });
  it('keeps placeholders in hosts as written', () => {
    expect(normalizeAddress(parseAddress('{Env.HOST}')).host).toBe('{Env.HOST}');
  });
  it('measures specificity without wildcards and placeholders', () => {
    expect(specificity('*.example.com')).toBe(12);
    expect(specificity('{x}.com')).toBe(4);
  });
});

describe('directive order', () => {
  const opt = (line: string): string[] =>
    parseOrderOption(new Dispenser(tokenize(line, 'Caddyfile')), DEFAULT_DIRECTIVE_ORDER);
  it('moves a directive before or after another', () => {
    const o = opt('order respond before redir');
    expect(o.indexOf('respond')).toBe(o.indexOf('redir') - 1);
    const p = opt('order header last');
    expect(p[p.length - 1]).toBe('header');
  });
  it('rejects unknown positions', () => {
    expect(() => opt('order respond sideways')).toThrow("unknown positional 'sideways'");
  });
});

describe('route sorting', () => {
  const route = (directive: string, path?: string): ConfigValue => ({
    class: 'route',
    directive,
    value: path
      ? { match: [{ path: [path] }], handle: [{ handler: directive }] }
      : { handle: [{ handler: directive }] },
  });
  it('orders by directive, then longer paths first, matchers before catch-alls', () => {
    const vals = [route('respond'), route('respond', '/a'), route('respond', '/abc*'), route('header')];
    sortRoutes(vals, DEFAULT_DIRECTIVE_ORDER);
    expect(vals.map((v) => `${v.directive}:${JSON.stringify((v.value as { match?: unknown }).match ?? '')}`)).toEqual([
      'header:""',
      'respond:[{"path":["/abc*"]}]',
      'respond:[{"path":["/a"]}]',
      'respond:""',
    ]);
  });
});

describe('shorthands', () => {
  it('expands fixed and prefixed placeholders', () => {
    expect(expandShorthands('{path}?{query}')).toBe('{http.request.uri.path}?{http.request.uri.query}');
    expect(expandShorthands('{header.X-Id}')).toBe('{http.request.header.X-Id}');
    expect(expandShorthands('{re.name.1}')).toBe('{http.regexp.name.1}');
  });
});

describe('adaptCaddyfile', () => {
  it('pairs sites by port and wraps host routes in terminal subroutes', () => {
    const { config } = adaptCaddyfile('a.com {\n\trespond "a"\n}\n:8080 {\n\trespond "b"\n}\n', {
      filename: 'Caddyfile',
    });
    const servers = config.apps?.http?.servers ?? {};
    expect(servers.srv0.listen).toEqual([':443']);
    expect(servers.srv0.routes?.[0]).toMatchObject({ match: [{ host: ['a.com'] }], terminal: true });
    expect(servers.srv1.listen).toEqual([':8080']);
    expect(servers.srv1.routes?.[0].handle?.[0]).toMatchObject({ handler: 'static_response', body: 'b' });
  });
  it('reports unknown global options as Caddy does', () => {
    expect(() => adaptCaddyfile('{\n\tbogus\n}\n:80\n', { filename: 'Caddyfile' })).toThrow(
      'Caddyfile:2: unrecognized global option: bogus',
    );
  });
});

describe('adaptCaddyfile servers and grouping', () => {
  const adapt = (text: string) => adaptCaddyfile(text, { filename: 'Caddyfile' }).config;

  it('rejects HTTP and HTTPS sites on one listener', () => {
    expect(() => adapt('http://a.com:8080 {\n}\nhttps://b.com:8080 {\n}\n')).toThrow(
      'server listening on [:8080] is configured for HTTP and cannot natively multiplex HTTP and HTTPS: https://b.com:8080',
    );
  });

  it('rejects the same key in two sites', () => {
    expect(() => adapt(':8080 {\n}\n:8080 {\n}\n')).toThrow('ambiguous site definition: :8080');
  });

  it('applies `servers` options to the matching listener and renames the server', () => {
    const cfg = adapt(
      '{\n\tservers :8080 {\n\t\tname api\n\t\ttimeouts {\n\t\t\tidle 30s\n\t\t}\n\t}\n}\n:8080 {\n}\n:9090 {\n}\n',
    );
    const servers = cfg.apps?.http?.servers ?? {};
    expect(Object.keys(servers).sort()).toEqual(['api', 'srv1']);
    expect(servers.api.idle_timeout).toBe(30_000_000_000);
    expect(servers.srv1.idle_timeout).toBeUndefined();
  });

  it('groups sibling handle blocks and merges routes with equal matchers', () => {
    const cfg = adapt(
      ':80 {\n\thandle /a {\n\t\trespond 1\n\t}\n\thandle {\n\t\trespond 2\n\t}\n\theader X-A 1\n\theader X-B 2\n}\n',
    );
    const routes = cfg.apps?.http?.servers?.srv0.routes ?? [];
    // the two header lines share (no) matcher and become one route with two handlers
    expect(routes[0].handle?.map((h) => h.handler)).toEqual(['headers', 'headers']);
    // each handle body's own subroute took a group name first (Caddy reserves one per block for rewrite)
    expect(routes.slice(1).map((r) => r.group)).toEqual(['group2', 'group2']);
    expect(routes[1].match).toEqual([{ path: ['/a'] }]);
  });

  it('lets `order` place a directive', () => {
    const cfg = adapt('{\n\torder respond first\n}\n:80 {\n\theader X-A 1\n\trespond 2\n}\n');
    const routes = cfg.apps?.http?.servers?.srv0.routes ?? [];
    expect(routes[0].handle?.map((h) => h.handler)).toEqual(['static_response', 'headers']);
  });

  it('leaves the default ports out of the hosts the access log skips, as `caddy adapt` does', () => {
    const site = (addr: string, log: boolean) => `${addr} {\n${log ? '\tlog\n' : ''}\trespond x\n}\n`;
    const cfg = adapt(
      site('a.com:80', true) +
        site('b.com:80, http://c.com', false) +
        site('d.com:443', true) +
        site('e.com:443', false) +
        site('f.com:8080', true) +
        site('g.com:8080', false),
    );
    const skipped = Object.values(cfg.apps?.http?.servers ?? {}).map(
      (s) => (s.logs as { skip_hosts?: string[] }).skip_hosts,
    );
    expect(skipped).toEqual([['e.com'], ['b.com', 'c.com'], ['g.com:8080']]);
  });

  it('rejects `order` relative to an unknown directive', () => {
    expect(() => adapt('{\n\torder respond before nope\n}\n:80\n')).toThrow("directive 'nope' not found");
  });
});

describe('formatting warning', () => {
  it('points at the first line that caddy fmt would change', () => {
    const { warnings } = adaptCaddyfile(':80 {\n\trespond 1\n      respond 2\n}\n', { filename: 'Caddyfile' });
    expect(warnings).toContainEqual({
      file: 'Caddyfile',
      line: 3,
      message: "Caddyfile input is not formatted; run 'caddy fmt --overwrite' to fix inconsistencies",
    });
    expect(adaptCaddyfile(':80 {\n\trespond 1\n}\n', { filename: 'Caddyfile' }).warnings).toEqual([]);
  });
});

describe('certificate-only global options', () => {
  it('are accepted, left out of the JSON and reported as ignored', () => {
    const r = adaptCaddyfile('{\n\temail a@b.c\n\tlocal_certs\n}\n:80 {\n\trespond 1\n}\n', { filename: 'Caddyfile' });
    expect(r.ignored).toEqual(['email', 'local_certs']);
    expect(Object.keys(r.config.apps ?? {})).toEqual(['http']);
  });
});

describe("Go's stable sort", () => {
  it('keeps equal elements in order for a strict comparator, past one insertion block', () => {
    const data = Array.from({ length: 45 }, (_, i) => ({ k: i % 3, i }));
    goSliceStable(data, (a, b) => a.k < b.k);
    expect(data.map((x) => x.k)).toEqual([...Array(15).fill(0), ...Array(15).fill(1), ...Array(15).fill(2)]);
    expect(data.filter((x) => x.k === 1).map((x) => x.i)).toEqual(Array.from({ length: 15 }, (_, n) => 3 * n + 1));
  });
  it('reverses catch-all `vars` routes as Caddy does (its comparator claims each is less than the other)', () => {
    const vals: ConfigValue[] = ['a', 'b'].map((n) => ({
      class: 'route',
      directive: 'vars',
      value: { handle: [{ handler: 'vars', n }] },
    }));
    sortRoutes(vals, DEFAULT_DIRECTIVE_ORDER);
    expect(vals.map((v) => (v.value as { handle: { n: string }[] }).handle[0].n)).toEqual(['b', 'a']);
  });
});

describe('trusted_proxies cloudflare (the caddy-cloudflare-ip plugin)', () => {
  const adapt = (opt: string) =>
    adaptCaddyfile(`{\n\tservers {\n\t\t${opt}\n\t}\n}\n:80 {\n\trespond ok\n}\n`, { filename: 'Caddyfile', env: {} });
  it('adapts to the plugin source, with its interval and timeout', () => {
    expect(adapt('trusted_proxies cloudflare').config.apps?.http?.servers?.srv0.trusted_proxies).toEqual({
      source: 'cloudflare',
    });
    const withBlock = adapt('trusted_proxies cloudflare {\n\t\t\tinterval 12h\n\t\t\ttimeout 15s\n\t\t}');
    expect(withBlock.config.apps?.http?.servers?.srv0.trusted_proxies).toEqual({
      source: 'cloudflare',
      interval: 12 * 3600e9,
      timeout: 15e9,
    });
  });
  it('rejects what the plugin rejects, and still refuses other fetched sources', () => {
    expect(() => adapt('trusted_proxies cloudflare 1.2.3.4/8')).toThrow(
      /Caddyfile:3 - Error during parsing: wrong argument count/,
    );
    expect(() => adapt('trusted_proxies cloudflare {\n\t\t\tbogus 1\n\t\t}')).toThrow(
      'Caddyfile:4 - Error during parsing: unrecognized subdirective bogus',
    );
    expect(() => adapt('trusted_proxies fastly')).toThrow(/not supported by Gatehouse: trusted_proxies fastly/);
  });
});
