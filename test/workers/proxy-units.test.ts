import { describe, expect, it } from 'vitest';
import { parseRange, parseIp, rangeContains } from '../../src/proxy/ip.ts';
import { goDuration } from '../../src/proxy/go-duration.ts';
import { compilePassiveHealth, countFailure, currentFails, responseStrikes } from '../../src/proxy/passive-health.ts';
import { parseDial, parseUpstreamAddress } from '../../src/proxy/upstreams.ts';

describe('upstream addresses', () => {
  it('parses JSON dial addresses', () => {
    expect(parseDial('localhost:8080')).toEqual([{ kind: 'tcp', host: 'localhost', port: '8080' }]);
    expect(parseDial('[::1]:9000')).toEqual([{ kind: 'tcp', host: '::1', port: '9000' }]);
    expect(parseDial('tcp/10.0.0.1:80')).toEqual([{ kind: 'tcp', host: '10.0.0.1', port: '80' }]);
    expect(parseDial('service:API')).toEqual([{ kind: 'service', name: 'API' }]);
    expect(parseDial('app:8001-8003')).toHaveLength(3);
    expect(parseDial('unix//tmp/x.sock')).toMatch(/unix sockets/);
    expect(parseDial('nohost')).toMatch(/host:port/);
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
    expect(() => parseRange('10.0.0.0/33', 'p')).toThrow(/invalid IP/);
  });
});

describe('passive health bookkeeping', () => {
  it('counts each failure for fail_duration, and one strike per matching status entry', () => {
    const cfg = compilePassiveHealth({ fail_duration: '10s', max_fails: 2, unhealthy_status: [5, 503], unhealthy_latency: '1s' }, 'p')!;
    expect(cfg.maxFails).toBe(2);
    const host = { numRequests: 0, failExpiries: [] as number[] };
    countFailure(host, cfg, 1_000);
    countFailure(host, cfg, 5_000);
    expect(currentFails(host, 10_999)).toBe(2);
    expect(currentFails(host, 11_000)).toBe(1);
    expect(currentFails(host, 15_000)).toBe(0);
    expect(responseStrikes(cfg, 503, 10)).toBe(2);
    expect(responseStrikes(cfg, 500, 1000)).toBe(2);
    expect(responseStrikes(cfg, 200, 10)).toBe(0);
  });

  it('records nothing without fail_duration', () => {
    const cfg = compilePassiveHealth({ max_fails: 1 }, 'p');
    const host = { numRequests: 0, failExpiries: [] as number[] };
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
