import { env } from 'cloudflare:test';
import { afterEach, describe, expect, it } from 'vitest';
import type { MetricsShard } from '../../durable/metrics-shard.ts';
import worker from '../../src/index.ts';
import type { SeriesData } from '../../src/metrics/batch.ts';
import { flushMetricsNow, useMetricsRecorder } from '../../src/metrics/index.ts';
import { MetricsRecorder } from '../../src/metrics/recorder.ts';
import { execution } from './execution.ts';
import { configWithServer, SIZE_BOUNDS, sample, scrapeText } from './metrics-helpers.ts';

// Issue 8's aggregation test: real requests through the Worker as several isolates serve them, each isolate with its
// own recorder flushing (through waitUntil, then a final flush) to its own shard; one scrape from yet another isolate
// must show exactly the total, with every histogram bucket right.

const shards = (env as unknown as { METRICS: DurableObjectNamespace<MetricsShard> }).METRICS;
const TOKEN = 'isolates-token';
const SERVER = 'isolates_srv';
const BODY = { small: 'a'.repeat(100), mid: 'b'.repeat(300), big: 'c'.repeat(2000) } as const;
type Path = keyof typeof BODY;

function config(): string {
  const caddyfile = `{\n\tmetrics\n}\n:80 {\n${Object.entries(BODY)
    .map(([path, body]) => `\trespond /${path} "${body}"`)
    .join('\n')}\n}\n`;
  return configWithServer(caddyfile, SERVER);
}

const e = {
  ...env,
  CONFIG_STORE: undefined,
  METRICS_TOKEN: TOKEN,
  METRICS_SHARDS: '4',
  GATEHOUSE_CONFIG: config(),
} as Record<string, unknown>;

/** This server's requests_total in one shard's stored series. */
async function shardTotal(index: number): Promise<number> {
  const dump: SeriesData[] = await shards.get(shards.idFromName(`shard-${index}`)).dump();
  return dump
    .filter((s) => s.name === 'caddy_http_requests_total' && s.labels.server === SERVER)
    .reduce((n, s) => n + (s.value ?? 0), 0);
}

/** Serves `paths` as one isolate would: its own recorder (and so its own shard), flushes handed to waitUntil. */
async function asIsolate(shardSeed: number, paths: Path[]): Promise<void> {
  const rec = new MetricsRecorder(0, { shardSeed });
  const previous = useMetricsRecorder(rec);
  const pending: Array<Promise<unknown>> = [];
  const exec = {
    waitUntil: (p: Promise<unknown>) => pending.push(p),
    passThroughOnException: () => {},
    props: {},
  } as never;
  try {
    for (const path of paths) {
      const res = await worker.fetch(new Request(`http://gw.test/${path}`) as never, e as never, exec);
      expect(await res.text()).toBe(BODY[path]);
    }
    await Promise.all(pending);
    // The last bodies finished after the last flush started: what an isolate's next request (or flush interval) sends.
    await flushMetricsNow(e);
    expect(rec.pendingSeries).toBe(0);
  } finally {
    useMetricsRecorder(previous);
  }
}

afterEach(() => {
  useMetricsRecorder(undefined);
});

describe('metrics across isolates', () => {
  it('a scrape shows exactly the N requests three isolates served, with exact size buckets', async () => {
    const before = await scrapeText(e, execution().exec, TOKEN);
    const shardBefore = await Promise.all([0, 1, 2, 3].map(shardTotal));
    const isolates: Array<{ seed: number; shard: number; paths: Path[] }> = [
      { seed: 0.1, shard: 0, paths: [...Array<Path>(10).fill('small'), ...Array<Path>(3).fill('big')] },
      { seed: 0.3, shard: 1, paths: Array<Path>(20).fill('mid') },
      {
        seed: 0.6,
        shard: 2,
        paths: [...Array<Path>(7).fill('small'), ...Array<Path>(5).fill('mid'), ...Array<Path>(4).fill('big')],
      },
    ];
    // Interleaved, as isolates serve concurrently: each isolate runs its requests in two halves.
    const halves = isolates.flatMap((iso) => {
      const mid = Math.ceil(iso.paths.length / 2);
      return [
        { ...iso, paths: iso.paths.slice(0, mid) },
        { ...iso, paths: iso.paths.slice(mid) },
      ];
    });
    for (const i of [0, 2, 4, 1, 3, 5]) await asIsolate(halves[i].seed, halves[i].paths);

    // Each isolate's counts landed in its own shard, none in the fourth.
    const shardAfter = await Promise.all([0, 1, 2, 3].map(shardTotal));
    expect(shardAfter.map((n, i) => n - shardBefore[i])).toEqual([13, 20, 16, 0]);

    const text = await scrapeText(e, execution().exec, TOKEN);
    const all = isolates.flatMap((i) => i.paths);
    const N = all.length;
    expect(N).toBe(49);
    const delta = (name: string, labels: string) =>
      (sample(text, name, labels) ?? 0) - (sample(before, name, labels) ?? 0);
    const base = `server="${SERVER}",handler="static_response"`;
    const obs = `${base},code="200",method="GET"`;
    expect(delta('caddy_http_requests_total', base)).toBe(N);
    expect(sample(text, 'caddy_http_requests_in_flight', base)).toBe(0);
    expect(delta('caddy_http_request_duration_seconds_count', obs)).toBe(N);
    expect(delta('caddy_http_request_duration_seconds_bucket', `${obs},le="+Inf"`)).toBe(N);
    expect(delta('caddy_http_response_duration_seconds_count', obs)).toBe(N);

    const sizes = all.map((p) => BODY[p].length);
    for (const [bound, le] of SIZE_BOUNDS) {
      expect(delta('caddy_http_response_size_bytes_bucket', `${obs},le="${le}"`), `le=${le}`).toBe(
        sizes.filter((s) => s <= bound).length,
      );
    }
    expect(delta('caddy_http_response_size_bytes_bucket', `${obs},le="+Inf"`)).toBe(N);
    expect(delta('caddy_http_response_size_bytes_sum', obs)).toBe(sizes.reduce((a, b) => a + b, 0));
    // Request sizes (method, request-target, protocol, headers; these requests have no headers): exact too.
    const reqSize = (p: Path) => 'GET'.length + `/${p}`.length + 'HTTP/1.1'.length;
    expect(delta('caddy_http_request_size_bytes_sum', obs)).toBe(all.reduce((n, p) => n + reqSize(p), 0));
    expect(delta('caddy_http_request_size_bytes_bucket', `${obs},le="256"`)).toBe(N);
  });
});
