import { env } from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RateLimiter } from '../../durable/rate-limiter.ts';
import { adaptCaddyfile } from '../../src/adapt/index.ts';
import worker from '../../src/index.ts';
import { watchNamespace } from './watched-namespace.ts';

// Issue 6, what a user sees when the RateLimiter object fails (fail_open / fail_closed) and how the isolate's deny
// cache spares the object once a key is over its limit. Zone names and keys are unique to this file: the deny cache
// and the metrics recorder live for the whole isolate.

const exec = { waitUntil: () => {}, passThroughOnException: () => {}, props: {} } as unknown as ExecutionContext;
const realNs = (env as unknown as { RATE_LIMITER: DurableObjectNamespace<RateLimiter> }).RATE_LIMITER;

/** The real namespace, counting every call made on its stubs; `broken()` makes those calls reject. */
const countingNamespace = (broken?: () => boolean) => watchNamespace(realNs, broken);

/** A namespace whose stubs throw synchronously on every call (an unreachable object, surfaced without a promise). */
function throwingNamespace(): DurableObjectNamespace<RateLimiter> {
  const stub = new Proxy(
    {},
    {
      get: () => () => {
        throw new Error('simulated: Durable Object unreachable');
      },
    },
  );
  return {
    idFromName: (name: string) => realNs.idFromName(name),
    get: () => stub,
  } as unknown as DurableObjectNamespace<RateLimiter>;
}

function configFor(zone: string, events: number, window: string, mode = ''): string {
  const caddyfile = `:80 {
	rate_limit /api/* {
		zone ${zone} {
			key {header.X-Api-Key}
			events ${events}
			window ${window}
			${mode}
		}
	}
	respond "ok {path}"
}
`;
  return JSON.stringify(adaptCaddyfile(caddyfile, { filename: 'Caddyfile', env: {} }).config);
}

/** One request through the Worker; `ns: null` drops the RATE_LIMITER binding altogether. */
async function get(
  config: string,
  key: string,
  ns: DurableObjectNamespace<RateLimiter> | null,
  path = '/api/x',
): Promise<Response> {
  const req = new Request(`http://gw.test${path}`, { headers: { 'X-Api-Key': key } });
  const bindings = { ...env, CONFIG_STORE: undefined, GATEHOUSE_CONFIG: config, RATE_LIMITER: ns ?? undefined };
  return worker.fetch(req as never, bindings as never, exec);
}

/** The scraped value of gatehouse_durable_object_errors_total{object="RateLimiter"} (0 before any). */
async function limiterErrors(config: string): Promise<number> {
  const req = new Request('http://gw.test/gatehouse-admin/metrics', { headers: { Authorization: 'Bearer m' } });
  const res = await worker.fetch(
    req as never,
    { ...env, CONFIG_STORE: undefined, METRICS_TOKEN: 'm', GATEHOUSE_CONFIG: config } as never,
    exec,
  );
  expect(res.status).toBe(200);
  const m = /^gatehouse_durable_object_errors_total\{object="RateLimiter"\} (\d+)$/m.exec(await res.text());
  return m ? Number(m[1]) : 0;
}

function errorLines(spy: { mock: { calls: unknown[][] } }): string[] {
  return spy.mock.calls.map((c) => c.map(String).join(' '));
}

afterEach(() => vi.restoreAllMocks());

describe('rate_limit fail_open when the RateLimiter object is unreachable', () => {
  it('by default lets requests through, logs the zone but not the key, and counts the error', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const config = configFor('fail-default-zone', 1, '1m');
    const { ns, calls } = countingNamespace(() => true);
    const before = await limiterErrors(config);

    // events 1: with a working limiter the 2nd request would be 429.
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await get(config, 'tok-default-SECRET-4411', ns)).status);
    expect(statuses).toEqual([200, 200, 200]);
    expect(calls()).toBe(3); // a failure is never cached: every request tries the object again

    const lines = errorLines(errors);
    expect(lines.filter((l) => l.includes('fail-default-zone') && l.includes('failing open'))).toHaveLength(3);
    expect(lines.some((l) => l.includes('tok-default-SECRET-4411'))).toBe(false);
    expect((await limiterErrors(config)) - before).toBe(3);
  });

  it('with explicit fail_open, a stub that throws synchronously still lets requests through', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const config = configFor('fail-open-zone', 1, '1m', 'fail_open');
    expect(config).toContain('"fail_mode":"open"');
    const ns = throwingNamespace();
    const before = await limiterErrors(config);

    for (let i = 0; i < 2; i++) {
      const res = await get(config, 'tok-open-SECRET-9902', ns);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('ok /api/x');
    }
    const lines = errorLines(errors);
    expect(lines.some((l) => l.includes('fail-open-zone') && l.includes('failing open'))).toBe(true);
    expect(lines.some((l) => l.includes('tok-open-SECRET-9902'))).toBe(false);
    expect((await limiterErrors(config)) - before).toBe(2);
  });

  it('with the RATE_LIMITER binding missing, requests pass and the error is logged and counted', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const config = configFor('fail-nobinding-zone', 1, '1m');
    const before = await limiterErrors(config);

    expect((await get(config, 'tok-nobinding-SECRET', null)).status).toBe(200);
    expect((await get(config, 'tok-nobinding-SECRET', null)).status).toBe(200);
    const lines = errorLines(errors);
    expect(lines.some((l) => l.includes('fail-nobinding-zone') && l.includes('binding is missing'))).toBe(true);
    expect(lines.some((l) => l.includes('tok-nobinding-SECRET'))).toBe(false);
    expect((await limiterErrors(config)) - before).toBe(2);
  });
});

