import { describe, expect, it } from 'vitest';
import { compileMatcherSet, compileMatcherSets } from '../../src/http/matchers/index.ts';
import { compileTemplate } from '../../src/http/placeholders/index.ts';
import { HandlerError } from '../../src/http/types.ts';
import { ctxFor } from './context.ts';

const m = (set: Record<string, unknown>) => compileMatcherSet(set);
const req = (url: string, init: Parameters<typeof ctxFor>[1] = {}) => ctxFor(url, init);

describe('path', () => {
  const p = (patterns: string[], url: string) => m({ path: patterns })(req(`http://h${url}`));
  it('exact, case-insensitive', () => {
    expect(p(['/foo'], '/foo')).toBe(true);
    expect(p(['/foo'], '/FOO')).toBe(true);
    expect(p(['/Foo'], '/foo')).toBe(true);
    expect(p(['/foo'], '/foo/')).toBe(false);
  });
  it('prefix, suffix, substring, all', () => {
    expect(p(['/foo*'], '/foo')).toBe(true);
    expect(p(['/foo*'], '/foobar')).toBe(true);
    expect(p(['/foo/*'], '/foo')).toBe(false);
    expect(p(['/foo/*'], '/foo/x/y')).toBe(true);
    expect(p(['*.php'], '/a/b.php')).toBe(true);
    expect(p(['*.php'], '/a/b.phpx')).toBe(false);
    expect(p(['*/admin/*'], '/x/admin/y')).toBe(true);
    expect(p(['*'], '/anything')).toBe(true);
  });
  it('middle wildcards do not cross slashes', () => {
    expect(p(['/a/*/c'], '/a/b/c')).toBe(true);
    expect(p(['/a/*/c'], '/a/b/x/c')).toBe(false);
    expect(p(['/a/?/c'], '/a/b/c')).toBe(true);
    expect(p(['/[ab]x'], '/bx')).toBe(true);
  });
  it('cleans the request path and merges slashes unless the pattern has //', () => {
    expect(p(['/a/b'], '//a///b')).toBe(true);
    expect(p(['/a//b'], '/a//b')).toBe(true);
    expect(p(['/a//b'], '/a/b')).toBe(false);
    expect(p(['/foo/'], '/foo/')).toBe(true);
  });
  it('compares the decoded path, but escaped when the pattern has %', () => {
    expect(p(['/a b'], '/a%20b')).toBe(true);
    expect(p(['/a/b'], '/a%2Fb')).toBe(true);
    expect(p(['/a%2Fb'], '/a%2Fb')).toBe(true);
    expect(p(['/a%2Fb'], '/a/b')).toBe(false);
    expect(p(['/bands/%*/*'], '/bands/AC%2FDC/x')).toBe(true);
  });
  it('expands placeholders per request', () => {
    const ctx = req('http://h/users/bob', { headers: { 'X-User': 'bob' } });
    expect(m({ path: ['/users/{http.request.header.X-User}'] })(ctx)).toBe(true);
    expect(m({ path: ['/users/{http.request.header.X-Other}'] })(ctx)).toBe(false);
  });
});

describe('path_regexp', () => {
  it('captures under the matcher name and by index, case-sensitive', () => {
    const ctx = req('http://h/img/cat.png');
    expect(m({ path_regexp: { name: 'img', pattern: '^/img/(?P<file>\\w+)\\.(png|jpg)$' } })(ctx)).toBe(true);
    const t = compileTemplate('{re.img.1}-{re.img.2}-{http.regexp.img.file}-{re.file}-{http.regexp.0}');
    expect(t(ctx)).toBe('cat-png-cat-cat-/img/cat.png');
    expect(m({ path_regexp: { pattern: '^/IMG' } })(ctx)).toBe(false);
  });
  it('rejects bad patterns at compile time', () => {
    expect(() => m({ path_regexp: { pattern: '(' } })).toThrow(/compiling matcher regexp/);
  });
});

