import { expect } from 'vitest';
import { adaptCaddyfile } from '../../src/adapt/index.ts';
import worker from '../../src/index.ts';

// What the metrics tests share: a config whose series are the test's own, a scrape, and reading one sample.

/** The adapted Caddyfile with its first server renamed `server`, so a test's series are its own. */
export function configWithServer(caddyfile: string, server: string): string {
  const config = adaptCaddyfile(caddyfile, { filename: 'Caddyfile', env: {} }).config as {
    apps: { http: { servers: Record<string, unknown> } };
  };
  const servers = config.apps.http.servers;
  servers[server] = servers.srv0;
  delete servers.srv0;
  return JSON.stringify(config);
}

/** The scrape endpoint's text (at the default path, with `token` as METRICS_TOKEN); fails the test unless 200. */
export async function scrapeText(e: Record<string, unknown>, exec: ExecutionContext, token: string): Promise<string> {
  const req = new Request('http://gw.test/gatehouse-admin/metrics', { headers: { Authorization: `Bearer ${token}` } });
  const res = await worker.fetch(req as never, { ...e, METRICS_TOKEN: token } as never, exec);
  expect(res.status).toBe(200);
  return res.text();
}

/** A sample's value, or undefined when the scrape does not have the series. */
export function sample(text: string, name: string, labels: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** Caddy's size buckets, with `le` spelled as Caddy's Go client writes it (Prometheus compares the text). */
export const SIZE_BOUNDS: Array<[number, string]> = [
  [256, '256'],
  [1024, '1024'],
  [4096, '4096'],
  [16384, '16384'],
  [65536, '65536'],
  [262144, '262144'],
  [1048576, '1.048576e+06'],
  [4194304, '4.194304e+06'],
];
