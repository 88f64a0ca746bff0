import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import worker from '../../src/index.ts';
import { execution } from './execution.ts';

// A SaaS gateway with ten thousand sites, loaded through the admin API as an operator would: the Caddyfile is adapted
// and compiled inside the Worker, stored in parts by the ConfigStore (a SQLite value holds at most 2 MB), and served
// by the isolates that read it back.

const ADMIN = 'large-config-admin';
const SITES = 10_000;

function tenantsCaddyfile(sites: number): string {
  const out: string[] = [];
  for (let i = 0; i < sites; i++)
    out.push(`t${i}.example.com:8080 {`, `\theader X-Tenant ${i}`, `\trespond "tenant ${i}"`, '}');
  return out.join('\n');
}

describe('admin /load of a 10,000-site Caddyfile', () => {
  it('loads, is stored and read back whole, and serves its last site', async () => {
    const { exec, settle } = execution();
    const e = { ...env, ADMIN_TOKEN: ADMIN, CONFIG_REFRESH_MS: '0' };
    const caddyfile = tenantsCaddyfile(SITES);
    const t0 = Date.now();
    const load = await worker.fetch(
      new Request('http://gw.test/gatehouse-admin/load', {
        method: 'POST',
        headers: { Authorization: `Bearer ${ADMIN}`, 'Content-Type': 'text/caddyfile' },
        body: caddyfile,
      }) as never,
      e as never,
      exec,
    );
    const loadMs = Date.now() - t0;
    expect(load.status).toBe(200);
    await settle();
    console.log(`admin /load of ${SITES} sites (${(caddyfile.length / 1024).toFixed(0)} KiB Caddyfile): ${loadMs} ms`);

    // The stored JSON, read back through the admin API, is the whole config.
    const config = await worker.fetch(
      new Request('http://gw.test/gatehouse-admin/config/', { headers: { Authorization: `Bearer ${ADMIN}` } }) as never,
      e as never,
      exec,
    );
    expect(config.status).toBe(200);
    const json = await config.text();
    expect(json.length).toBeGreaterThan(2 * 1024 * 1024); // more than one SQLite value holds
    const routes = (JSON.parse(json) as { apps: { http: { servers: Record<string, { routes: unknown[] }> } } }).apps
      .http.servers;
    expect(Object.values(routes).reduce((n, s) => n + s.routes.length, 0)).toBe(SITES);

    for (const host of [`t${SITES - 1}.example.com`, 't0.example.com']) {
      const res = await worker.fetch(new Request(`http://${host}:8080/`) as never, e as never, exec);
      expect(await res.text()).toBe(`tenant ${host.slice(1, host.indexOf('.'))}`);
      expect(res.headers.get('x-tenant')).toBe(host.slice(1, host.indexOf('.')));
    }
    await settle();
  });
});
