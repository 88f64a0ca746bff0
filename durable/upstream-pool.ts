import { DurableObject } from 'cloudflare:workers';
import { recordHealthRound } from '../src/metrics/health-round.ts';
import { MetricsRecorder } from '../src/metrics/recorder.ts';
import { shardIndex, shardStub, type ShardEnv } from '../src/metrics/shards.ts';
import {
  budgetRefreshMs,
  checkRequest,
  countCheck,
  initialUpstreamState,
  judgeCheck,
  loadReportTtlMs,
  RECENT_HOLDER_MS,
  TARGET_UPSTREAM_PLACEHOLDER,
  type ActiveHealthConfig,
  type PoolConfig,
  type PoolSnapshot,
  type UpstreamState,
} from '../src/proxy/pool-protocol.ts';
import type { MetricsShard } from './metrics-shard.ts';

/**
 * Shared state of one upstream pool: one object per distinct upstream set + health config, named by the
 * pool key, so two routes with different `health_uri` keep separate state as in Caddy (active health is per
 * handler there). It runs active health checks on alarms, aggregates passive failures and in-flight load reported
 * by isolates, and publishes a snapshot that isolates cache.
 *
 * Lifetime: the isolates whose live configs use the pool are its holders (each call names the calling isolate).
 * An isolate whose config stops using the pool releases it; when the last holder is gone the alarm is deleted
 * and the state dropped, as Caddy stops a handler's checks and forgets its hosts on reload. An isolate that goes
 * away without releasing (evicted, or it never saw the config change) stops counting once it has not called for
 * IDLE_STOP_MS: that idle stop is the cross-isolate fallback, checked at every alarm.
 */

interface Stored {
  config: PoolConfig;
  states: Record<string, UpstreamState>;
  /** Passive failure times per upstream. */
  failures: Record<string, number[]>;
  /** Latest in-flight report per isolate: upstream → count, with its time. */
  load: Record<string, { at: number; counts: Record<string, number> }>;
  /** Isolates using the pool, with when each last called ("" = a caller that did not say who it is). */
  holders: Record<string, number>;
  /** Before holders were tracked (objects stored by an older version): the last call from anyone. */
  lastUsed?: number;
}

/** A holder's last call is kept in memory on every poll and written to storage at most this often. */
const TOUCH_PERSIST_MS = 60_000;

/**
 * A holder that has not called for this long no longer counts (the cross-isolate fallback: an isolate that went
 * away without releasing); with no holder left the alarm stops.
 */
export const IDLE_STOP_MS = 10 * 60_000;

interface PoolEnv extends ShardEnv {
  METRICS?: DurableObjectNamespace<MetricsShard>;
}

export class UpstreamPool extends DurableObject<PoolEnv> {
  private stored: Stored | undefined;
  /** The health check counts and gauges of this object's rounds, sent to a metrics shard after each round. */
  private readonly metrics = new MetricsRecorder(0);
  /** This instance knows an alarm is pending (saves a storage read on every poll). */
  private armed = false;
  /** The first round of checks, run by configure() and joined by concurrent configure() calls. */
  private firstRound: Promise<void> | undefined;

  /**
   * Registers (or refreshes) the pool's config for `holder` (the calling isolate) and starts health checks if it
   * has them: isolates call it when a config using the pool is activated.
   */
  async configure(config: PoolConfig, holder = ''): Promise<PoolSnapshot> {
    const s = this.load();
    const changed = JSON.stringify(s?.config) !== JSON.stringify(config);
    const next: Stored = s && !changed ? s : { config, states: {}, failures: {}, load: {}, holders: {} };
    next.holders[holder] = Date.now();
    for (const u of config.upstreams) next.states[u] ??= initialUpstreamState();
    this.save(next);
    if (config.active && !Object.values(next.states).some((st) => st.lastCheck !== undefined)) {
      // Never checked: Caddy runs the first round as the config loads, so the answer carries its result (the
      // caller waits for it, bounded) rather than a healthy guess. Concurrent callers join the one round.
      this.firstRound ??= this.round(next).finally(() => (this.firstRound = undefined));
      await this.firstRound;
      if (this.stored === next) await this.ctx.storage.setAlarm(Date.now() + config.active.intervalMs);
    } else if (config.active && (changed || (await this.ctx.storage.getAlarm()) === null)) {
      await this.ctx.storage.setAlarm(Date.now());
    }
    this.armed = !!config.active;
    return this.snapshot();
  }