describe('host', () => {
  const h = (hosts: string[], url: string, headers: Record<string, string> = {}) =>
    m({ host: hosts })(req(url, { headers }));
  it('case-insensitive, ignores the port', () => {
    expect(h(['example.com'], 'http://EXAMPLE.com:8080/')).toBe(true);
    expect(h(['Example.COM'], 'http://example.com/')).toBe(true);
    expect(h(['example.com'], 'http://www.example.com/')).toBe(false);
  });
  it('* is exactly one label', () => {
    expect(h(['*.example.com'], 'http://a.example.com/')).toBe(true);
    expect(h(['*.example.com'], 'http://a.b.example.com/')).toBe(false);
    expect(h(['*.example.com'], 'http://example.com/')).toBe(false);
  });
  it('uses the Host header and placeholders', () => {
    expect(h(['{env.SITE}'], 'http://x.test/')).toBe(false);
    const ctx = req('http://x.test/', { env: { SITE: 'x.test' } });
    expect(m({ host: ['{env.SITE}'] })(ctx)).toBe(true);
  });
  it('duplicates are a config error', () => {
    expect(() => m({ host: ['a.com', 'A.com'] })).toThrow(/repeated/);
  });
});

describe('method', () => {
  it('uppercases configured values', () => {
    expect(m({ method: ['get', 'POST'] })(req('http://h/'))).toBe(true);
    expect(m({ method: ['POST'] })(req('http://h/'))).toBe(false);
  });
});

describe('header', () => {
  const ctx = () =>
    req('http://h.test:81/', { headers: { 'Content-Type': 'application/json; charset=utf-8', 'X-Id': 'abc' } });
  it('exact, wildcards, case-sensitive values', () => {
    expect(m({ header: { 'X-Id': ['abc'] } })(ctx())).toBe(true);
    expect(m({ header: { 'X-Id': ['ABC'] } })(ctx())).toBe(false);
    expect(m({ header: { 'Content-Type': ['application/json*'] } })(ctx())).toBe(true);
    expect(m({ header: { 'Content-Type': ['*utf-8'] } })(ctx())).toBe(true);
    expect(m({ header: { 'Content-Type': ['*json*'] } })(ctx())).toBe(true);
    expect(m({ header: { 'x-id': ['*'] } })(ctx())).toBe(true);
    expect(m({ header: { 'X-Nope': ['*'] } })(ctx())).toBe(false);
  });
  it('null means absent, [] means present; fields are ANDed, values ORed', () => {
    expect(m({ header: { 'X-Nope': null } })(ctx())).toBe(true);
    expect(m({ header: { 'X-Id': null } })(ctx())).toBe(false);
    expect(m({ header: { 'X-Id': [] } })(ctx())).toBe(true);
    expect(m({ header: { 'X-Nope': [] } })(ctx())).toBe(false);
    expect(m({ header: { 'X-Id': ['zzz', 'abc'], 'Content-Type': ['text/*'] } })(ctx())).toBe(false);
    expect(m({ header: { 'X-Id': ['zzz', 'abc'] } })(ctx())).toBe(true);
  });
  it('Host is the request host', () => {
    expect(m({ header: { Host: ['h.test:81'] } })(ctx())).toBe(true);
    expect(m({ header: { Host: ['h.test*'] } })(ctx())).toBe(true);
  });
  it('one field of literal values (the Set lookup): whole value, case-sensitive, names not', () => {
    const tenant = (headers: Record<string, string> | Headers) => req('http://h/', { headers });
    const t = m({ header: { 'X-Tenant': ['t1', 't2'] } });
    expect(t(tenant({ 'x-tenant': 't2' }))).toBe(true);
    expect(t(tenant({ 'X-TENANT': 't1' }))).toBe(true);
    expect(t(tenant({ 'X-Tenant': 'T1' }))).toBe(false);
    expect(t(tenant({ 'X-Tenant': 't1 ' }))).toBe(true); // the runtime trims field values
    expect(t(tenant({ 'X-Tenant': 't10' }))).toBe(false);
    expect(t(tenant({ 'X-Tenant': '' }))).toBe(false);
    expect(t(tenant({}))).toBe(false);
    // Repeated fields reach the matcher joined with ", ", as the general matcher sees them.
    const repeated = new Headers([
      ['X-Tenant', 't1'],
      ['X-Tenant', 't2'],
    ]);
    expect(t(tenant(repeated))).toBe(false);
    expect(m({ header: { 'X-Tenant': ['t1, t2'] } })(tenant(repeated))).toBe(true);
    // A literal with `*` or a placeholder is not looked up as it is.
    expect(m({ header: { 'X-Tenant': ['t*'] } })(tenant({ 'X-Tenant': 't9' }))).toBe(true);
    expect(m({ header: { 'X-Tenant': ['{http.request.host}'] } })(tenant({ 'X-Tenant': 'h' }))).toBe(true);
  });
});

