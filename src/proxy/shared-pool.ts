import type { ActiveHealthConfig, PassiveHealthConfig, PoolConfig, PoolSnapshot, UpstreamPool } from '../../durable/upstream-pool.ts';
import type { RequestContext } from '../http/types.ts';
import { SwrCache } from '../util/swr-cache.ts';
import type { ActiveHealth } from './active-health.ts';
import { hostState, type PassiveHealth } from './passive-health.ts';
import type { ProxyUpstream } from './upstreams.ts';
import { xxhash64 } from './xxhash64.ts';

// Upstream health shared between isolates (issue 5). A handler whose health checks can run in the UpstreamPool
// Durable Object reads the pool's snapshot through a stale-while-revalidate cache: a request never waits for the
// object (the first one starts from Caddy's initial state, every upstream healthy) and at most one refresh per
// isolate is in flight. Passive failures still count locally at once and are sent to the pool in batches.
// For least_conn, random_choose and max_requests the pool also sums in-flight load: each snapshot refresh carries
// this isolate's counts (reportLoad) and brings back everyone's, so another isolate's load is at most one snapshot
// age old (≤ 1 s), and an isolate that went quiet stops counting after the object's report TTL (5 s).

export type PoolNamespace = DurableObjectNamespace<UpstreamPool>;

/** How old a cached snapshot may get: half the check interval, clamped to [250ms, 1s]. */
export function snapshotMaxAgeMs(active: ActiveHealth | undefined): number {
  if (!active) return 1000;
  return Math.min(1000, Math.max(250, active.intervalMs / 2));
}

/** After a failed call the pool is left alone this long (requests keep the last snapshot meanwhile). */
const RETRY_AFTER_MS = 1000;

/** Every shared pool this isolate uses, by name: recompiled handlers with the same config share one cache. */
const pools = new Map<string, SharedPool>();

export function sharedPoolsInIsolate(): readonly SharedPool[] {
  return [...pools.values()];
}

/**
 * The shared pool a handler uses for a request's env, or undefined for per-isolate health (no UPSTREAM_POOL binding,
 * no health checks, or checks the object cannot run). Decided once per binding object.
 */
export function sharedPoolResolver(
  upstreams: readonly ProxyUpstream[],
  active: ActiveHealth | undefined,
  passive: PassiveHealth | undefined,
  sharesLoad = false,
): (ctx: RequestContext) => SharedPool | undefined {
  const decided = new WeakMap<object, SharedPool | null>();
  return (ctx) => {
    const ns = poolNamespace(ctx.env);
    if (!ns) return undefined;
    let pool = decided.get(ns);
    if (pool === undefined) {
      const config = poolConfigFor(upstreams, active, passive, ctx, sharesLoad);
      pool = null;
      if (config) {
        const name = poolName(config);
        const known = pools.get(name);
        pool = known && known.ns === ns ? known : new SharedPool(ns, config, snapshotMaxAgeMs(active));
        if (sharesLoad) pool.sharesLoad = true;
        pools.set(name, pool);
      }
      decided.set(ns, pool);
    }
    return pool ?? undefined;
  };
}

