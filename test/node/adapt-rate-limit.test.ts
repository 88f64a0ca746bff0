import { describe, expect, it } from 'vitest';
import { adaptCaddyfile } from '../../src/adapt/index.ts';

const adapt = (text: string) => adaptCaddyfile(text, { filename: 'Caddyfile', env: {} }).config;

describe('rate_limit adapter (caddy-ratelimit syntax)', () => {
  it('builds zones with key, window (ns), events and match, ordered before basic_auth', () => {
    const json = adapt(`:8080 {
	basic_auth {
		alice $2a$14$Zkx19XLiW6VYouLHR5NmfOFU0z2GTNmpkT/5qqR7hx4IjWJPDhjvG
	}
	rate_limit {
		zone api {
			match {
				path /api/*
			}
			key {remote_host}
			events 50
			window 10s
			ipv4_prefix 24
			fail_closed
		}
		jitter 0.2
		ratelimit_headers
	}
	respond ok
}`);
    // Routes without matchers are consolidated into one; the handler order inside is the directive order.
    const all = json.apps!.http!.servers!.srv0.routes!.flatMap((r) => r.handle!);
    const names = all.map((hd) => hd.handler);
    expect(names.indexOf('rate_limit')).toBeGreaterThanOrEqual(0);
    expect(names.indexOf('rate_limit')).toBeLessThan(names.indexOf('authentication'));
    const rl = all[names.indexOf('rate_limit')];
    expect(rl).toEqual({
      handler: 'rate_limit',
      jitter: 0.2,
      ratelimit_headers: true,
      rate_limits: {
        api: {
          match: [{ path: ['/api/*'] }],
          key: '{http.request.remote.host}',
          max_events: 50,
          window: 10_000_000_000,
          ipv4_prefix: 24,
          fail_mode: 'closed',
        },
      },
    });
  });

  it('requires window and events, and names bad values with their line', () => {
    expect(() => adapt(':80 {\n\trate_limit {\n\t\tzone z {\n\t\t\tkey x\n\t\t}\n\t}\n}\n')).toThrow(
      /window and events are required/,
    );
    expect(() => adapt(':80 {\n\trate_limit {\n\t\tzone z {\n\t\t\tevents many\n\t\t}\n\t}\n}\n')).toThrow(
      /Caddyfile:4 .*invalid value 'many'/,
    );
  });

  it('takes the Gatehouse zone option `lease on|off` (off: "lease": false, on is the default)', () => {
    const zones = (text: string) => {
      const all = adapt(text).apps!.http!.servers!.srv0.routes!.flatMap((r) => r.handle!);
      return (all.find((hd) => hd.handler === 'rate_limit') as unknown as { rate_limits: Record<string, unknown> })
        .rate_limits;
    };
    const zone = (opt: string) =>
      `:80 {\n\trate_limit {\n\t\tzone z {\n\t\t\tkey {remote_host}\n\t\t\tevents 5\n\t\t\twindow 1m\n\t\t\t${opt}\n\t\t}\n\t}\n\trespond ok\n}\n`;
    expect(zones(zone('lease off'))).toEqual({
      z: { key: '{http.request.remote.host}', max_events: 5, window: 60_000_000_000, lease: false },
    });
    expect(zones(zone('lease on'))).toEqual({
      z: { key: '{http.request.remote.host}', max_events: 5, window: 60_000_000_000 },
    });
    expect(() => adapt(zone('lease maybe'))).toThrow(/Caddyfile:7 .*lease must be 'on' or 'off', got 'maybe'/);
    expect(() => adapt(zone('lease'))).toThrow(/Caddyfile:7/);
    expect(() => adapt(zone('lease off now'))).toThrow(/Caddyfile:7/);
  });
});
