import type { Env, WaitUntil } from '../env.ts';
import type { UpstreamPool } from '../../durable/upstream-pool.ts';
import type { RequestContext } from '../http/types.ts';
import { settleWithin } from '../util/settle-within.ts';
import { SwrCache } from '../util/swr-cache.ts';
import { poolCheckHeaders, type ActiveHealth } from './active-health.ts';
import { hostState, type PassiveHealth } from './passive-health.ts';
import type { ProxyUpstream } from './upstreams.ts';
import {
  initialUpstreamState,
  type ActiveHealthConfig,
  type PassiveHealthConfig,
  type PoolConfig,
  type PoolSnapshot,
} from './pool-protocol.ts';
import { xxhash64 } from '../util/xxhash64.ts';
import { countDurableObjectError } from '../metrics/index.ts';

// Upstream health shared between isolates. A handler whose health state can live in the UpstreamPool
// Durable Object reads the pool's snapshot through a stale-while-revalidate cache, at most one refresh per isolate
// in flight:
// - fresh (younger than snapshotMaxAgeMs, or the longer interval the object asks for when so many isolates hold the
//   pool that their refreshes would exceed its budget): served, no object call;
// - stale: served while a refresh runs in the background;
// - missing (the isolate's first request, Caddy's initial state: every upstream healthy) or older than four
//   refresh ages (an idle spell): the request waits for the refresh, but at most UPSTREAM_POOL_WAIT_MS (100 ms);
//   past that it goes on with what it has and the refresh finishes in the background. A slow or failing object
//   therefore costs a request at most that bound, and after a failure the object is left alone for a second.
// Passive failures still count locally at once and are sent to the pool in batches. For least_conn,
// random_choose and max_requests the pool also sums in-flight load: each snapshot refresh carries this isolate's
// counts (reportLoad) and brings back everyone's, so another isolate's load is at most one snapshot age old, and an
// isolate that went quiet stops counting after a few of them (pool-protocol.ts, loadReportTtlMs).
//
// Which pools an isolate holds, and for how long, is decided by the configs that use them (pool-scope.ts,
// pool-registry.ts); this file is one pool's cache and calls.

export type PoolNamespace = DurableObjectNamespace<UpstreamPool>;

/** How old a cached snapshot may get: half the check interval, clamped to [250ms, 1s]. */
export function snapshotMaxAgeMs(active: ActiveHealth | undefined): number {
  if (!active) return 1000;
  return Math.min(1000, Math.max(250, active.intervalMs / 2));
}

/** A snapshot this many refresh ages old is refreshed before use (an idle spell), within the wait bound. */
const AWAIT_AFTER_AGES = 4;

/** After a failed call the pool is left alone this long (requests keep the last snapshot meanwhile). */
const RETRY_AFTER_MS = 1000;

/** Default bound on how long a request waits for a missing or long-stale snapshot (env UPSTREAM_POOL_WAIT_MS). */
export const DEFAULT_POOL_WAIT_MS = 100;

export function poolWaitMs(env: Env): number {
  const v = Number(env.UPSTREAM_POOL_WAIT_MS ?? DEFAULT_POOL_WAIT_MS);
  return Number.isFinite(v) && v >= 0 ? v : DEFAULT_POOL_WAIT_MS;
}

/**
 * The pool config an isolate sends, or undefined when there is nothing to share. Active checks go in only when the
 * object can run them; otherwise they run per isolate (active-health.ts) and the pool may still share passive
 * failures and load.
 */
