import type {
  ActiveHealthConfig,
  PassiveHealthConfig,
  PoolConfig,
  PoolSnapshot,
  UpstreamPool,
} from '../../durable/upstream-pool.ts';
import type { RequestContext } from '../http/types.ts';
import { settleWithin } from '../util/settle-within.ts';
import { SwrCache } from '../util/swr-cache.ts';
import { poolCheckHeaders, type ActiveHealth } from './active-health.ts';
import { hostState, type PassiveHealth } from './passive-health.ts';
import type { ProxyUpstream } from './upstreams.ts';
import { xxhash64 } from './xxhash64.ts';
import { countDurableObjectError } from '../metrics/index.ts';

// Upstream health shared between isolates. A handler whose health state can live in the UpstreamPool
// Durable Object reads the pool's snapshot through a stale-while-revalidate cache, at most one refresh per isolate
// in flight:
// - fresh (younger than snapshotMaxAgeMs): served, no object call;
// - stale: served while a refresh runs in the background;
// - missing (the isolate's first request, Caddy's initial state: every upstream healthy) or older than four
//   refresh ages (an idle spell): the request waits for the refresh, but at most UPSTREAM_POOL_WAIT_MS (100 ms);
//   past that it goes on with what it has and the refresh finishes in the background. A slow or failing object
//   therefore costs a request at most that bound, and after a failure the object is left alone for a second.
// Passive failures still count locally at once and are sent to the pool in batches. For least_conn,
// random_choose and max_requests the pool also sums in-flight load: each snapshot refresh carries this isolate's
// counts (reportLoad) and brings back everyone's, so another isolate's load is at most one snapshot age old
// (≤ 1 s), and an isolate that went quiet stops counting after the object's report TTL (5 s).
//
// Pools belong to the configs that use them. The config layer compiles each config inside trackPools(), which
// records the config's reverse_proxy handlers, and tells setLiveConfigs() which configs it serves now (the base
// config, or the store's active and candidate). A pool no live config uses leaves this isolate: it is released
// at its object (which stops its alarm once no isolate holds it), is no longer refreshed by scrapes or the admin
// API, and its upstreams leave the admin list. Handlers compiled outside the config layer (tests, tools) keep
// their pools.

export type PoolNamespace = DurableObjectNamespace<UpstreamPool>;

/** How old a cached snapshot may get: half the check interval, clamped to [250ms, 1s]. */
export function snapshotMaxAgeMs(active: ActiveHealth | undefined): number {
  if (!active) return 1000;
  return Math.min(1000, Math.max(250, active.intervalMs / 2));
}

/** After a failed call the pool is left alone this long (requests keep the last snapshot meanwhile). */
const RETRY_AFTER_MS = 1000;

/** Default bound on how long a request waits for a missing or long-stale snapshot (env UPSTREAM_POOL_WAIT_MS). */
export const DEFAULT_POOL_WAIT_MS = 100;

/** How long setLiveConfigs' caller waits for the releases it sent (they go on in waitUntil when given one). */
const RELEASE_WAIT_MS = 1000;

function poolWaitMs(env: Record<string, unknown>): number {
  const v = Number(env.UPSTREAM_POOL_WAIT_MS ?? DEFAULT_POOL_WAIT_MS);
  return Number.isFinite(v) && v >= 0 ? v : DEFAULT_POOL_WAIT_MS;
}

/** One reverse_proxy handler's view of the shared pools (what sharedPoolResolver closes over). */
interface PoolUser {
  /** The compiled config the handler belongs to (set by trackPools), or undefined outside the config layer. */
  owner: object | undefined;
  readonly upstreams: readonly ProxyUpstream[];
  /** Its upstreams' dial addresses (ranges expanded), for the admin list. */
  readonly dials: readonly string[];
  /** The pool per UPSTREAM_POOL binding, decided once per binding (null: per-isolate health). */
  readonly pools: Map<PoolNamespace, SharedPool | null>;
  poolFor(ns: PoolNamespace, env: Record<string, unknown>): SharedPool | null;
}

/** The pools this isolate uses, per binding and name: recompiled handlers with the same config share one cache. */
const registry = new Map<PoolNamespace, Map<string, SharedPool>>();
/** Users created by the compile running now (compileConfig is synchronous), claimed by trackPools. */
let compiling: PoolUser[] | undefined;
const usersByOwner = new WeakMap<object, PoolUser[]>();
/** Users outside any tracked config (handlers compiled by tests or tools) that served a request: always live. */
const untracked = new Set<PoolUser>();
/** The configs served now; undefined until the config layer says (then every user counts as live). */
let live: Set<object> | undefined;
/**
 * Configs whose handlers needed a pool before the config layer listed them: one just loaded through this isolate's
 * admin API (activated at once, as Caddy starts checks at load), or one a request still in flight across a config
 * change uses. They count as live until the next setLiveConfigs, which confirms or drops them.
 */
const provisional = new Set<object>();