  /**
   * What isolates call to refresh their cached snapshot: null when the pool has no config (storage was reset, it was
   * never configured, or its last holder released it), so the caller sends configure(). Polling keeps `holder`
   * counted and re-arms the checks if they had stopped for idleness.
   */
  async poll(holder = ''): Promise<PoolSnapshot | null> {
    const s = this.load();
    if (!s) return null;
    if (this.touch(s, holder, Date.now())) this.save(s);
    await this.rearm(s);
    return this.snapshot();
  }

  /** Restarts the checks if they stopped for idleness (every call from a holder counts as use). */
  private async rearm(s: Stored): Promise<void> {
    if (!s.config.active || this.armed) return;
    this.armed = true;
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now());
  }

  /**
   * `holder` no longer uses the pool (no live config of that isolate has it). With no other holder left, the
   * checks stop and the state goes: a config that uses the pool again starts it afresh, as a Caddy reload would.
   * Returns whether the pool stopped.
   */
  async release(holder = ''): Promise<boolean> {
    const s = this.load();
    if (!s) return true;
    delete s.holders[holder];
    delete s.load[holder];
    if (Object.keys(s.holders).length > 0) {
      this.save(s);
      return false;
    }
    await this.stop();
    return true;
  }

  snapshot(): PoolSnapshot {
    const s = this.load();
    if (!s) return { at: Date.now(), upstreams: {} };
    const now = Date.now();
    const refreshMs = this.refreshMs(s, now);
    this.expire(s, now, refreshMs);
    const upstreams: Record<string, UpstreamState> = {};
    for (const u of s.config.upstreams) {
      const st = s.states[u];
      let inFlight = 0;
      for (const report of Object.values(s.load)) inFlight += report.counts[u] ?? 0;
      upstreams[u] = { ...st, fails: s.failures[u]?.length ?? 0, inFlight };
    }
    return refreshMs > 0 ? { at: now, upstreams, refreshMs } : { at: now, upstreams };
  }

  /**
   * Passive failures seen by an isolate (sent in batches through waitUntil). Like poll: null when the pool has no
   * config (the caller configures it and reports again), and a call restarts checks stopped for idleness.
   */
  async reportFailures(reports: Array<{ upstream: string; at: number }>, holder = ''): Promise<PoolSnapshot | null> {
    const s = this.load();
    if (!s) return null;
    if (s.config.passive) {
      for (const r of reports) (s.failures[r.upstream] ??= []).push(Math.min(r.at, Date.now()));
      this.expire(s, Date.now());
    }
    this.touch(s, holder, Date.now());
    this.save(s);
    await this.rearm(s);
    return this.snapshot();
  }

  /** An isolate's current in-flight counts per upstream (replaces its previous report); null and re-arming as poll. */
  async reportLoad(isolate: string, counts: Record<string, number>): Promise<PoolSnapshot | null> {
    const s = this.load();
    if (!s) return null;
    s.load[isolate] = { at: Date.now(), counts };
    this.touch(s, isolate, Date.now());
    this.save(s);
    await this.rearm(s);
    return this.snapshot();
  }

  /**
   * One round of active checks, then re-arm. Stops (no re-arm) without active checks, or when no holder has called
   * for IDLE_STOP_MS (the cross-isolate fallback for isolates that went away without releasing).
   */
  override async alarm(): Promise<void> {
    const s = this.load();
    this.armed = false;
    if (!s?.config.active) return;
    const now = Date.now();
    for (const [holder, at] of Object.entries(s.holders)) if (now - at > IDLE_STOP_MS) delete s.holders[holder];
    if (Object.keys(s.holders).length === 0) {
      this.save(s); // the state stays: a holder that comes back polls and re-arms
      return;
    }
    await this.round(s);
    if (this.stored !== s) return; // released while the round ran: no next round
    await this.ctx.storage.setAlarm(Date.now() + s.config.active.intervalMs);
    this.armed = true;
  }

  /** One round of active checks over every upstream, recorded together. */
  private async round(s: Stored): Promise<void> {
    const active = s.config.active!;
    // Results are applied together, so a snapshot taken meanwhile never shows half a round.
    const results = await Promise.all(s.config.upstreams.map((u) => checkUpstream(u, active)));
    // Released (or reconfigured) while the checks ran: this round belongs to state that is gone.
    if (this.stored !== s) return;
    s.config.upstreams.forEach((u, i) => {
      this.record(s, u, results[i]);
    });
    this.save(s);
    recordHealthRound(
      this.metrics,
      s.config.upstreams.map((u, i) => ({ upstream: u, passed: results[i].ok, healthy: s.states[u].activeHealthy })),
      { intervalMs: active.intervalMs },
    );
    await this.flushMetrics();
  }

  private record(s: Stored, upstream: string, result: { ok: boolean; error?: string }): void {
    const st = (s.states[upstream] ??= initialUpstreamState());
    st.lastCheck = Date.now();
    st.lastError = result.error;
    countCheck(st, result.ok, s.config.active!);
  }

  /** Sends the rounds' metrics; a failed send keeps them for the next round's. */
  private async flushMetrics(): Promise<void> {
    const ns = this.env.METRICS;
    if (!ns) return;
    const shard = shardStub(ns, shardIndex(this.env, this.metrics.shardSeed));
    await this.metrics
      .flush(async (batch) => {
        await shard.add(batch);
      })
      .catch((e) => console.warn(`upstream pool: metrics flush failed, kept for the next round: ${String(e)}`));
  }

  /**
   * The refresh interval this pool asks of its isolates: long enough that the isolates that called recently refresh
   * within the object's budget together. An isolate follows it only when it is longer than its own.
   */
  private refreshMs(s: Stored, now: number): number {
    let recent = 0;
    for (const at of Object.values(s.holders)) if (now - at < RECENT_HOLDER_MS) recent++;
    return budgetRefreshMs(recent);
  }

  /** Records a call from `holder`; true when storage should be written (a new holder, or the last write is old). */
  private touch(s: Stored, holder: string, now: number): boolean {
    const prev = s.holders[holder];
    s.holders[holder] = now;
    return prev === undefined || now - prev > TOUCH_PERSIST_MS;
  }

  private async stop(): Promise<void> {
    this.stored = undefined;
    this.armed = false;
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
  }

  /** Drops passive failures past fail_duration and load reports past their TTL (which follows `refreshMs`). */
  private expire(s: Stored, now: number, refreshMs = this.refreshMs(s, now)): void {
    const window = s.config.passive?.failDurationMs ?? 0;
    for (const [u, times] of Object.entries(s.failures)) s.failures[u] = times.filter((t) => now - t < window);
    const ttl = loadReportTtlMs(refreshMs);
    for (const [id, report] of Object.entries(s.load)) if (now - report.at > ttl) delete s.load[id];
  }

  private load(): Stored | undefined {
    if (!this.stored) {
      const s = this.ctx.storage.kv.get('pool') as Stored | undefined;
      // Stored before holders were tracked: whoever called last counts as one anonymous holder.
      if (s && !s.holders) s.holders = { '': s.lastUsed ?? Date.now() };
      this.stored = s;
    }
    return this.stored;
  }

  private save(s: Stored): void {
    this.stored = s;
    this.ctx.storage.kv.put('pool', s);
  }
}

/** One active health check of one upstream, with Caddy's pass criteria. */
export async function checkUpstream(
  upstream: string,
  cfg: ActiveHealthConfig,
): Promise<{ ok: boolean; error?: string }> {
  const [host, port] = splitHostPort(upstream);
  const checkPort = cfg.port ?? port;
  // Caddy sets target_upstream to the upstream's dial address for each check (healthchecks.go).
  const headers = new Headers();
  for (const [name, value] of Object.entries(cfg.headers)) {
    if (name.toLowerCase() !== 'host') headers.append(name, value.replaceAll(TARGET_UPSTREAM_PLACEHOLDER, upstream));
  }
  try {
    const { url, init } = checkRequest(cfg.scheme, checkPort ? `${host}:${checkPort}` : host, cfg.uri, cfg, headers);
    const res = await fetch(url, init);
    const expectBody = cfg.expectBody === undefined ? undefined : new RegExp(cfg.expectBody, cfg.expectBodyFlags);
    return await judgeCheck(res, { expectStatus: cfg.expectStatus, expectBody, maxSize: cfg.maxSize });
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}

function splitHostPort(addr: string): [string, string] {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(addr);
  return m ? [m[1], m[2] ?? ''] : [addr, ''];
}
