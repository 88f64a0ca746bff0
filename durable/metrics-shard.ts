import { DurableObject } from 'cloudflare:workers';
import { expired, mergeSeries, seriesKey, type SeriesData } from '../src/metrics/batch.ts';

/**
 * One shard of the metrics store. Isolates spread their flushes over several shards so no single object
 * takes every write; the scrape endpoint reads and merges all of them. Totals are kept in SQLite, so they survive
 * the object being evicted, as Prometheus counters must. Level gauges (upstream health) carry an expiry set by their
 * writer; once past it they are deleted, so an upstream no config checks any more stops being reported.
 */
export class MetricsShard extends DurableObject {
  private readonly sql: SqlStorage;
  private cache: Map<string, SeriesData> | undefined;

  constructor(ctx: DurableObjectState, env: unknown) {
    super(ctx, env as never);
    this.sql = ctx.storage.sql;
    void ctx.blockConcurrencyWhile(async () => {
      this.sql.exec('CREATE TABLE IF NOT EXISTS series (key TEXT PRIMARY KEY, data TEXT NOT NULL)');
    });
  }

  /** Adds a batch of deltas from one isolate. */
  add(batch: SeriesData[]): void {
    const all = this.load();
    this.ctx.storage.transactionSync(() => {
      for (const s of batch) {
        const key = seriesKey(s.name, s.labels);
        let current = all.get(key);
        if (current) mergeSeries(current, s);
        else all.set(key, (current = { ...s }));
        this.sql.exec(
          'INSERT INTO series (key, data) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET data = excluded.data',
          key,
          JSON.stringify(current),
        );
      }
    });
  }

  dump(): SeriesData[] {
    const all = this.load();
    const now = Date.now();
    const out: SeriesData[] = [];
    const gone: string[] = [];
    for (const [key, s] of all) {
      if (expired(s, now)) gone.push(key);
      else out.push(s);
    }
    if (gone.length) {
      this.ctx.storage.transactionSync(() => {
        for (const key of gone) {
          all.delete(key);
          this.sql.exec('DELETE FROM series WHERE key = ?', key);
        }
      });
    }
    return out;
  }

  private load(): Map<string, SeriesData> {
    if (!this.cache) {
      this.cache = new Map();
      for (const row of this.sql.exec('SELECT key, data FROM series')) {
        this.cache.set(String(row.key), JSON.parse(String(row.data)) as SeriesData);
      }
    }
    return this.cache;
  }
}
