import { env } from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RateLimiter } from '../../durable/rate-limiter.ts';
import { adaptCaddyfile } from '../../src/adapt/index.ts';
import worker from '../../src/index.ts';
import { watchNamespace } from './watched-namespace.ts';

// rate_limit when the RateLimiter object cannot be reached (fail_open, the default, and fail_closed), and the
// isolate's deny cache: once a key is over its limit, its requests are answered without calling the object.

const exec = { waitUntil: () => {}, passThroughOnException: () => {}, props: {} } as unknown as ExecutionContext;
const realNs = (env as unknown as { RATE_LIMITER: DurableObjectNamespace<RateLimiter> }).RATE_LIMITER;

/** The real namespace, counting the calls made to its objects, or failing every call when `broken`. */
function watchedNamespace(broken: boolean): { ns: DurableObjectNamespace<RateLimiter>; calls: () => number } {
  return watchNamespace(realNs, () => broken);
}

function configFor(zone: string, events: number, window: string, mode = ''): string {
  const caddyfile = `:80 {
	rate_limit {
		zone ${zone} {
			key {header.X-Api-Key}
			events ${events}
			window ${window}
			${mode}
		}
	}
	respond "ok"
}
`;
  return JSON.stringify(adaptCaddyfile(caddyfile, { filename: 'Caddyfile', env: {} }).config);
}

async function get(config: string, key: string, ns: DurableObjectNamespace<RateLimiter>, extra: Record<string, unknown> = {}): Promise<Response> {
  const req = new Request('http://gw.test/', { headers: { 'X-Api-Key': key } });
  // No CONFIG_STORE: each test serves its own GATEHOUSE_CONFIG, not the store's first seeded version.
  return worker.fetch(req as never, { ...env, CONFIG_STORE: undefined, RATE_LIMITER: ns, GATEHOUSE_CONFIG: config, ...extra } as never, exec);
}

async function scrape(config: string): Promise<string> {
  const req = new Request('http://gw.test/gatehouse-admin/metrics', { headers: { Authorization: 'Bearer m' } });
  const res = await worker.fetch(req as never, { ...env, CONFIG_STORE: undefined, METRICS_TOKEN: 'm', GATEHOUSE_CONFIG: config } as never, exec);
  return res.text();
}

afterEach(() => vi.restoreAllMocks());

describe('rate_limit when the limiter is unreachable', () => {
  it('fails open by default: requests pass, the failure is logged without the key, and counted', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const config = configFor('open-zone', 1, '1m');
    const { ns, calls } = watchedNamespace(true);
    for (let i = 0; i < 3; i++) expect((await get(config, 'secret-key-123', ns)).status).toBe(200);
    expect(calls()).toBe(3);
    const lines = errors.mock.calls.map((c) => c.join(' '));
    expect(lines.some((l) => l.includes('open-zone') && l.includes('failing open'))).toBe(true);
    expect(lines.some((l) => l.includes('secret-key-123'))).toBe(false);
    expect(await scrape(config)).toMatch(/gatehouse_durable_object_errors_total\{object="RateLimiter"\} [1-9]/);
  });

  it('fails closed when the zone says fail_closed: 429 with Retry-After', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const config = configFor('closed-zone', 100, '30s', 'fail_closed');
    const { ns } = watchedNamespace(true);
    const res = await get(config, 'k', ns);
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('Retry-After'))).toBeGreaterThanOrEqual(30);
  });
});

describe('rate_limit deny cache', () => {
  it('answers a limited key from the isolate until its window frees, without calling the object', async () => {
    const config = configFor('cache-zone', 2, '1s');
    const { ns, calls } = watchedNamespace(false);
    expect((await get(config, 'alice', ns)).status).toBe(200);
    expect((await get(config, 'alice', ns)).status).toBe(200);
    expect((await get(config, 'alice', ns)).status).toBe(429); // the object says no: 3 calls so far
    expect(calls()).toBe(3);
    for (let i = 0; i < 20; i++) expect((await get(config, 'alice', ns)).status).toBe(429);
    expect(calls()).toBe(3); // 20 denials answered from memory

    expect((await get(config, 'bob', ns)).status).toBe(200); // another key still asks the object
    expect(calls()).toBe(4);

    await new Promise((r) => setTimeout(r, 1100)); // the window frees
    expect((await get(config, 'alice', ns)).status).toBe(200);
    expect(calls()).toBe(5);
  });
});