export function sharedPoolsInIsolate(): readonly SharedPool[] {
  return [...registry.values()].flatMap((byName) => [...byName.values()]);
}

/**
 * Runs a config compile and records the reverse_proxy handlers it creates as that config's, so its pools live
 * and die with it (see setLiveConfigs).
 */
export function trackPools<C extends object>(compile: () => C): C {
  const outer = compiling;
  const mine: PoolUser[] = [];
  compiling = mine;
  try {
    const config = compile();
    for (const u of mine) u.owner = config;
    usersByOwner.set(config, mine);
    return config;
  } finally {
    compiling = outer;
  }
}

/**
 * The configs this isolate serves now (compiled through trackPools). Pools of configs that left the set are
 * released at their objects (the promise waits for that at most RELEASE_WAIT_MS; with `exec` the rest goes on in
 * waitUntil); pools of configs that came back are configured again. Cheap when the set is unchanged. An empty set
 * is ignored: nothing compiles, and the last good config keeps serving.
 */
export function setLiveConfigs(
  configs: readonly object[],
  env: Record<string, unknown>,
  exec?: { waitUntil(p: Promise<unknown>): void },
): Promise<void> {
  if (configs.length === 0) return Promise.resolve();
  const same = live !== undefined && live.size === configs.length && configs.every((c) => live!.has(c));
  if (same && provisional.size === 0) return Promise.resolve();
  live = new Set(configs);
  provisional.clear();
  const work = reconcile(env, exec).catch((e) =>
    console.warn(`upstream pools: could not follow the config change: ${(e as Error)?.message ?? String(e)}`),
  );
  exec?.waitUntil(work);
  return settleWithin(work, RELEASE_WAIT_MS, () => {});
}

/**
 * The dial addresses of every upstream a live config proxies to, or undefined while the config layer has not said
 * which configs are live (then everything this isolate knows counts).
 */
export function liveUpstreams(): ReadonlySet<string> | undefined {
  if (!live) return undefined;
  const out = new Set<string>();
  for (const u of liveUsers()) for (const d of u.dials) out.add(d);
  return out;
}

/**
 * Upstreams of live configs that this isolate's own active checks have down (the checks a pool object cannot run;
 * see active-health.ts), by dial address: down if any handler's checks say so.
 */
export function locallyDown(): ReadonlySet<string> {
  const out = new Set<string>();
  for (const u of liveUsers()) for (const up of u.upstreams) if (up.localDown) out.add(up.dial);
  return out;
}

function* liveUsers(): Generator<PoolUser> {
  if (live) for (const c of live) yield* usersByOwner.get(c) ?? [];
  for (const c of provisional) if (!live?.has(c)) yield* usersByOwner.get(c) ?? [];
  yield* untracked;
}

function isLive(u: PoolUser): boolean {
  return !live || u.owner === undefined || live.has(u.owner) || provisional.has(u.owner);
}

function registered(ns: PoolNamespace, name: string): SharedPool | undefined {
  return registry.get(ns)?.get(name);
}

function register(pool: SharedPool): void {
  let byName = registry.get(pool.ns);
  if (!byName) registry.set(pool.ns, (byName = new Map()));
  byName.set(pool.name, pool);
}

/** Brings the registry in line with the live set: releases what no live config uses, takes back what returned. */
async function reconcile(
  env: Record<string, unknown>,
  exec: { waitUntil(p: Promise<unknown>): void } | undefined,
): Promise<void> {
  const ns = poolNamespace(env);
  const keep = new Set<SharedPool>();
  const work: Promise<unknown>[] = [];
  for (const u of liveUsers()) {
    if (ns) u.poolFor(ns, env); // decided ahead of requests, so a pool the new config shares with the old one stays
    for (const [pns, p] of u.pools) {
      if (!p) continue;
      if (!p.released) {
        keep.add(p);
        continue;
      }
      const other = registered(pns, p.name);
      if (other && !other.released) {
        u.pools.set(pns, other);
        keep.add(other);
      } else {
        p.revive();
        register(p);
        keep.add(p);
        // Caddy starts a loaded config's checks at once; this config's activation hook already ran earlier.
        if (p.runsActiveChecks) work.push(p.activate(exec));
      }
    }
  }
  for (const byName of registry.values()) {
    for (const [name, p] of byName) {
      if (keep.has(p)) continue;
      byName.delete(name);
      work.push(p.release());
    }
  }
  await Promise.allSettled(work);
}

/**
 * The shared pool a handler uses for a request's env, or undefined for per-isolate health (no UPSTREAM_POOL binding,
 * or nothing to share). Decided once per binding object.
 */
