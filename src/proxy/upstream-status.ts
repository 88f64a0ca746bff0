import type { PoolSnapshot } from './pool-protocol.ts';
import { currentFails, hostStates } from './passive-health.ts';
import type { PoolRegistry } from './pool-registry.ts';
import type { SharedPool } from './shared-pool.ts';

// Admin `GET /reverse_proxy/upstreams`: Caddy's list of {address, num_requests, fails}, plus what the shared pools
// know (healthy, last_check, last_error). Local counts come from this isolate; shared ones are read fresh from the
// UpstreamPool objects of the pools live configs use (the admin path may call Durable Objects; a request waits for
// one at most UPSTREAM_POOL_WAIT_MS). Like Caddy's list, it holds the upstreams of the configs served now: an
// upstream that left every live config leaves the list. The metrics scrape reads the same sources for
// caddy_reverse_proxy_upstreams_healthy.

export interface UpstreamStatus {
  address: string;
  num_requests: number;
  fails: number;
  healthy: boolean;
  /** RFC 3339 time of the last active check, or null when none ran (or the upstream has no shared pool). */
  last_check: string | null;
  last_error: string | null;
}

/**
 * Every shared pool a live config of this isolate uses, with its fresh snapshot (a pool that cannot be reached is
 * left out). Pools of configs no longer served were released and are not polled, so a scrape keeps no old pool
 * (or its alarm) alive.
 */
async function freshSnapshots(
  registry: PoolRegistry | undefined,
): Promise<Array<{ pool: SharedPool; snap: PoolSnapshot }>> {
  const pools = registry?.pools() ?? [];
  const snaps = await Promise.all(pools.map((p) => p.refresh().catch((): PoolSnapshot | undefined => undefined)));
  return pools.flatMap((pool, i) => (snaps[i] ? [{ pool, snap: snaps[i] }] : []));
}

/** `registry`: the isolate's pools (none: only this isolate's own counts). */
export async function upstreamStatuses(registry?: PoolRegistry): Promise<UpstreamStatus[]> {
  const out = new Map<string, UpstreamStatus>();
  const entry = (address: string): UpstreamStatus => {
    let e = out.get(address);
    if (!e)
      out.set(address, (e = { address, num_requests: 0, fails: 0, healthy: true, last_check: null, last_error: null }));
    return e;
  };
  const used = registry?.liveUpstreams();
  for (const [address, h] of hostStates()) {
    if (used && !used.has(address)) continue;
    const e = entry(address);
    e.num_requests = h.numRequests;
    e.fails = currentFails(h);
  }
  for (const { snap } of await freshSnapshots(registry)) {
    for (const [address, st] of Object.entries(snap.upstreams)) {
      const e = entry(address);
      e.num_requests = Math.max(e.num_requests, st.inFlight);
      // The pool's count includes this isolate's reported failures, so the larger of the two is the better total.
      e.fails = Math.max(e.fails, st.fails);
      if (!st.activeHealthy) e.healthy = false;
      if (st.lastCheck !== undefined && (e.last_check === null || Date.parse(e.last_check) < st.lastCheck)) {
        e.last_check = new Date(st.lastCheck).toISOString();
        e.last_error = st.lastError ?? null;
      }
    }
  }
  // Checks a pool object cannot run (health_upstream, service:/durable: upstreams) run in this isolate.
  for (const address of registry?.locallyDown() ?? []) {
    const e = out.get(address);
    if (e) e.healthy = false;
  }
  return [...out.values()];
}

/** One upstream's health for caddy_reverse_proxy_upstreams_healthy. */
export interface UpstreamHealth {
  upstream: string;
  healthy: boolean;
  /**
   * Whether a shared pool (or this isolate's own active checks, when they have it down) vouches for it. Otherwise the
   * isolate only assumes Caddy's initial state (healthy), which must not override what a pool object recorded.
   */
  known: boolean;
}

/**
 * The health of every upstream this isolate's configs proxy to, as Caddy's Upstream.Healthy(): down when active
 * checks failed or when passive failures inside fail_duration reached max_fails.
 */
export async function upstreamHealth(registry?: PoolRegistry): Promise<UpstreamHealth[]> {
  const out = new Map<string, UpstreamHealth>();
  const used = registry?.liveUpstreams();
  for (const address of hostStates().keys()) {
    if (!used || used.has(address)) out.set(address, { upstream: address, healthy: true, known: false });
  }
  for (const { pool, snap } of await freshSnapshots(registry)) {
    const maxFails = pool.config.passive?.maxFails;
    for (const [address, st] of Object.entries(snap.upstreams)) {
      const healthy = st.activeHealthy && !(maxFails !== undefined && st.fails >= maxFails);
      const e = out.get(address);
      // An upstream in several pools is down if any of them says so (the admin list does the same).
      if (e?.known) e.healthy &&= healthy;
      else out.set(address, { upstream: address, healthy, known: true });
    }
  }
  for (const address of registry?.locallyDown() ?? [])
    if (out.has(address)) out.set(address, { upstream: address, healthy: false, known: true });
  return [...out.values()];
}