describe('header_regexp', () => {
  it('matches and captures', () => {
    const ctx = req('http://h/', { headers: { Cookie: 'sid=1234' } });
    expect(m({ header_regexp: { Cookie: { name: 'c', pattern: 'sid=(\\d+)' } } })(ctx)).toBe(true);
    expect(compileTemplate('{re.c.1}')(ctx)).toBe('1234');
    expect(m({ header_regexp: { 'X-None': { pattern: '.*' } } })(ctx)).toBe(false);
  });
});

describe('query', () => {
  const q = (json: Record<string, unknown>, qs: string) => m({ query: json })(req(`http://h/${qs}`));
  it('key=value, OR within a key, AND across keys', () => {
    expect(q({ a: ['1'] }, '?a=1')).toBe(true);
    expect(q({ a: ['2', '1'] }, '?a=1')).toBe(true);
    expect(q({ a: ['1'], b: ['2'] }, '?a=1')).toBe(false);
    expect(q({ a: ['1'], b: ['2'] }, '?b=2&a=1')).toBe(true);
    expect(q({ a: ['x y'] }, '?a=x+y')).toBe(true);
  });
  it('* = present with any value; {} = no query', () => {
    expect(q({ a: ['*'] }, '?a=')).toBe(true);
    expect(q({ a: ['*'] }, '?b=1')).toBe(false);
    expect(q({}, '')).toBe(true);
    expect(q({}, '?a=1')).toBe(false);
  });
  it('a malformed query never matches', () => {
    expect(q({ a: ['1'] }, '?a=1;b=2')).toBe(false);
    expect(q({ a: ['*'] }, '?a=%zz')).toBe(false);
  });
});

describe('remote_ip / client_ip', () => {
  const ip = (ranges: string[], addr: string, matcher = 'remote_ip') =>
    m({ [matcher]: { ranges } })(req('http://h/', { remoteIp: addr }));
  it('CIDR, bare IPs, IPv6', () => {
    expect(ip(['10.0.0.0/8'], '10.1.2.3')).toBe(true);
    expect(ip(['10.0.0.0/8'], '11.1.2.3')).toBe(false);
    expect(ip(['192.0.2.1'], '192.0.2.1')).toBe(true);
    expect(ip(['192.0.2.1'], '192.0.2.2')).toBe(false);
    expect(ip(['2001:db8::/32'], '2001:db8:1::5')).toBe(true);
    expect(ip(['2001:db8::/32'], '2001:db9::5')).toBe(false);
    expect(ip(['::1'], '::1')).toBe(true);
    expect(ip(['10.0.0.0/8'], '::ffff:10.0.0.1')).toBe(false);
  });
  it('private_ranges', () => {
    expect(ip(['private_ranges'], '172.20.0.1')).toBe(true);
    expect(ip(['private_ranges'], '127.0.0.1')).toBe(true);
    expect(ip(['private_ranges'], '8.8.8.8')).toBe(false);
  });
  it('zones', () => {
    expect(ip(['fe80::1%eth0'], 'fe80::1%eth0')).toBe(true);
    expect(ip(['fe80::1%eth0'], 'fe80::1%eth1')).toBe(false);
  });
  it('at the edge the client is CF-Connecting-IP', () => {
    const ctx = req('http://h/', { headers: { 'CF-Connecting-IP': '203.0.113.50' }, remoteIp: '10.0.0.1' });
    expect(m({ remote_ip: { ranges: ['203.0.113.0/24'] } })(ctx)).toBe(true);
    expect(m({ client_ip: { ranges: ['203.0.113.0/24'] } })(ctx)).toBe(true);
  });
  it('client_ip follows the client_ip var set by trusted proxies', () => {
    const ctx = req('http://h/', { remoteIp: '10.0.0.1' });
    ctx.vars.set('client_ip', '198.51.100.9');
    expect(m({ client_ip: { ranges: ['198.51.100.0/24'] } })(ctx)).toBe(true);
    expect(m({ remote_ip: { ranges: ['198.51.100.0/24'] } })(ctx)).toBe(false);
  });
  it('bad ranges and the removed forwarded option are config errors', () => {
    expect(() => m({ remote_ip: { ranges: ['10.0.0.0/99'] } })).toThrow(/CIDR/);
    expect(() => m({ remote_ip: { ranges: ['nope'] } })).toThrow(/invalid IP/);
    expect(() => m({ remote_ip: { forwarded: true, ranges: [] } })).toThrow(/client_ip/);
  });
});

