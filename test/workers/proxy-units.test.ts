import { describe, expect, it } from 'vitest';
import { parseRange, parseIp, rangeContains } from '../../src/proxy/ip.ts';
import { goDuration } from '../../src/proxy/go-duration.ts';
import { cleanResponseHeaders, prepareRequestHeaders } from '../../src/proxy/headers.ts';
import { compilePassiveHealth, countFailure, currentFails, responseStrikes } from '../../src/proxy/passive-health.ts';
import { parseDial, parseUpstreamAddress } from '../../src/proxy/upstreams.ts';
import { proxy } from './proxy-helpers.ts';

describe('upstream addresses', () => {
  it('parses JSON dial addresses', () => {
    expect(parseDial('localhost:8080')).toEqual([{ kind: 'tcp', host: 'localhost', port: '8080' }]);
    expect(parseDial('[::1]:9000')).toEqual([{ kind: 'tcp', host: '::1', port: '9000' }]);
    expect(parseDial('tcp/10.0.0.1:80')).toEqual([{ kind: 'tcp', host: '10.0.0.1', port: '80' }]);
    expect(parseDial('service:API')).toEqual([{ kind: 'service', name: 'API' }]);
    expect(parseDial('app:8001-8003')).toHaveLength(3);
    expect(parseDial('unix//tmp/x.sock')).toMatch(/unix sockets/);
    expect(parseDial('nohost')).toMatch(/host:port/);
    // An empty host is the local system, as for Go's dialer (`reverse_proxy :8080` adapts to the dial ":8080").
    expect(parseDial(':8080')).toEqual([{ kind: 'tcp', host: 'localhost', port: '8080' }]);
  });

  it('refuses malformed dials with the reason', () => {
    for (const bad of [
      '[]:80',
      '[::1]80',
      '[::1',
      'a:b:80',
      'h[x]:80',
      'h:',
      'h:80-',
      'h:-80',
      'h:80-81-82',
      'h:٣',
      'durable:x',
    ]) {
      expect(parseDial(bad), bad).toMatch(/^expected /);
    }
    expect(parseDial('h:90-80')).toBe('invalid port');
    expect(parseDial('h:65536')).toBe('invalid port');
    expect(parseDial('durable:ROOMS/lobby')).toEqual([{ kind: 'durable', binding: 'ROOMS', name: 'lobby' }]);
  });

  it('parses Caddyfile upstream forms like parseUpstreamDialAddress', () => {
    expect(parseUpstreamAddress('localhost')).toEqual({ dials: ['localhost:80'], scheme: '' });
    expect(parseUpstreamAddress('https://example.com')).toEqual({ dials: ['example.com:443'], scheme: 'https' });
    expect(parseUpstreamAddress('http://[::1]:8080')).toEqual({ dials: ['[::1]:8080'], scheme: 'http' });
    expect(parseUpstreamAddress('h2c://app')).toEqual({ dials: ['app:80'], scheme: 'h2c' });
    expect(parseUpstreamAddress('app:8001-8002').dials).toEqual(['app:8001', 'app:8002']);
    expect(parseUpstreamAddress('{host}:8080').dials).toEqual(['{host}:8080']);
    expect(() => parseUpstreamAddress('http://app:443')).toThrow(/conflicting/);
    expect(() => parseUpstreamAddress('https://app:80')).toThrow(/conflicting/);
    expect(() => parseUpstreamAddress('http://app/path')).toThrow(/only support scheme, host, and port/);
    expect(() => parseUpstreamAddress('ws://app')).toThrow(/ws:\/\//);
    expect(() => parseUpstreamAddress('http://{x}:80')).toThrow(/placeholders/);
  });
});

describe('trusted proxy ranges', () => {
  it('matches v4, v6 and v4-mapped addresses', () => {
    const r = parseRange('10.0.0.0/8', 'p');
    expect(rangeContains(r, parseIp('10.200.1.1')!)).toBe(true);
    expect(rangeContains(r, parseIp('11.0.0.1')!)).toBe(false);
    expect(rangeContains(r, parseIp('::ffff:10.1.1.1')!)).toBe(true);
    const v6 = parseRange('fd00::/8', 'p');
    expect(rangeContains(v6, parseIp('fd12:3456::1')!)).toBe(true);
    expect(rangeContains(v6, parseIp('fe80::1')!)).toBe(false);
    expect(rangeContains(parseRange('127.0.0.1', 'p'), parseIp('127.0.0.1')!)).toBe(true);
    // netip's grammar, as Caddy parses trusted_proxies: no leading zeros, which some parsers read as octal.
    expect(() => parseRange('010.0.0.0/8', 'p')).toThrow(/invalid IP address or range/);
    expect(parseIp('10.0.0.01')).toBeUndefined();
    expect(() => parseRange('10.0.0.0/33', 'p')).toThrow(/invalid IP/);
  });
});

describe('passive health bookkeeping', () => {
  it('counts each failure for fail_duration, and one strike per matching status entry', () => {
    const cfg = compilePassiveHealth(
      { fail_duration: '10s', max_fails: 2, unhealthy_status: [5, 503], unhealthy_latency: '1s' },
      'p',
    )!;
    expect(cfg.maxFails).toBe(2);
    const host = { numRequests: 0, remoteRequests: 0, failExpiries: [] as number[], lastAnswerAt: 0 };
    countFailure(host, cfg, 1_000);
    countFailure(host, cfg, 5_000);
    expect(currentFails(host, 10_999)).toBe(2);
    expect(currentFails(host, 11_000)).toBe(1);
    expect(currentFails(host, 15_000)).toBe(0);
    expect(responseStrikes(cfg, 503, 10)).toBe(2);
    expect(responseStrikes(cfg, 500, 1000)).toBe(2);
    expect(responseStrikes(cfg, 200, 10)).toBe(0);
  });

  it('refuses a health check field it does not implement, by name, at its JSON path', () => {
    expect(() => compilePassiveHealth({ max_fails: 2, unhealthy_bytes: 9 }, 'h.health_checks.passive')).toThrow(
      /passive health checks: unsupported field "unhealthy_bytes"/,
    );
    const active = { uri: '/health', interval: '1m', expect_json: true };
    expect(() => proxy({ upstreams: [{ dial: '127.0.0.1:1' }], health_checks: { active } })).toThrow(
      /active health checks: unsupported field "expect_json"/,
    );
  });

  it('records nothing without fail_duration', () => {
    const cfg = compilePassiveHealth({ max_fails: 1 }, 'p');
    const host = { numRequests: 0, remoteRequests: 0, failExpiries: [] as number[], lastAnswerAt: 0 };
    countFailure(host, cfg);
    expect(currentFails(host)).toBe(0);
  });
});

describe('Go duration strings for latency placeholders', () => {
  it('formats like time.Duration.String', () => {
    expect(goDuration(0)).toBe('0s');
    expect(goDuration(1.5)).toBe('1.5ms');
    expect(goDuration(0.002)).toBe('2µs');
    expect(goDuration(2250)).toBe('2.25s');
    expect(goDuration(90_000)).toBe('1m30s');
    expect(goDuration(3_600_000)).toBe('1h0m0s');
  });
});

describe('hop-by-hop fields', () => {
  it('strips them from upstream responses, keeps every Set-Cookie apart, and keeps Upgrade on 101', () => {
    const src = new Headers([
      ['content-type', 'text/plain'],
      ['set-cookie', 'a=1; Path=/'],
      ['set-cookie', 'b=2, with comma'],
      ['connection', 'keep-alive, X-Private'],
      ['x-private', 'secret'],
      ['keep-alive', 'timeout=5'],
      ['transfer-encoding', 'chunked'],
      ['upgrade', 'websocket'],
    ]);
    const out = new Headers(src);
    cleanResponseHeaders(out, 200);
    expect([...out.keys()].sort()).toEqual(['content-type', 'set-cookie', 'set-cookie']);
    expect(out.getSetCookie()).toEqual(['a=1; Path=/', 'b=2, with comma']);
    const switching = new Headers(src);
    cleanResponseHeaders(switching, 101);
    expect(switching.get('upgrade')).toBe('websocket');
    expect(switching.get('connection')).toBe('Upgrade');
  });

  it('builds the upstream request: no hop-by-hop fields, X-Forwarded-* from untrusted peers replaced, Via added', () => {
    const request = new Request('http://site.test/x', {
      headers: {
        Connection: 'close, X-Hop',
        'X-Hop': '1',
        TE: 'trailers, gzip',
        'X-Forwarded-For': '6.6.6.6',
        'X-Keep': 'yes',
      },
    });
    const ctx = {
      request,
      remoteIp: '192.0.2.7',
      url: new URL(request.url),
      originalUrl: new URL(request.url),
      vars: new Map(),
    };
    const h = prepareRequestHeaders(ctx as unknown as Parameters<typeof prepareRequestHeaders>[0], false);
    expect(h.get('x-hop')).toBeNull();
    expect(h.get('connection')).toBeNull();
    expect(h.get('te')).toBe('trailers');
    expect(h.get('x-keep')).toBe('yes');
    expect(h.get('x-forwarded-for')).toBe('192.0.2.7');
    expect(h.get('x-forwarded-proto')).toBe('http');
    expect(h.get('x-forwarded-host')).toBe('site.test');
    expect(h.get('via')).toBe('1.1 Caddy');
    const trusted = prepareRequestHeaders(ctx as unknown as Parameters<typeof prepareRequestHeaders>[0], true);
    expect(trusted.get('x-forwarded-for')).toBe('6.6.6.6, 192.0.2.7');
  });

  it('Via carries the edge-reported HTTP version; a caller-written cf without it does not turn that off', () => {
    const via = (cf: object) => {
      const request = { headers: new Headers(), cf, url: 'http://site.test/' };
      const ctx = {
        request,
        remoteIp: '192.0.2.7',
        url: new URL(request.url),
        originalUrl: new URL(request.url),
        vars: new Map(),
      };
      return prepareRequestHeaders(ctx as unknown as Parameters<typeof prepareRequestHeaders>[0], false).get('via');
    };
    expect(via({ colo: 'SJC' })).toBe('1.1 Caddy'); // a service binding's caller wrote this cf
    expect(via({ colo: 'SJC', httpProtocol: 'HTTP/2' })).toBe('2.0 Caddy');
    expect(via({ colo: 'SJC', httpProtocol: 'HTTP/3' })).toBe('3.0 Caddy');
  });
});
