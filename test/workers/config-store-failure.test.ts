import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import worker from '../../src/index.ts';
import { MetricsRecorder } from '../../src/metrics/recorder.ts';
import { useMetricsRecorder } from '../../src/metrics/index.ts';
import type { SeriesData } from '../../src/metrics/batch.ts';
import { execution } from './execution.ts';
import { watchNamespace } from './watched-namespace.ts';

// The config store failing: requests are served (by the last snapshot, else the base config), and every failed read
// counts in gatehouse_durable_object_errors_total{object="ConfigStore"}, background refreshes included. Its own file:
// the isolate keeps one view of the store, made with the first namespace it is given.

const real = (env as unknown as { CONFIG_STORE: DurableObjectNamespace }).CONFIG_STORE;
const config = {
  apps: {
    http: {
      servers: { srv0: { listen: [':443'], routes: [{ handle: [{ handler: 'static_response', body: 'base' }] }] } },
    },
  },
};

async function configStoreErrors(rec: MetricsRecorder): Promise<number> {
  let batch: SeriesData[] = [];
  await rec.flush(async (b) => void (batch = b));
  return (
    batch.find((s) => s.name === 'gatehouse_durable_object_errors_total' && s.labels.object === 'ConfigStore')?.value ??
    0
  );
}

describe('config store failures', () => {
  it('serve the base config, then the last snapshot, and each failed read (first or background) is counted', async () => {
    let broken = true;
    const { ns } = watchNamespace(real, () => broken);
    const rec = new MetricsRecorder(60_000);
    const previous = useMetricsRecorder(rec);
    try {
      const e = { ...env, CONFIG_STORE: ns, CONFIG_REFRESH_MS: '50', GATEHOUSE_CONFIG: JSON.stringify(config) };
      const call = async () => {
        const x = execution();
        const res = await (worker.fetch as (r: Request, e: unknown, c: ExecutionContext) => Promise<Response>)(
          new Request('https://example.com/'),
          e,
          x.exec,
        );
        const text = await res.text();
        await x.settle();
        return `${res.status} ${text}`;
      };
      expect(await call()).toBe('200 base'); // no snapshot yet: the base config
      expect(await configStoreErrors(rec)).toBe(1);
      broken = false;
      await new Promise((r) => setTimeout(r, 60));
      expect(await call()).toBe('200 base'); // read (and seeded) now
      broken = true;
      await new Promise((r) => setTimeout(r, 60));
      expect(await call()).toBe('200 base'); // stale snapshot served; its background refresh fails
      expect(await configStoreErrors(rec)).toBe(1);
    } finally {
      useMetricsRecorder(previous);
    }
  });
});