/** The pool config an isolate sends, or undefined when the handler's checks cannot run in the Durable Object. */
export function poolConfigFor(
  upstreams: readonly ProxyUpstream[],
  active: ActiveHealth | undefined,
  passive: PassiveHealth | undefined,
  ctx: RequestContext,
  sharesLoad = false,
): PoolConfig | undefined {
  const passiveCfg: PassiveHealthConfig | undefined =
    passive && passive.failDurationMs > 0 ? { failDurationMs: passive.failDurationMs, maxFails: passive.maxFails } : undefined;
  if (!active && !passiveCfg && !sharesLoad) return undefined;
  let activeCfg: ActiveHealthConfig | undefined;
  if (active) {
    // The object fetches from its own isolate: service bindings, an `upstream` override and placeholder dials stay
    // with the per-isolate checks.
    const tcp = active.upstreams.every((u) => typeof u.target !== 'function' && u.target.kind === 'tcp');
    if (active.hostOverride || !tcp || active.upstreams.length !== upstreams.length) {
      // Checks stay per isolate; the pool can still sum load.
      return sharesLoad ? { upstreams: upstreams.map((u) => u.dial), passive: passiveCfg } : undefined;
    }
    const headers: Record<string, string> = {};
    for (const [name, vals] of active.headers) headers[name] = vals.map((v) => v(ctx)).join(', ');
    activeCfg = {
      uri: active.uri || '/',
      port: active.port ? Number(active.port) : undefined,
      intervalMs: active.intervalMs,
      timeoutMs: active.timeoutMs,
      method: active.method,
      headers,
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

export function poolNamespace(env: Record<string, unknown>): PoolNamespace | undefined {
  const ns = env.UPSTREAM_POOL as Partial<PoolNamespace> | undefined;
  return ns && typeof ns.idFromName === 'function' && typeof ns.get === 'function' ? (ns as PoolNamespace) : undefined;
}

function healthySnapshot(config: PoolConfig): PoolSnapshot {
  const upstreams: PoolSnapshot['upstreams'] = {};
  for (const u of config.upstreams) upstreams[u] = { activeHealthy: true, fails: 0, inFlight: 0, passCount: 0, failCount: 0 };
  return { at: 0, upstreams };
}

/** One handler's view of its UpstreamPool object in this isolate. */
export class SharedPool {
  readonly name: string;
  readonly config: PoolConfig;
  readonly ns: PoolNamespace;
  private readonly cache: SwrCache<PoolSnapshot>;
  private configured = false;
  private failedAt = 0;
  private warned = false;
  private pending: Array<{ upstream: string; at: number }> = [];
  private flushing: Promise<void> | undefined;
  /** Report this isolate's in-flight counts with each refresh (a handler uses a load-based policy or max_requests). */
  sharesLoad = false;
  /** The counts of this isolate's last report, which the pool's totals include. */
  reported: Record<string, number> = {};

  constructor(ns: PoolNamespace, config: PoolConfig, maxAgeMs: number) {
    this.ns = ns;
    this.config = config;
    this.name = poolName(config);
    // Fresh: served as is; stale: served while a refresh runs; older than 4 refresh ages (an idle isolate, or a pool
    // just activated): refreshed first, so the first request after a pause sees current health.
    this.cache = new SwrCache(() => this.load(), maxAgeMs, (e) => this.warn(e), 4 * maxAgeMs);
    // Caddy's initial state until the object answers; fetchedAt 0 makes the first get() refresh in the background.
    this.cache.set(healthySnapshot(config), 0);
  }

  stub(): DurableObjectStub<UpstreamPool> {
    return this.ns.get(this.ns.idFromName(this.name));
  }

  /** The cached snapshot; starts a background refresh (never awaited here) once it is stale. */
  snapshot(ctx: RequestContext): Promise<PoolSnapshot> {
    return this.cache.get(ctx.exec);
  }

  /** Configures the object (which starts its health checks) when the config using it is activated. */
  activate(exec?: { waitUntil(p: Promise<unknown>): void }): void {
    if (this.configured) return;
    const started = this.configure().catch((e) => this.warn(e));
    exec?.waitUntil(started);
  }

  /** Reads the object now and caches the answer (tests, admin). */
  async refresh(): Promise<PoolSnapshot> {
    const snap = await this.load(true);
    this.cache.set(snap);
    return snap;
  }

  /** Queues one passive failure; the batch goes out after the response, in waitUntil. */
  reportFailure(upstream: string, ctx: RequestContext): void {
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
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      try {
        if (!this.configured) await this.configure();
        this.cache.set(await this.stub().reportFailures(batch));
      } catch (e) {
        this.warn(e);
        return;
      }
    }
  }

  private async configure(): Promise<PoolSnapshot> {
    const snap = await this.stub().configure(this.config);
    this.configured = true;
    return snap;
  }

  private async load(force = false): Promise<PoolSnapshot> {
    if (!force && Date.now() - this.failedAt < RETRY_AFTER_MS) throw new Error('upstream pool: waiting before retrying');
    try {
      if (!this.configured) return await this.configure();
      if (this.sharesLoad) {
        const counts: Record<string, number> = {};
        for (const u of this.config.upstreams) counts[u] = hostState(u).numRequests;
        const snap = await this.stub().reportLoad(isolateId(), counts);
        this.reported = counts;
        return snap;
      }
      const snap = await this.stub().poll();
      if (snap) return snap;
      return await this.configure();
    } catch (e) {
      this.failedAt = Date.now();
      throw e;
    }
  }

  private warn(e: unknown): void {
    if (this.warned) return;
    this.warned = true;
    console.warn(`upstream pool ${this.name} unreachable, using the last known health: ${(e as Error)?.message ?? String(e)}`);
  }
}

/**
 * Applies a snapshot to the handler's upstreams: the pool's active result and its summed passive failures mark an
 * upstream down. The isolate's own failures still count through ProxyUpstream.healthy() at once.
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
    up.activeUnhealthy = !st.activeHealthy || passiveDown;
  }
}

let isolate: string | undefined;
/** This isolate's name in load reports (random values are not allowed at module scope in Workers, so made lazily). */
function isolateId(): string {
  return (isolate ??= crypto.randomUUID());
}