describe('protocol', () => {
  it('http, https, grpc, versions', () => {
    expect(m({ protocol: 'https' })(req('https://h/'))).toBe(true);
    expect(m({ protocol: 'http' })(req('https://h/'))).toBe(false);
    expect(m({ protocol: 'grpc' })(req('http://h/', { headers: { 'content-type': 'application/grpc+proto' } }))).toBe(
      true,
    );
    expect(m({ protocol: 'http/1.1' })(req('http://h/'))).toBe(true);
    expect(m({ protocol: 'http/2' })(req('http://h/'))).toBe(false);
    expect(m({ protocol: 'http/1.0+' })(req('http://h/'))).toBe(true);
    expect(m({ protocol: 'http/2+' })(req('http://h/'))).toBe(false);
  });
});

describe('not, vars, vars_regexp', () => {
  it('not is true iff none of its sets match', () => {
    const ctx = req('http://h/api/x');
    expect(m({ not: [{ path: ['/api/*'] }] })(ctx)).toBe(false);
    expect(m({ not: [{ path: ['/web/*'] }, { method: ['POST'] }] })(ctx)).toBe(true);
    expect(m({ not: [{ path: ['/web/*'] }, { method: ['GET'] }] })(ctx)).toBe(false);
  });
  it('vars compares variables and placeholders; keys are ORed', () => {
    const ctx = req('http://h/', { headers: { 'X-Env': 'prod' } });
    ctx.vars.set('tier', 'gold');
    ctx.vars.set('n', 5);
    expect(m({ vars: { tier: ['silver', 'gold'] } })(ctx)).toBe(true);
    expect(m({ vars: { n: ['5'] } })(ctx)).toBe(true);
    expect(m({ vars: { tier: ['x'], '{http.request.header.X-Env}': ['prod'] } })(ctx)).toBe(true);
    expect(m({ vars: { missing: [''] } })(ctx)).toBe(true);
    expect(m({ vars: { tier: ['{http.request.header.X-Env}'] } })(ctx)).toBe(false);
  });
  it('vars_regexp captures', () => {
    const ctx = req('http://h/');
    ctx.vars.set('user', 'id-42');
    expect(m({ vars_regexp: { user: { name: 'u', pattern: '^id-(\\d+)$' } } })(ctx)).toBe(true);
    expect(compileTemplate('{re.u.1}')(ctx)).toBe('42');
  });
});

describe('sets and errors', () => {
  it('AND within a set, OR across sets, empty = all', () => {
    const ctx = req('http://h/a', { method: 'POST' });
    expect(compileMatcherSets(undefined)(ctx)).toBe(true);
    expect(compileMatcherSets([])(ctx)).toBe(true);
    expect(compileMatcherSets([{ path: ['/a'], method: ['GET'] }])(ctx)).toBe(false);
    expect(compileMatcherSets([{ path: ['/a'], method: ['GET'] }, { method: ['POST'] }])(ctx)).toBe(true);
  });
  it('unknown matchers and bad file matcher fields fail at compile time', () => {
    expect(() => compileMatcherSets([{ nope: [] }])).toThrow(/unknown matcher module 'nope'/);
    expect(() => compileMatcherSets([{ file: { try_files: ['{path}'], hidden: true } }])).toThrow(
      /file: unsupported field "hidden"/,
    );
  });
});

