import type { Env, WaitUntil } from '../env.ts';
import { settleWithin } from '../util/settle-within.ts';
import { PoolScope } from './pool-scope.ts';
import type { PoolNamespace, SharedPool } from './shared-pool.ts';

/** How long setLive's caller waits for the releases it sent (they go on in waitUntil when given one). */
const RELEASE_WAIT_MS = 1000;

/**
 * The shared pools of one isolate, counted by the config scopes that use them (Caddy's usage pool idea): a pool is
 * released at its object when the last held scope lets go of it. The config layer owns one registry for the isolate
 * and tells it which configs are live (setLive); a config compiled without one gets a registry of its own.
 *
 * Recompiled handlers with the same upstreams and health config find the same pool here, so a config change that
 * keeps a pool keeps its cache and its object's checks.
 */
export class PoolRegistry {
  private readonly byBinding = new Map<PoolNamespace, Map<string, SharedPool>>();
  private readonly users = new Map<SharedPool, Set<PoolScope>>();
  /** Scopes whose pools are counted: the live configs, provisional ones, and standalone ones that served. */
  private readonly held = new Set<PoolScope>();
  /** The configs the config layer serves now; undefined until it says (then every scope that serves counts). */
  private live: ReadonlySet<PoolScope> | undefined;
  /**
   * Scopes that served before the config layer listed them: a config just loaded through this isolate's admin API
   * (activated at once, as Caddy starts checks at load), or one a request in flight across a change still uses.
   * They are held until the next setLive, which confirms or drops them.
   */
  private readonly provisional = new Set<PoolScope>();
  private holder: string | undefined;

  /** A new config's scope. */
  scope(standalone = false): PoolScope {
    return new PoolScope(this, standalone);
  }

  /** This isolate's name as a pool holder (made on first use: no random values at module scope in Workers). */
  holderId(): string {
    this.holder ??= crypto.randomUUID();
    return this.holder;
  }

  /** Every pool some held scope uses. */
  pools(): SharedPool[] {
    return [...this.byBinding.values()].flatMap((byName) => [...byName.values()]);
  }

  find(ns: PoolNamespace, name: string): SharedPool | undefined {
    return this.byBinding.get(ns)?.get(name);
  }

  /**
   * Counts `pool` as used by `scope`. A pool of the same name already counted is shared instead; a released one is
   * revived (`revived`: its checks need starting).
   */
  acquire(scope: PoolScope, pool: SharedPool): { pool: SharedPool; revived: boolean } {
    const current = this.find(pool.ns, pool.name);
    let revived = false;
    if (current && current !== pool && !current.released) pool = current;
    else if (current !== pool) {
      if (pool.released) {
        pool.revive();
        revived = true;
      }
      let byName = this.byBinding.get(pool.ns);
      if (!byName) this.byBinding.set(pool.ns, (byName = new Map()));
      byName.set(pool.name, pool);
    }
    let scopes = this.users.get(pool);
    if (!scopes) this.users.set(pool, (scopes = new Set()));
    scopes.add(scope);
    return { pool, revived };
  }

  /** `scope` no longer uses `pool`; the last user releases it at its object (never throws). */
  letGo(scope: PoolScope, pool: SharedPool): Promise<void> {
    const scopes = this.users.get(pool);
    if (!scopes?.delete(scope) || scopes.size > 0) return Promise.resolve();
    this.users.delete(pool);
    const byName = this.byBinding.get(pool.ns);
    if (byName?.get(pool.name) === pool) byName.delete(pool.name);
    return pool.release();
  }

  /** A scope served before setLive listed it: held now, provisionally once the config layer has a live set. */
  usedBeforeListed(scope: PoolScope, env: Env): void {
    if (this.live && !scope.standalone) this.provisional.add(scope);
    this.held.add(scope);
    void Promise.allSettled(scope.hold(env));
  }

  /** A disposed scope leaves the live bookkeeping. */
  forget(scope: PoolScope): void {
    this.held.delete(scope);
    this.provisional.delete(scope);
  }

  /**
   * The scopes of the configs this isolate serves now. Scopes that joined hold their pools (before anything is
   * let go of, so shared pools stay); scopes that left let go. The promise waits for that at most RELEASE_WAIT_MS;
   * with `exec` the rest goes on in waitUntil. Cheap when the set is unchanged; an empty set is ignored (nothing
   * compiles, and the last good config keeps serving).
   */
  setLive(scopes: readonly PoolScope[], env: Env, exec?: WaitUntil): Promise<void> {
    if (scopes.length === 0) return Promise.resolve();
    const live = this.live;
    const same = live !== undefined && live.size === scopes.length && scopes.every((s) => live.has(s));
    if (same && this.provisional.size === 0) return Promise.resolve();
    const next = new Set(scopes);
    const work: Promise<unknown>[] = [];
    for (const scope of next) {
      if (scope.holding) continue;
      this.held.add(scope);
      work.push(...scope.hold(env, exec));
    }
    for (const scope of this.held) {
      if (next.has(scope) || scope.standalone) continue;
      this.held.delete(scope);
      work.push(...scope.drop());
    }
    this.live = next;
    this.provisional.clear();
    const settled = Promise.allSettled(work).then(() => {});
    exec?.waitUntil(settled);
    return settleWithin(settled, RELEASE_WAIT_MS, () => {});
  }

  /**
   * Dial addresses of every upstream a held config proxies to, or undefined while the config layer has not said
   * which configs are live (then everything this isolate knows counts).
   */
  liveUpstreams(): ReadonlySet<string> | undefined {
    if (!this.live) return undefined;
    const out = new Set<string>();
    for (const scope of this.held) for (const dial of scope.dials()) out.add(dial);
    return out;
  }

  /**
   * Upstreams of held configs that this isolate's own active checks have down (the checks a pool object cannot run;
   * see active-health.ts), by dial address: down if any handler's checks say so.
   */
  locallyDown(): ReadonlySet<string> {
    const out = new Set<string>();
    for (const scope of this.held) for (const up of scope.upstreams()) if (up.localDown) out.add(up.dial);
    return out;
  }
}
