import type { PoolSnapshot } from '../../durable/upstream-pool.ts';
import { currentFails, hostStates } from './passive-health.ts';
import { sharedPoolsInIsolate } from './shared-pool.ts';

// Admin `GET /reverse_proxy/upstreams`: Caddy's list of {address, num_requests, fails}, plus what the shared pools
// know (healthy, last_check, last_error). Local counts come from this isolate; shared ones are read fresh from each
// UpstreamPool object (the admin path may call Durable Objects; the request path never waits for them).

export interface UpstreamStatus {
  address: string;
  num_requests: number;
  fails: number;
  healthy: boolean;
  /** RFC 3339 time of the last active check, or null when none ran (or the upstream has no shared pool). */
  last_check: string | null;
  last_error: string | null;
}

export async function upstreamStatuses(): Promise<UpstreamStatus[]> {
  const out = new Map<string, UpstreamStatus>();
  const entry = (address: string): UpstreamStatus => {
    let e = out.get(address);
    if (!e) out.set(address, (e = { address, num_requests: 0, fails: 0, healthy: true, last_check: null, last_error: null }));
    return e;
  };
  for (const [address, h] of hostStates()) {
    const e = entry(address);
    e.num_requests = h.numRequests;
    e.fails = currentFails(h);
  }
  const snaps = await Promise.all(
    sharedPoolsInIsolate().map((p) => p.refresh().catch((): PoolSnapshot | undefined => undefined)),
  );
  for (const snap of snaps) {
    if (!snap) continue;
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
  return [...out.values()];
}
