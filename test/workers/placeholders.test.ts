import { describe, expect, it } from 'vitest';
import { compileTemplate, resolvePlaceholder } from '../../src/http/placeholders/index.ts';
import { HandlerError } from '../../src/http/types.ts';
import { ctxFor, rewriteTo } from './context.ts';

const all = (s: string, ctx = base()): string => compileTemplate(s)(ctx);
const known = (s: string, ctx = base()): string => compileTemplate(s, { unknown: 'keep' })(ctx);
const base = () =>
  ctxFor('https://Example.com:8443/a/b/c.tar.gz?x=1&x=2&y=%20z', {
    headers: { 'X-Multi': 'a', cookie: 'Session=abc; other="q"', 'user-agent': 'ua' },
    env: { API_KEY: 'k1', BINDING: { fetch() {} } },
    remoteIp: '198.51.100.4',
    remotePort: '1234',
  });

describe('template syntax', () => {
  it('returns constants unchanged and unescapes braces', () => {
    expect(all('plain')).toBe('plain');
    expect(all('\\{host\\}')).toBe('{host}');
    expect(all('a\\}b')).toBe('a}b');
  });
  it('ReplaceAll empties unknown placeholders, ReplaceKnown keeps them', () => {
    expect(all('x{nope.unknown}y')).toBe('xy');
    expect(known('x{nope.unknown}y')).toBe('x{nope.unknown}y');
  });
  it('still replaces a known placeholder nested inside a kept unknown one', () => {
    expect(known('{a{http.request.method}}')).toBe('{aGET}');
  });
  it('keeps JSON bodies intact under ReplaceKnown, even very large ones', () => {
    const body = '{"a":{"b":"{http.request.method}"}}';
    expect(known(body)).toBe('{"a":{"b":"GET"}}');
    const big = `${'{"x":'.repeat(20000)}1${'}'.repeat(20000)}`;
    expect(known(big)).toBe(big);
  });
  it('leaves unclosed braces as text', () => {
    expect(all('a{http.request.method')).toBe('a{http.request.method');
    expect(all('{http.request.method}{')).toBe('GET{');
  });
  it('writes the empty substitute for empty values', () => {
    expect(compileTemplate('[{http.request.header.missing}]', { empty: '-' })(base())).toBe('[-]');
  });
});