export function sharedPoolResolver(
  upstreams: readonly ProxyUpstream[],
  active: ActiveHealth | undefined,
  passive: PassiveHealth | undefined,
  sharesLoad = false,
): (env: Record<string, unknown>) => SharedPool | undefined {
  const user: PoolUser = {
    owner: undefined,
    upstreams,
    dials: upstreams.map((u) => u.dial),
    pools: new Map(),
    poolFor(ns, env) {
      let pool = this.pools.get(ns);
      if (pool !== undefined) return pool;
      pool = null;
      const config = poolConfigFor(upstreams, active, passive, env, sharesLoad);
      if (config) {
        // A config the config layer has not listed yet (see `provisional`) uses its pools normally until it says.
        if (!isLive(this) && this.owner) provisional.add(this.owner);
        pool = registered(ns, poolName(config));
        if (!pool) register((pool = new SharedPool(ns, config, snapshotMaxAgeMs(active), poolWaitMs(env), env)));
        if (sharesLoad) pool.sharesLoad = true;
      }
      this.pools.set(ns, pool);
      return pool;
    },
  };
  compiling?.push(user);
  let used = false;
  return (env) => {
    if (!used) {
      used = true;
      if (user.owner === undefined) untracked.add(user);
    }
    const ns = poolNamespace(env);
    if (!ns) return undefined;
    return user.poolFor(ns, env) ?? undefined;
  };
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
  env: Record<string, unknown>,
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

export function poolNamespace(env: Record<string, unknown>): PoolNamespace | undefined {
  const ns = env.UPSTREAM_POOL as Partial<PoolNamespace> | undefined;
  return ns && typeof ns.idFromName === 'function' && typeof ns.get === 'function' ? (ns as PoolNamespace) : undefined;
}

function healthySnapshot(config: PoolConfig): PoolSnapshot {
  const upstreams: PoolSnapshot['upstreams'] = {};
  for (const u of config.upstreams)
    upstreams[u] = { activeHealthy: true, fails: 0, inFlight: 0, passCount: 0, failCount: 0 };
  return { at: 0, upstreams };
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

  /** The Worker env the pool was made with (its metrics go to the recorder that env configures). */
  private readonly env: Record<string, unknown>;
  /**
   * Set while no request has waited for the object's first answer, which carries the first round of active checks
   * (Caddy checks at load, before traffic): requests until then wait for it, up to firstWaitMs.
   */
  private awaitingFirstRound: boolean;
  private readonly firstWaitMs: number;

  constructor(
    ns: PoolNamespace,
    config: PoolConfig,
    maxAgeMs: number,
    waitMs = DEFAULT_POOL_WAIT_MS,
    env: Record<string, unknown> = {},
  ) {
    this.ns = ns;
    this.env = env;
    this.config = config;
    this.name = poolName(config);
    // Fresh: served as is; stale: served while a refresh runs; older than 4 refresh ages (an idle isolate, or a pool
    // just activated): refreshed first, so the first request after a pause sees current health, but never waiting
    // longer than waitMs for it.
    this.cache = new SwrCache(
      () => this.load(),
      maxAgeMs,
      (e) => this.warn(e),
      { awaitAfterMs: 4 * maxAgeMs, maxWaitMs: waitMs },
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
  activate(exec?: { waitUntil(p: Promise<unknown>): void }): Promise<unknown> {
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
      .release(isolateId())
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
        let snap = await this.stub().reportFailures(batch, isolateId());
        // The pool lost its config (its last holder released it): configure it again, then report.
        if (!snap) {
          await this.configure();
          snap = await this.stub().reportFailures(batch, isolateId());
        }
        if (snap) this.cache.set(snap);
      } catch (e) {
        countDurableObjectError(this.env, 'UpstreamPool');
        this.warn(e);
        return;
      }
    }
  }

  private async configure(): Promise<PoolSnapshot> {
    this.called = true;
    const snap = await this.stub().configure(this.config, isolateId());
    this.configured = true;
    return snap;
  }

  private async load(force = false): Promise<PoolSnapshot> {
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
        const snap = await this.stub().reportLoad(isolateId(), counts);
        if (!snap) return await this.configure(); // no config there any more: the next refresh reports again
        this.reported = counts;
        return snap;
      }
      const snap = await this.stub().poll(isolateId());
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

/** The last snapshot applied to each handler's upstream list (a fresh cache hands out the same object). */
const applied = new WeakMap<readonly ProxyUpstream[], PoolSnapshot>();

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
  if (applied.get(upstreams) === snap) return;
  applied.set(upstreams, snap);
  for (const up of upstreams) {
    const st = snap.upstreams[up.dial];
    if (!st) continue;
    // Others' load: the pool's total minus what this isolate contributed to it.
    if (reported) up.host.remoteRequests = Math.max(0, st.inFlight - (reported[up.dial] ?? 0));
    const passiveDown = !!passive && passive.failDurationMs > 0 && st.fails >= passive.maxFails;
    up.poolDown = !st.activeHealthy || passiveDown;
  }
}

let isolate: string | undefined;
/** This isolate's name in load reports and as a pool holder (random values are not allowed at module scope in Workers, so made lazily). */
function isolateId(): string {
  return (isolate ??= crypto.randomUUID());
}
