import { env, runInDurableObject } from 'cloudflare:test';
import type { ConfigStore } from '../../durable/config-store.ts';
import { describe, expect, it } from 'vitest';
import worker from '../../src/index.ts';

// Config size: a body over the admin API's limit is refused with 413 before it is read whole, and a config of a few
// MB (thousands of sites) loads, although one SQLite value of the config store holds at most 2 MB.

const TOKEN = 'test-admin-token';
const testEnv = { ...env, ADMIN_TOKEN: TOKEN, CONFIG_REFRESH_MS: '0' } as unknown as Record<string, unknown>;
const exec = {
  waitUntil: (_p: Promise<unknown>) => {},
  passThroughOnException: () => {},
  props: {},
} as unknown as ExecutionContext;
const MiB = 1024 * 1024;

function load(body: BodyInit, headers: Record<string, string> = {}): Promise<Response> {
  const req = new Request('http://gw.test/gatehouse-admin/load', {
    method: 'POST',
    body,
    headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json', ...headers },
  });
  return worker.fetch(req as never, testEnv as never, exec);
}

async function served(host: string): Promise<string> {
  const res = await worker.fetch(new Request(`http://${host}/`) as never, testEnv as never, exec);
  return res.text();
}

const site = (i: number, pad: string) => ({
  match: [{ host: [`site${i}.example`] }],
  handle: [{ handler: 'static_response', body: `site ${i} ${pad}` }],
  terminal: true,
});

/** The largest text value in any table of the config store, in bytes. */
async function largestStoredValue(): Promise<number> {
  const ns = (env as unknown as { CONFIG_STORE: DurableObjectNamespace<ConfigStore> }).CONFIG_STORE;
  return runInDurableObject(ns.get(ns.idFromName('config')), (_instance, state) => {
    let largest = 0;
    for (const { name } of state.storage.sql.exec<{ name: string }>(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'",
    )) {
      const columns = state.storage.sql
        .exec<{ name: string }>(`SELECT name FROM pragma_table_info('${name}')`)
        .toArray();
      for (const c of columns) {
        const row = state.storage.sql
          .exec<{ m: number | null }>(`SELECT max(length(CAST("${c.name}" AS BLOB))) AS m FROM "${name}"`)
          .one();
        largest = Math.max(largest, row.m ?? 0);
      }
    }
    return largest;
  });
}

describe('admin API config size', () => {
  it('refuses a 10 MB body with 413 stating the limit, and keeps the active config', async () => {
    const small = { apps: { http: { servers: { srv0: { listen: [':80'], routes: [site(1, '')] } } } } };
    expect((await load(JSON.stringify(small))).status).toBe(200);
    const big = 'x'.repeat(10 * MiB);
    const res = await load(big);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: string }).error).toMatch(/limit is 8 MiB/);
    expect(await served('site1.example')).toBe('site 1 ');
  });

  it('stops reading a chunked body at the limit', async () => {
    let pulled = 0;
    const chunk = new Uint8Array(MiB).fill(0x20);
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulled >= 64 * MiB) return controller.close();
        pulled += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const res = await load(stream);
    expect(res.status).toBe(413);
    expect(pulled).toBeLessThanOrEqual(10 * MiB);
  });

  it('loads a 10,000-site config of several MB and serves its last site', async () => {
    const pad = 'p'.repeat(300);
    const routes = Array.from({ length: 10_000 }, (_, i) => site(i, pad));
    const text = JSON.stringify({ apps: { http: { servers: { srv0: { listen: [':80'], routes } } } } });
    expect(text.length).toBeGreaterThan(3 * MiB);
    const res = await load(text);
    expect(res.status).toBe(200);
    expect(await served('site9999.example')).toBe(`site 9999 ${pad}`);
    // Durable Object SQLite refuses a value over 2 MB in production (workerd here does not enforce it).
    expect(await largestStoredValue()).toBeLessThanOrEqual(2_000_000);
  });
});