describe('http.request placeholders', () => {
  const cases: Array<[string, string]> = [
    ['http.request.method', 'GET'],
    ['http.request.uri', '/a/b/c.tar.gz?x=1&x=2&y=%20z'],
    ['http.request.uri.path', '/a/b/c.tar.gz'],
    ['http.request.uri.path.0', 'a'],
    ['http.request.uri.path.2', 'c.tar.gz'],
    ['http.request.uri.path.9', ''],
    ['http.request.uri.path.dir', '/a/b/'],
    ['http.request.uri.path.file', 'c.tar.gz'],
    ['http.request.uri.path.file.base', 'c.tar'],
    ['http.request.uri.path.file.ext', '.gz'],
    ['http.request.uri.query', 'x=1&x=2&y=%20z'],
    ['http.request.uri.prefixed_query', '?x=1&x=2&y=%20z'],
    ['http.request.uri.query.x', '1,2'],
    ['http.request.uri.query.y', ' z'],
    ['http.request.uri.query.none', ''],
    ['http.request.host', 'example.com'],
    ['http.request.hostport', 'example.com:8443'],
    ['http.request.port', '8443'],
    ['http.request.scheme', 'https'],
    ['http.request.proto', 'HTTP/1.1'],
    ['http.request.remote', '198.51.100.4:1234'],
    ['http.request.remote.host', '198.51.100.4'],
    ['http.request.remote.port', '1234'],
    ['http.request.header.x-multi', 'a'],
    ['http.request.header.User-Agent', 'ua'],
    ['http.request.header.absent', ''],
    ['http.request.cookie.session', 'abc'],
    ['http.request.cookie.other', 'q'],
    ['http.request.host.labels.0', 'com'],
    ['http.request.host.labels.1', 'example'],
    ['http.request.tls.server_name', 'example.com'],
    ['system.hostname', 'gatehouse'],
    ['env.API_KEY', 'k1'],
    ['env.MISSING', ''],
    ['env.BINDING', ''],
  ];
  for (const [key, want] of cases) it(key, () => expect(resolvePlaceholder(base(), key)).toBe(want));

  it('absent cookies are unknown (kept by ReplaceKnown)', () => {
    expect(resolvePlaceholder(base(), 'http.request.cookie.nope')).toBeUndefined();
    expect(known('c={http.request.cookie.nope}')).toBe('c={http.request.cookie.nope}');
  });
  it('tls placeholders are unknown over plain http', () => {
    expect(resolvePlaceholder(ctxFor('http://a.test/'), 'http.request.tls.version')).toBeUndefined();
    expect(resolvePlaceholder(ctxFor('http://a.test/'), 'http.request.scheme')).toBe('http');
  });
  it('orig_uri keeps the pre-rewrite request', () => {
    const ctx = base();
    rewriteTo(ctx, 'https://example.com/new/path?q=2');
    expect(
      all(
        '{http.request.uri}|{http.request.orig_uri}|{http.request.orig_uri.path.1}|{http.request.orig_uri.query}',
        ctx,
      ),
    ).toBe('/new/path?q=2|/a/b/c.tar.gz?x=1&x=2&y=%20z|b|x=1&x=2&y=%20z');
  });
  it('decodes the path', () => {
    expect(resolvePlaceholder(ctxFor('http://h/a%20b/%E2%9C%93'), 'http.request.uri.path')).toBe('/a b/✓');
  });
  it('client IP comes from CF-Connecting-IP at the edge', () => {
    const ctx = ctxFor('http://h/', { headers: { 'CF-Connecting-IP': '2001:db8::1' }, remoteIp: '10.0.0.1' });
    expect(resolvePlaceholder(ctx, 'http.request.remote.host')).toBe('2001:db8::1');
    expect(resolvePlaceholder(ctx, 'http.request.remote')).toBe('[2001:db8::1]:54321');
    expect(resolvePlaceholder(ctx, 'http.vars.client_ip')).toBe('2001:db8::1');
  });
  it('remote.host/bits gives the peer network', () => {
    expect(resolvePlaceholder(base(), 'http.request.remote.host/24')).toBe('198.51.100.0/24');
    const v6 = ctxFor('http://h/', { remoteIp: '2001:db8:1:2::5' });
    expect(resolvePlaceholder(v6, 'http.request.remote.host/24,48')).toBe('2001:db8:1::/48');
    expect(resolvePlaceholder(v6, 'http.request.remote.host/x')).toBe('');
  });
  it('uuid is stable within a request', () => {
    const ctx = base();
    const a = all('{http.request.uuid}', ctx);
    expect(a).toMatch(/^[0-9a-f-]{36}$/);
    expect(all('{uuid}', ctx)).toBe(a);
    expect(all('{uuid}')).not.toBe(a);
  });
});

describe('vars, regexp, auth, error, time', () => {
  it('vars are always known; regexp captures are unknown until set', () => {
    const ctx = base();
    ctx.vars.set('foo', 'bar');
    ctx.vars.set('n', 42);
    expect(known('{http.vars.foo}{vars.n}{http.vars.none}', ctx)).toBe('bar42');
    expect(known('{re.m.1}', ctx)).toBe('{re.m.1}');
    ctx.vars.set('http.regexp.m.1', 'cap');
    expect(known('{re.m.1}/{http.regexp.m.1}', ctx)).toBe('cap/cap');
  });
  it('auth user id', () => {
    const ctx = base();
    expect(known('{http.auth.user.id}', ctx)).toBe('{http.auth.user.id}');
    ctx.vars.set('http.auth.user.id', 'alice');
    expect(all('{http.auth.user.id}', ctx)).toBe('alice');
  });
  it('error placeholders exist only while handling an error', () => {
    const ctx = base();
    expect(known('{err.status_code}', ctx)).toBe('{err.status_code}');
    ctx.error = new HandlerError(404, 'gone', 'abc123', 'trace');
    expect(all('{err.status_code} {err.status_text} {http.error.message} {err.id}', ctx)).toBe(
      '404 Not Found gone abc123',
    );
  });
  it('time placeholders', () => {
    const unix = Number(all('{time.now.unix}'));
    expect(Math.abs(unix - Date.now() / 1000)).toBeLessThan(5);
    expect(all('{time.now.unix_ms}')).toMatch(/^\d{13}$/);
    expect(all('{time.now.year}')).toBe(String(new Date().getUTCFullYear()));
    expect(all('{time.now.http}')).toMatch(/^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
    expect(all('{time.now.common_log}')).toMatch(/^\d{2}\/\w{3}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    expect(all('{time.now}')).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)? \+0000 UTC$/);
  });
});