describe('expression (CEL subset)', () => {
  const e = (expr: string, ctx = req('http://h.test/api/v1?x=1', { method: 'POST', headers: { 'X-Key': 'abc' } })) =>
    m({ expression: expr })(ctx);
  it('placeholders and string comparisons', () => {
    expect(e("{method} == 'POST'")).toBe(true);
    expect(e('{http.request.method} != "POST"')).toBe(false);
    expect(e("{path}.startsWith('/api') && {path}.endsWith('v1')")).toBe(true);
    expect(e("{path}.contains('pi/v') || false")).toBe(true);
    expect(e("{header.X-Key}.matches('^a.c$')")).toBe(true);
    expect(e("!({host} == 'other.test')")).toBe(true);
    expect(e('size({path}) == 7')).toBe(true);
  });
  it('matcher functions', () => {
    expect(e("path('/api/*')")).toBe(true);
    expect(e("path('/web/*', '/api/v1')")).toBe(true);
    expect(e("host('h.test') && method('POST')")).toBe(true);
    expect(e("header({'X-Key': 'abc'})")).toBe(true);
    expect(e("header({'X-Key': ['no', 'ab*']})")).toBe(true);
    expect(e("query({'x': '1'})")).toBe(true);
    expect(e("query({'x': '2'})")).toBe(false);
    expect(e("remote_ip('203.0.113.0/24')")).toBe(true);
    expect(e("client_ip('private_ranges')")).toBe(false);
    expect(e("protocol('http')")).toBe(true);
    expect(e("!path('/api/*') || method('GET')")).toBe(false);
  });
  it('path_regexp captures under the expression name', () => {
    const ctx = req('http://h/u/42');
    expect(m({ expression: { expr: "path_regexp('^/u/(\\\\d+)$')", name: 'user' } })(ctx)).toBe(true);
    expect(compileTemplate('{re.user.1}')(ctx)).toBe('42');
  });
  it('handle_errors forms: int status codes, in, ranges', () => {
    const ctx = req('http://h/');
    ctx.error = new HandlerError(404, 'x');
    expect(e('{http.error.status_code} in [404, 410]', ctx)).toBe(true);
    expect(e('{http.error.status_code} >= 400 && {http.error.status_code} <= 499', ctx)).toBe(true);
    expect(
      e('{http.error.status_code} >= 300 && {http.error.status_code} <= 399 || {http.error.status_code} in [500]', ctx),
    ).toBe(false);
    expect(e('{http.error.status_code} in [410]', req('http://h/'))).toBe(false);
  });
  it('runtime type errors do not match', () => {
    expect(e('{method} < 3')).toBe(false);
  });
  it('\\{x} stays literal text', () => {
    expect(e("'\\{foo.bar}' == '{' + 'foo.bar}'")).toBe(true);
  });
  it('unsupported CEL is a compile-time error', () => {
    expect(() => m({ expression: '{path}.split("/")' })).toThrow(/unsupported method \.split/);
    expect(() => m({ expression: 'timestamp("2020-01-01T00:00:00Z") > now' })).toThrow(
      /unsupported function timestamp/,
    );
    expect(() => m({ expression: '1 * 2 == 2' })).toThrow(/not supported/);
    expect(() => m({ expression: 'req.method == "GET"' })).toThrow(/unknown identifier 'req'/);
    expect(() => m({ expression: 'path({path})' })).toThrow(/must be literals/);
    expect(() => m({ expression: "{method} == 'GET" })).toThrow(/unterminated string/);
    expect(() => m({ expression: '[1].exists(x, x > 0)' })).toThrow(/unsupported method/);
    expect(() => m({ expression: "file('/index.html')" })).toThrow(/file\(\) in an expression is not supported/);
  });
});