export function poolConfigFor(
  upstreams: readonly ProxyUpstream[],
  active: ActiveHealth | undefined,
  passive: PassiveHealth | undefined,
  env: Env,
  sharesLoad = false,
): PoolConfig | undefined {
  const passiveCfg: PassiveHealthConfig | undefined =
    passive && passive.failDurationMs > 0
      ? { failDurationMs: passive.failDurationMs, maxFails: passive.maxFails }
      : undefined;
  // The object fetches from its own isolate: service bindings, an `upstream` override and placeholder dials stay
  // with the per-isolate checks.
  const objectChecks =
    !!active &&
    !active.hostOverride &&
    active.upstreams.length === upstreams.length &&
    active.upstreams.every((u) => typeof u.target !== 'function' && u.target.kind === 'tcp');
  if (!objectChecks && !passiveCfg && !sharesLoad) return undefined;
  let activeCfg: ActiveHealthConfig | undefined;
  if (active && objectChecks) {
    activeCfg = {
      uri: active.uri || '/',
      port: active.port ? Number(active.port) : undefined,
      intervalMs: active.intervalMs,
      timeoutMs: active.timeoutMs,
      method: active.method,
      headers: poolCheckHeaders(active, env),
      body: active.body && active.method !== 'GET' && active.method !== 'HEAD' ? active.body : undefined,
      expectStatus: active.expectStatus || undefined,
      expectBody: active.expectBody?.source,
      expectBodyFlags: active.expectBody?.flags,
      maxSize: active.maxSize || undefined,
      followRedirects: active.followRedirects,
      passes: active.passes,
      fails: active.fails,
      scheme: active.tls ? 'https' : 'http',
    };
  }
  return { upstreams: upstreams.map((u) => u.dial), active: activeCfg, passive: passiveCfg };
}

/** The Durable Object name of a pool: a stable hash of its dial list and health config. */
export function poolName(config: PoolConfig): string {
  return `pool:${xxhash64(JSON.stringify(config)).toString(16)}`;
}

export function poolNamespace(env: Env): PoolNamespace | undefined {
  const ns = env.UPSTREAM_POOL as Partial<PoolNamespace> | undefined;
  return ns && typeof ns.idFromName === 'function' && typeof ns.get === 'function' ? (ns as PoolNamespace) : undefined;
}

function healthySnapshot(config: PoolConfig): PoolSnapshot {
  const upstreams: PoolSnapshot['upstreams'] = {};
  for (const u of config.upstreams) upstreams[u] = initialUpstreamState();
  return { at: 0, upstreams };
}

export interface SharedPoolOptions {
  /** How old a cached snapshot may get before it is refreshed (snapshotMaxAgeMs). */
  maxAgeMs: number;
  /** Bound on a request's wait for a missing or long-stale snapshot. */
  waitMs?: number;
  /** The Worker env the pool's metrics go to. */
  env?: Env;
  /** The isolate's holder name (made lazily: random values are not allowed at module scope in Workers). */
  holder: () => string;
}

/** One handler's view of its UpstreamPool object in this isolate. */
export class SharedPool {
  readonly name: string;
  readonly config: PoolConfig;
  readonly ns: PoolNamespace;
  private readonly cache: SwrCache<PoolSnapshot>;
  private configured = false;
  /** This isolate has called the object (so it may count as a holder there). */
  private called = false;
  private failedAt = 0;
  private warned = false;
  private pending: Array<{ upstream: string; at: number }> = [];
  private flushing: Promise<void> | undefined;
  /** Report this isolate's in-flight counts with each refresh (a handler uses a load-based policy or max_requests). */
  sharesLoad = false;
  /** The counts of this isolate's last report, which the pool's totals include. */
  reported: Record<string, number> = {};
  /** No live config uses the pool: it serves its last snapshot and calls the object no more. */
  released = false;

  /** This isolate's name at the object: the holder it counts, and the reporter of its load. */
  private readonly holder: () => string;
  /** The Worker env the pool was made with (its metrics go to the recorder that env configures). */
  private readonly env: Env;
  /**
   * Set while no request has waited for the object's first answer, which carries the first round of active checks
   * (Caddy checks at load, before traffic): requests until then wait for it, up to firstWaitMs.
   */
  private awaitingFirstRound: boolean;
  private readonly firstWaitMs: number;
  /** The handler's own refresh interval; the object may ask for a longer one when many isolates hold the pool. */
  private readonly maxAgeMs: number;
  private refreshMs: number | undefined;

