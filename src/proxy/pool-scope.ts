import type { Env, WaitUntil } from '../env.ts';
import type { ActiveHealth } from './active-health.ts';
import type { PassiveHealth } from './passive-health.ts';
import type { PoolRegistry } from './pool-registry.ts';
import {
  poolConfigFor,
  poolName,
  poolNamespace,
  poolWaitMs,
  SharedPool,
  snapshotMaxAgeMs,
  type PoolNamespace,
} from './shared-pool.ts';
import type { ProxyUpstream } from './upstreams.ts';

/** What the handler asks for a request: its shared pool under this env, or undefined for per-isolate health. */
export type SharedPoolFor = (env: Env) => SharedPool | undefined;

/** One reverse_proxy handler of the scope's config. */
class PoolUser {
  readonly upstreams: readonly ProxyUpstream[];
  readonly dials: readonly string[];
  /** The pool per UPSTREAM_POOL binding, decided once per binding (null: nothing to share, per-isolate health). */
  readonly pools = new Map<PoolNamespace, SharedPool | null>();
  private readonly active: ActiveHealth | undefined;
  private readonly passive: PassiveHealth | undefined;
  private readonly sharesLoad: boolean;

  constructor(
    upstreams: readonly ProxyUpstream[],
    active: ActiveHealth | undefined,
    passive: PassiveHealth | undefined,
    sharesLoad: boolean,
  ) {
    this.upstreams = upstreams;
    this.dials = upstreams.map((u) => u.dial);
    this.active = active;
    this.passive = passive;
    this.sharesLoad = sharesLoad;
  }

  /** The pool config this handler would send under `env`, or undefined when it has nothing to share. */
  decide(ns: PoolNamespace, env: Env, registry: PoolRegistry): SharedPool | null {
    const config = poolConfigFor(this.upstreams, this.active, this.passive, env, this.sharesLoad);
    if (!config) return null;
    const name = poolName(config);
    const pool =
      registry.find(ns, name) ??
      new SharedPool(ns, config, {
        maxAgeMs: snapshotMaxAgeMs(this.active),
        waitMs: poolWaitMs(env),
        env,
        holder: () => registry.holderId(),
      });
    if (this.sharesLoad) pool.sharesLoad = true;
    return pool;
  }
}

/**
 * The shared pools of one compiled config, as Caddy's provision and cleanup give a config its resources: the
 * config's reverse_proxy handlers register here as they compile, the scope holds their pools at the registry while
 * the config is live (its `hold`), and lets go of them when it no longer is (`drop`) or for good (`dispose`). A pool
 * lives as long as some held scope uses it, so a pool the next config shares survives the change untouched.
 */
export class PoolScope {
  private readonly users: PoolUser[] = [];
  /** The scope's pools are counted at the registry (the config is live, provisionally live, or standalone). */
  holding = false;
  private disposed = false;

  readonly registry: PoolRegistry;
  /** A config compiled outside the config layer (tests, tools): live from its first request until disposed. */
  readonly standalone: boolean;

  constructor(registry: PoolRegistry, standalone: boolean) {
    this.registry = registry;
    this.standalone = standalone;
  }

  /** Registers a handler's upstreams and health config; the returned function gives its pool per request env. */
  user(
    upstreams: readonly ProxyUpstream[],
    active: ActiveHealth | undefined,
    passive: PassiveHealth | undefined,
    sharesLoad: boolean,
  ): SharedPoolFor {
    const user = new PoolUser(upstreams, active, passive, sharesLoad);
    this.users.push(user);
    return (env) => {
      const ns = poolNamespace(env);
      if (!this.holding && !this.disposed) this.registry.usedBeforeListed(this, env);
      if (!ns) return undefined;
      return this.poolOf(user, ns, env) ?? undefined;
    };
  }

  /** The handlers' upstreams (for the admin list and its health columns). */
  upstreams(): Iterable<ProxyUpstream> {
    return this.users.flatMap((u) => u.upstreams);
  }

  dials(): Iterable<string> {
    return this.users.flatMap((u) => u.dials);
  }

  /**
   * Counts the scope's pools at the registry. Pools decided under this env are decided now, so a pool the previous
   * config shares is found before that config lets go of it. Resolves with the activations it started: a pool that
   * comes back runs its checks at once, as Caddy starts a loaded config's checks.
   */
  hold(env: Env, exec?: WaitUntil): Promise<unknown>[] {
    if (this.disposed) return [];
    this.holding = true;
    const ns = poolNamespace(env);
    const work: Promise<unknown>[] = [];
    for (const user of this.users) {
      if (ns && !user.pools.has(ns)) user.pools.set(ns, user.decide(ns, env, this.registry));
      for (const [pns, pool] of user.pools) {
        if (!pool) continue;
        const held = this.registry.acquire(this, pool);
        user.pools.set(pns, held.pool);
        if (held.revived && held.pool.runsActiveChecks) work.push(held.pool.activate(exec));
      }
    }
    return work;
  }

  /** Stops counting the scope's pools; a pool no other held scope uses is released at its object. */
  drop(): Promise<unknown>[] {
    if (!this.holding) return [];
    this.holding = false;
    const work: Promise<unknown>[] = [];
    for (const user of this.users)
      for (const pool of user.pools.values()) if (pool) work.push(this.registry.letGo(this, pool));
    return work;
  }

  /** The config is gone for good: its pools are let go of, and it never holds them again. */
  async dispose(): Promise<void> {
    this.disposed = true;
    this.registry.forget(this);
    await Promise.allSettled(this.drop());
  }

  /** The user's pool under `ns`, decided on first use and counted at the registry while the scope holds. */
  private poolOf(user: PoolUser, ns: PoolNamespace, env: Env): SharedPool | null {
    const known = user.pools.get(ns);
    if (known !== undefined) return known;
    const decided = user.decide(ns, env, this.registry);
    if (decided && this.holding) {
      const held = this.registry.acquire(this, decided).pool;
      user.pools.set(ns, held);
      return held;
    }
    user.pools.set(ns, decided);
    return decided;
  }
}