// Request paths and the verdict Caddy gives for them (its path matcher semantics), run through our matcher.
const PATH_CASES: Array<[string[], string, boolean]> = [
  [[], '/', false],
  [['/'], '/', true],
  [['/foo/bar'], '/', false],
  [['/foo/bar'], '/foo/bar', true],
  [['/foo/bar/'], '/foo/bar', false],
  [['/foo/bar/'], '/foo/bar/', true],
  [['/foo/bar/', '/other'], '/other/', false],
  [['/foo/bar/', '/other'], '/other', true],
  [['*.ext'], '/foo/bar.ext', true],
  [['*.php'], '/index.PHP', true],
  [['*.ext'], '/foo/bar.ext', true],
  [['/foo/*/baz'], '/foo/bar/baz', true],
  [['/foo/*/baz/bam'], '/foo/bar/bam', false],
  [['*substring*'], '/foo/substring/bar.txt', true],
  [['/foo'], '/foo/bar', false],
  [['/foo'], '/foo/bar', false],
  [['/foo'], '/FOO', true],
  [['/foo*'], '/FOOOO', true],
  [['/foo/bar.txt'], '/foo/BAR.txt', true],
  [['/foo*'], '//foo/bar', true],
  [['/foo'], '//foo', true],
  [['//foo'], '/foo', false],
  [['//foo'], '//foo', true],
  [['/foo//*'], '/foo//bar', true],
  [['/foo//*'], '/foo/%2Fbar', true],
  [['/foo/%2F*'], '/foo/%2Fbar', true],
  [['/foo/%2F*'], '/foo//bar', false],
  [['/foo//bar'], '/foo//bar', true],
  [['/foo/*//bar'], '/foo///bar', true],
  [['/foo/%*//bar'], '/foo///bar', true],
  [['/foo/%*//bar'], '/foo//%2Fbar', true],
  [['/foo*'], '/%2F/foo', true],
  [['*'], '/', true],
  [['*'], '/foo/bar', true],
  [['**'], '/', true],
  [['**'], '/foo/bar', true],
  [['/%25@.txt'], '/%25@.txt', true],
  [['/%25@.txt'], '/%25%40.txt', true],
  [['/%25%40.txt'], '/%25%40.txt', true],
  [['/bands/*/*'], '/bands/AC%2FDC/T.N.T', false],
  [['/bands/%*/%*'], '/bands/AC%2FDC/T.N.T', true],
  [['/bands/%*/%*'], '/bands/AC/DC/T.N.T', false],
  [['/bands/%*'], '/bands/AC/DC', false],
  [['/bands/%*'], '/bands/AC%2FDC', true],
  [['/foo%2fbar/baz'], '/foo%2Fbar/baz', true],
  [['/foo%2fbar/baz'], '/foo/bar/baz', false],
  [['/foo/bar/baz'], '/foo%2fbar/baz', true],
  [['/admin%2fpanel'], '/ADMIN%2fpanel', true],
  [['/admin%2fpa*el'], '/ADMIN%2fPaAzZLm123NEL', true],
  [['/foo%2fbar'], '/foo%2fbarbaz', false],
  [['/foo%2f'], '/foo%2fx', false],
  [['/admin%2fpanel'], '/admin%2fpanelX', false],
];

describe('path: behaviour table', () => {
  for (const [patterns, input, want] of PATH_CASES) {
    it(`${JSON.stringify(patterns)} vs ${input} → ${want}`, () => {
      expect(m({ path: patterns })(req(`http://h${input}`))).toBe(want);
    });
  }
});

describe('host and query: more cases', () => {
  const h = (hosts: string[], host: string, env: Record<string, unknown> = {}) =>
    m({ host: hosts })(req(`http://${host}/`, { env }));
  it('host', () => {
    expect(h([], 'example.com')).toBe(false);
    expect(h(['éxàmplê.com'], 'xn--xmpl-0na6cm.com')).toBe(true);
    expect(h(['*.example.net', '*.*.example.com'], 'foo.bar.example.com')).toBe(true);
    expect(h(['*.example.net', 'sub.*.example.com'], 'sub.foo.example.com')).toBe(true);
    expect(h(['*.example.net', 'sub.*.example.com'], 'sub.foo.example.net')).toBe(false);
    expect(h(['www.*.*'], 'www.example.com')).toBe(true);
    expect(h(['example.com'], 'example.com:5555')).toBe(true);
    expect(h(['{env.NOPE}'], 'localhost')).toBe(false);
    expect(h(['::1'], '[::1]:8080')).toBe(true);
  });
  it('query', () => {
    const q = (json: Record<string, unknown>, qs: string, vars: Record<string, string> = {}) => {
      const ctx = req(`http://h/${qs}`);
      for (const [k, v] of Object.entries(vars)) ctx.vars.set(k, v);
      return m({ query: json })(ctx);
    };
    expect(q({ debug: [''] }, '?debug')).toBe(true);
    expect(q({ debug: [''] }, '?someparam')).toBe(false);
    expect(q({}, '?')).toBe(true);
    expect(q({ '': null }, '?')).toBe(false);
    expect(q({ debug: ['{http.vars.debug}'] }, '?debug=1', { debug: '1' })).toBe(true);
    expect(q({ '{http.vars.key}': ['1'] }, '?somekey=1', { key: 'somekey' })).toBe(true);
    expect(q({ debug: ['1'] }, '?debug=1&debug=2')).toBe(true);
    expect(q({ debug: ['1'], foo: ['bar'] }, '?debug=2&foo=bar')).toBe(false);
  });
});