  constructor(ns: PoolNamespace, config: PoolConfig, opts: SharedPoolOptions) {
    const { maxAgeMs, waitMs = DEFAULT_POOL_WAIT_MS, env = {} } = opts;
    this.holder = opts.holder;
    this.ns = ns;
    this.env = env;
    this.config = config;
    this.name = poolName(config);
    // Fresh: served as is; stale: served while a refresh runs; older than 4 refresh ages (an idle isolate, or a pool
    // just activated): refreshed first, so the first request after a pause sees current health, but never waiting
    // longer than waitMs for it.
    this.maxAgeMs = maxAgeMs;
    this.cache = new SwrCache(
      () => this.load(),
      maxAgeMs,
      (e) => this.warn(e),
      { awaitAfterMs: AWAIT_AFTER_AGES * maxAgeMs, maxWaitMs: waitMs },
    );
    // Caddy's initial state until the object answers; fetchedAt 0 makes the first get() refresh (within waitMs).
    this.cache.set(healthySnapshot(config), 0);
    // UPSTREAM_POOL_WAIT_MS=0 (never wait for the object) holds for the first round too.
    this.awaitingFirstRound = config.active !== undefined && waitMs > 0;
    this.firstWaitMs = config.active ? Math.min(config.active.timeoutMs, 1000) + waitMs : waitMs;
  }

  /** Whether the object runs the handler's active checks (else they run per isolate). */
  get runsActiveChecks(): boolean {
    return this.config.active !== undefined;
  }

  stub(): DurableObjectStub<UpstreamPool> {
    return this.ns.get(this.ns.idFromName(this.name));
  }

  /** The cached snapshot; refreshes it as described at the top of this file (never waiting past the bound). */
  snapshot(ctx: RequestContext): Promise<PoolSnapshot> {
    if (this.released) return Promise.resolve(this.cache.peek()!);
    if (this.awaitingFirstRound) return this.firstSnapshot(ctx);
    return this.cache.get(ctx.exec);
  }

  /** snapshot() without a promise when the cache can answer now (almost always); undefined: await snapshot(). */
  snapshotNow(ctx: RequestContext): PoolSnapshot | undefined {
    if (this.released) return this.cache.peek();
    if (this.awaitingFirstRound) return undefined;
    return this.cache.getNow(ctx.exec);
  }

  /** The object's first answer (joining the load activate() started), or Caddy's initial state past the bound. */
  private async firstSnapshot(ctx: RequestContext): Promise<PoolSnapshot> {
    const snap = await settleWithin(this.cache.revalidate(ctx.exec), this.firstWaitMs, () => this.cache.peek()!);
    this.awaitingFirstRound = false;
    return snap;
  }

  /**
   * Configures the object (which starts its health checks) when a config using it is activated: in the
   * background, through the cache, so the first request joins that call instead of making its own.
   */
  activate(exec?: WaitUntil): Promise<unknown> {
    if (this.configured || this.released) return Promise.resolve();
    return this.cache.revalidate(exec);
  }

  /** Reads the object now and caches the answer (tests, admin). */
  async refresh(): Promise<PoolSnapshot> {
    const snap = await this.load(true);
    this.cache.set(snap);
    return snap;
  }

  /** Tells the object this isolate no longer uses the pool (no live config has it); never throws. */
  release(): Promise<void> {
    this.released = true;
    this.configured = false;
    this.pending = [];
    if (!this.called) return Promise.resolve();
    this.called = false;
    return this.stub()
      .release(this.holder())
      .then(
        () => {},
        (e) => {
          countDurableObjectError(this.env, 'UpstreamPool');
          this.warn(e);
        },
      );
  }

  /** A live config uses the pool again: the next call configures the object afresh. */
  revive(): void {
    this.released = false;
    this.configured = false;
    this.failedAt = 0;
    this.awaitingFirstRound = this.config.active !== undefined && this.firstWaitMs > 0;
  }