describe('rate_limit failures shared by concurrent requests', () => {
  it('fails every request that waited on a failed call open, and logs and counts each failed call once', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const config = configFor('fail-shared-zone', 1000, '1m');
    let broken = false;
    const { ns, calls } = countingNamespace(() => broken);
    const before = await limiterErrors(config);
    // Busy key first (the batch ramps up), then the object fails under 30 concurrent requests.
    for (let i = 0; i < 3; i++) expect((await get(config, 'tok-shared', ns)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1000)); // the leases so far have expired (hold 1 s)
    broken = true;
    const made = calls();
    const res = await Promise.all(Array.from({ length: 30 }, () => get(config, 'tok-shared', ns)));
    expect(res.every((r) => r.status === 200)).toBe(true);
    const failed = calls() - made;
    expect(failed).toBeGreaterThan(0);
    expect(failed).toBeLessThan(30); // single flight: the waiting requests shared calls
    expect(errorLines(errors).filter((l) => l.includes('fail-shared-zone') && l.includes('failing open'))).toHaveLength(
      failed,
    );
    expect((await limiterErrors(config)) - before).toBe(failed);
  });
});

describe('rate_limit fail_closed when the RateLimiter object is unreachable', () => {
  it('answers 429 with Retry-After of the window, and recovers as soon as the object does', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const config = configFor('fail-closed-zone', 100, '30s', 'fail_closed');
    expect(config).toContain('"fail_mode":"closed"');
    let broken = true;
    const { ns, calls } = countingNamespace(() => broken);
    const before = await limiterErrors(config);

    const res = await get(config, 'tok-closed-SECRET', ns);
    expect(res.status).toBe(429);
    // 30 s window, printed like the plugin: seconds + 0.5 with no decimals.
    expect(res.headers.get('Retry-After')).toBe('31');
    expect(errorLines(errors).some((l) => l.includes('fail-closed-zone') && l.includes('failing closed'))).toBe(true);
    expect(errorLines(errors).some((l) => l.includes('tok-closed-SECRET'))).toBe(false);
    expect((await limiterErrors(config)) - before).toBe(1);

    // Paths the zone does not match never reach the limiter, so they are not failed closed.
    expect((await get(config, 'tok-closed-SECRET', ns, '/public')).status).toBe(200);
    expect(calls()).toBe(1);

    // A failure is not put in the deny cache: once the object answers again, the same key is allowed at once.
    broken = false;
    expect((await get(config, 'tok-closed-SECRET', ns)).status).toBe(200);
    expect(calls()).toBe(2);
  });
});

describe('rate_limit deny cache', () => {
  it('answers an over-limit key from the isolate until its window frees, without calling the object', async () => {
    const config = configFor('deny-cache-zone', 2, '1s');
    const { ns, calls } = countingNamespace();

    expect((await get(config, 'carol-key', ns)).status).toBe(200);
    expect((await get(config, 'carol-key', ns)).status).toBe(200);
    expect(calls()).toBe(2);

    const denied = await get(config, 'carol-key', ns);
    expect(denied.status).toBe(429); // the object says no
    expect(Number(denied.headers.get('Retry-After'))).toBe(1);
    expect(calls()).toBe(3);

    for (let i = 0; i < 20; i++) {
      const res = await get(config, 'carol-key', ns);
      expect(res.status).toBe(429);
      expect(res.headers.get('Retry-After')).not.toBeNull();
    }
    expect(calls()).toBe(3); // 20 denials answered from memory

    // Another key is not in the cache: it asks the object and has its own budget.
    expect((await get(config, 'dave-key', ns)).status).toBe(200);
    expect(calls()).toBe(4);

    await new Promise((r) => setTimeout(r, 1100)); // carol's window frees
    expect((await get(config, 'carol-key', ns)).status).toBe(200);
    expect(calls()).toBe(5);
  });
});