  /** Queues one passive failure; the batch goes out after the response, in waitUntil. */
  reportFailure(upstream: string, ctx: RequestContext): void {
    if (this.released) return;
    this.pending.push({ upstream, at: Date.now() });
    if (this.flushing) return;
    this.flushing = Promise.resolve()
      .then(() => this.flush())
      .finally(() => {
        this.flushing = undefined;
      });
    ctx.exec?.waitUntil(this.flushing);
  }

  private async flush(): Promise<void> {
    while (this.pending.length > 0 && !this.released) {
      const batch = this.pending;
      this.pending = [];
      try {
        if (!this.configured) await this.configure();
        this.called = true;
        let snap = await this.stub().reportFailures(batch, this.holder());
        // The pool lost its config (its last holder released it): configure it again, then report.
        if (!snap) {
          await this.configure();
          snap = await this.stub().reportFailures(batch, this.holder());
        }
        if (snap) this.cache.set(this.adopt(snap));
      } catch (e) {
        countDurableObjectError(this.env, 'UpstreamPool');
        this.warn(e);
        return;
      }
    }
  }

  private async configure(): Promise<PoolSnapshot> {
    this.called = true;
    const snap = await this.stub().configure(this.config, this.holder());
    this.configured = true;
    return snap;
  }

  private async load(force = false): Promise<PoolSnapshot> {
    return this.adopt(await this.call(force));
  }

  /** Follows the refresh interval the object asks for (never below the handler's own). */
  private adopt(snap: PoolSnapshot): PoolSnapshot {
    const refreshMs = snap.refreshMs;
    if (refreshMs !== this.refreshMs) {
      this.refreshMs = refreshMs;
      const maxAge = Math.max(this.maxAgeMs, refreshMs ?? 0);
      this.cache.retune(maxAge, AWAIT_AFTER_AGES * maxAge);
    }
    return snap;
  }

  private async call(force: boolean): Promise<PoolSnapshot> {
    // A refresh that was already queued when the pool was released must not make this isolate a holder again.
    if (this.released) return this.cache.peek()!;
    if (!force && Date.now() - this.failedAt < RETRY_AFTER_MS)
      throw new Error('upstream pool: waiting before retrying');
    try {
      if (!this.configured) return await this.configure();
      this.called = true;
      if (this.sharesLoad) {
        const counts: Record<string, number> = {};
        for (const u of this.config.upstreams) counts[u] = hostState(u).numRequests;
        const snap = await this.stub().reportLoad(this.holder(), counts);
        if (!snap) return await this.configure(); // no config there any more: the next refresh reports again
        this.reported = counts;
        return snap;
      }
      const snap = await this.stub().poll(this.holder());
      if (snap) return snap;
      return await this.configure();
    } catch (e) {
      this.failedAt = Date.now();
      countDurableObjectError(this.env, 'UpstreamPool');
      throw e;
    }
  }

  private warn(e: unknown): void {
    if (this.warned) return;
    this.warned = true;
    console.warn(
      `upstream pool ${this.name} unreachable, using the last known health: ${(e as Error)?.message ?? String(e)}`,
    );
  }
}

/**
 * Applies a snapshot to the handler's upstreams: the pool's active result and its summed passive failures mark an
 * upstream down (ProxyUpstream.poolDown, apart from the isolate's own checks, which run when the pool does not);
 * the isolate's own passive failures still count through ProxyUpstream.healthy() at once.
 */
export function applySnapshot(
  upstreams: readonly ProxyUpstream[],
  snap: PoolSnapshot,
  passive: PassiveHealth | undefined,
  reported?: Record<string, number>,
): void {
  for (const up of upstreams) {
    const st = snap.upstreams[up.dial];
    if (!st) continue;
    // Others' load: the pool's total minus what this isolate contributed to it.
    if (reported) up.host.remoteRequests = Math.max(0, st.inFlight - (reported[up.dial] ?? 0));
    const passiveDown = !!passive && passive.failDurationMs > 0 && st.fails >= passive.maxFails;
    up.poolDown = !st.activeHealthy || passiveDown;
  }
}
