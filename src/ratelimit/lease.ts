import type { WaitUntil } from '../env.ts';
import type { Grant, RateLimiter } from '../../durable/rate-limiter.ts';
import { settleWithin } from '../util/settle-within.ts';
import { DenyCache } from './deny-cache.ts';

/**
 * The isolate's side of the RateLimiter leases (the proof that the limit stays exact is in durable/rate-limiter.ts).
 *
 * Per key, an isolate holds leases: slots the object granted it ahead of use. A request takes a slot from a lease
 * without any call; when there is none, requests of the same key share one in-flight `acquire` (single flight):
 * the ones waiting when it is sent are decided by the object itself, the ones that arrive meanwhile take slots from
 * the lease it brings back, and the rest either go again together or, when the object said the window is full,
 * get 429 with the object's wait time (and the key goes into the deny cache).
 *
 * Batch sizing: the first call for a key asks for no lease (one request, one slot, exactly as without leases); a
 * call made less than `hold` after the previous one (whose slots were all used by then) asks for twice as many
 * slots, up to MAX_BATCH, and no more than the key will use before the lease expires at its recent rate (an unused
 * slot costs a settleLease call); a lease that expires with slots left halves it. The object caps every lease at a quarter
 * of the headroom, so near the limit grants are single per-request slots again; an isolate whose calls take more
 * than half of hold − margin asks for none (the lease would be of little use by the time it arrived).
 *
 * Expiry: a lease is usable while (Date.now() − the isolate's time when it sent the call) < hold − margin; at that
 * moment a timer (kept alive with waitUntil) gives its unused slots back with `settleLease`, so an idle isolate holds
 * capacity for at most `hold`. Until then those slots are not available to other isolates: under-admission is
 * bounded by the outstanding leases (each ≤ MAX_BATCH and ≤ a quarter of the headroom), for at most `hold`.
 */

/** The most slots one call asks for. */
export const MAX_BATCH = 1024;
/** The longest a lease lives. */
export const MAX_HOLD_MS = 6000;

export interface Limit {
  maxEvents: number;
  windowMs: number;
  /** How long after its grant a leased slot is recorded as used; 0 = no leases, one object call per request. */
  holdMs: number;
  /** How much sooner than `holdMs` the isolate stops using a lease. */
  marginMs: number;
}

export interface Decision {
  allowed: boolean;
  /** Milliseconds until a slot frees, when denied (for Retry-After). */
  waitMs: number;
  /** Events left in the window (approximate under a lease: the object's count at the grant plus this lease's slots). */
  remaining: number;
  /** For RateLimit-Reset (ms since epoch). */
  resetAt: number;
  /** When the slot counts as used: the object's clock for a slot it granted to a waiting request, else the isolate's. */
  usedAt: number;
}

/**
 * hold = min(6 s, window/10): long enough that a key busy in every isolate of a large fleet costs its object a few
 * hundred calls a second, not thousands, short enough that a used slot is counted at most 10% of the window longer
 * than it should be and an idle isolate gives capacity back within 6 s. margin = max(10 ms, hold/5): Workers' Date.now() only advances on I/O, so either clock may lag real time by
 * the CPU time since its last I/O; the margin must cover that. Windows too short for a lease worth having (hold −
 * margin < 10 ms, i.e. window < 200 ms) and zones with `lease off` decide every request at the object.
 */
export function leaseLimit(maxEvents: number, windowMs: number, leases = true): Limit {
  const holdMs = Math.min(MAX_HOLD_MS, Math.floor(windowMs / 10));
  const marginMs = Math.max(10, Math.ceil(holdMs / 5));
  if (!leases || holdMs - marginMs < 10) return { maxEvents, windowMs, holdMs: 0, marginMs: 0 };
  return { maxEvents, windowMs, holdMs, marginMs };
}

/**
 * The lease worth asking for now: what the key will take from it before it expires, at the rate it took leased slots
 * since the previous call, once the slots still held are used (Infinity when that call is too old to tell). A bigger
 * lease comes back part unused, which costs the object one more call (settleLease) and halves the batch.
 */
function expectedUse(st: KeyState, limit: Limit, now: number): number {
  const elapsed = now - st.lastSentAt;
  const used = st.used;
  st.used = 0;
  if (!(elapsed > 0 && elapsed <= limit.holdMs) || used === 0) return Infinity;
  let left = 0;
  for (const l of st.leases) left += l.left;
  return Math.max(MIN_SIZED, Math.floor((used / elapsed) * (limit.holdMs - limit.marginMs) * LEASE_FILL) - left);
}

/**
 * Slots left when a refill is asked for: half of a small lease (the batch is still growing), an eighth of a big one,
 * still several round trips of requests (a lease holds about hold − margin of them), so the new lease, sized to what
 * is used after the old one, is not left part unused.
 */
function refillBelow(granted: number): number {
  return Math.max(granted >> 3, Math.min(granted >> 1, 32));
}

/** Leases are sized to this share of their expected use (rates vary; a slot left over costs a call). */
const LEASE_FILL = 0.8;

/** Leases this small are not cut to the rate: a quiet key would call for every slot or two. */
const MIN_SIZED = 16;

/** Thrown to every request that shared a failed call; `reported` lets exactly one of them log and count it. */
export class LimiterUnavailable extends Error {
  reported = false;
  constructor(cause: unknown) {
    super(String(cause), { cause });
  }
}

type Namespace = DurableObjectNamespace<RateLimiter>;
type Exec = WaitUntil | undefined;

interface Waiter {
  resolve(d: Decision | typeof AGAIN): void;
  reject(e: unknown): void;
}

/** What a joiner is told when the call it waited for brought nothing for it: decide again, in its own request. */
const AGAIN = Symbol('again');

/**
 * How long a request waits for another request's call before it makes its own. The Workers runtime cancels a request
 * that only awaits another request's I/O (as hung), so a joiner holds a timer of its own; and the other request may
 * end before its call settles.
 */
export const JOIN_WAIT_MS = 2000;

interface Lease {
  id: number;
  t: number;
  /** Slots the object granted, and those not used yet. */
  granted: number;
  left: number;
  /** Isolate time when the call was sent; the lease is usable while now − sentAt < hold − margin. */
  sentAt: number;
  deadline: number;
  remaining: number;
  resetAt: number;
  stop?: () => void;
}

interface KeyState {
  leases: Lease[];
  /** Requests waiting for the call in flight that asked for a lease. */
  joiners: Waiter[] | undefined;
  batch: number;
  lastSentAt: number;
  /** A lease expired with slots left since the last call (the batch was halved: do not double it again at once). */
  wasted: boolean;
  /**
   * Whether the last answer left room for a lease (headroom ≥ 5) and came back within half of hold − margin (a lease
   * that arrives expired is of no use); else calls ask for none.
   */
  leaseable: boolean;
  holdMs: number;
  /** Slots of the newest lease when it was granted (a refill is asked for once the leases are down to refillBelow of it). */
  lastGrant: number;
  /** Slots taken from leases since the last call (the key's rate in this isolate, for sizing the next lease). */
  used: number;
}

export class LeaseHolder {
  private readonly denyCache: DenyCache;
  private readonly keys = new Map<string, KeyState>();
  private sweepAbove: number;
  private readonly minSweep: number;
  private readonly onReleaseError: (e: unknown) => void;
  /** Calls to the objects not settled yet (a refill runs in the background). */
  private readonly inflight = new Set<Promise<unknown>>();

  private readonly joinWaitMs: number;

  constructor(opts: { maxKeys?: number; onReleaseError?: (e: unknown) => void; joinWaitMs?: number } = {}) {
    this.joinWaitMs = opts.joinWaitMs ?? JOIN_WAIT_MS;
    this.denyCache = new DenyCache(opts.maxKeys);
    this.minSweep = this.sweepAbove = opts.maxKeys ?? 10_000;
    this.onReleaseError = opts.onReleaseError ?? (() => {});
  }

  /**
   * Decides one request for the key `id` (`<zone>\n<key>`): from a lease or the deny cache when possible, else with
   * the object. Rejects with LimiterUnavailable when the object cannot be reached (the caller applies the fail mode).
   */
  take(id: string, limit: Limit, ns: Namespace, exec?: Exec): Decision | Promise<Decision> {
    const now = Date.now();
    const st = this.keys.get(id);
    if (st && st.leases.length > 0) {
      const d = this.fromLease(st, now);
      if (d) {
        this.refill(id, st, limit, ns, exec);
        return d;
      }
    }
    const retryAt = this.denyCache.deniedUntil(id, now);
    if (retryAt !== undefined)
      return { allowed: false, waitMs: retryAt - now, remaining: 0, resetAt: retryAt, usedAt: now };
    if (limit.holdMs === 0) return this.exact(id, limit, ns, now);

    const state = st ?? this.state(id, limit, now);
    if (state.joiners) return this.join(id, state, limit, ns, exec);
    return new Promise<Decision | typeof AGAIN>((resolve, reject) =>
      this.send(id, state, limit, [{ resolve, reject }], ns, exec),
    ).then((d) => (d === AGAIN ? this.take(id, limit, ns, exec) : d));
  }

  /**
   * Waits for the call in flight for this key (its lease). Decides again in this request when that call brings
   * nothing for it, and alone (a call of its own for one slot) when it is not back in time (JOIN_WAIT_MS).
   */
  private async join(id: string, st: KeyState, limit: Limit, ns: Namespace, exec: Exec): Promise<Decision> {
    const TIMED_OUT = Symbol('timed out');
    let waiter: Waiter | undefined;
    const answered = new Promise<Decision | typeof AGAIN>((resolve, reject) => {
      waiter = { resolve, reject };
      st.joiners!.push(waiter);
    });
    const d = await settleWithin<Decision | typeof AGAIN | typeof TIMED_OUT>(answered, this.joinWaitMs, () => {
      const list = st.joiners;
      const i = list ? list.indexOf(waiter!) : -1;
      if (i >= 0) {
        list!.splice(i, 1);
        // A call this slow (or one whose request was cancelled, never to settle) is not joined by later requests.
        st.joiners = undefined;
      }
      return TIMED_OUT;
    });
    if (d === AGAIN) return this.take(id, limit, ns, exec);
    if (d === TIMED_OUT) return this.fromLease(st, Date.now()) ?? this.exact(id, limit, ns, Date.now());
    return d;
  }

  /** Slots this holder has leased for `id` and not used yet (for tests). */
  leased(id: string): number {
    return this.keys.get(id)?.leases.reduce((s, l) => s + l.left, 0) ?? 0;
  }

  /** Resolves once no call this holder made is in flight (for tests: a refill may still be on its way). */
  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.all([...this.inflight]);
  }

  /** Forgets every key (for tests; leases still outstanding are not given back). */
  clear(): void {
    for (const st of this.keys.values()) for (const l of st.leases) l.stop?.();
    this.keys.clear();
    this.denyCache.clear();
  }

  /** No leases: one call per request, as the object decides it. */
  private async exact(id: string, limit: Limit, ns: Namespace, now: number): Promise<Decision> {
    let g: Grant;
    try {
      g = await ns.get(ns.idFromName(id)).acquire(limit.maxEvents, limit.windowMs, 1, 0, 0);
    } catch (e) {
      throw new LimiterUnavailable(e);
    }
    if (g.now === 1) return { allowed: true, waitMs: 0, remaining: g.remaining, resetAt: g.resetAt, usedAt: g.at };
    this.denyCache.deny(id, now + g.recheckMs, now + g.waitMs);
    return { allowed: false, waitMs: g.waitMs, remaining: 0, resetAt: g.resetAt, usedAt: now };
  }

  private fromLease(st: KeyState, now: number): Decision | undefined {
    for (const lease of st.leases) {
      // A clock that went backwards proves nothing about elapsed time: such a lease is not used.
      if (lease.left === 0 || now >= lease.deadline || now < lease.sentAt) continue;
      lease.left--;
      st.used++;
      const d = {
        allowed: true,
        waitMs: 0,
        remaining: lease.remaining + lease.left,
        resetAt: lease.resetAt,
        usedAt: now,
      };
      if (lease.left === 0) this.usedUp(st, lease);
      return d;
    }
    return undefined;
  }

  private state(id: string, limit: Limit, now: number): KeyState {
    if (this.keys.size >= this.sweepAbove) this.sweep(now);
    const st: KeyState = {
      leases: [],
      joiners: undefined,
      batch: 1,
      lastSentAt: -Infinity,
      wasted: false,
      leaseable: true,
      holdMs: limit.holdMs,
      lastGrant: 0,
      used: 0,
    };
    this.keys.set(id, st);
    return st;
  }

  /** Drops idle keys (no lease, no call in flight, none sent within `hold`); amortised O(1) per new key. */
  private sweep(now: number): void {
    for (const [id, st] of this.keys) {
      if (st.leases.length === 0 && !st.joiners && now - st.lastSentAt > st.holdMs) this.keys.delete(id);
    }
    this.sweepAbove = Math.max(this.minSweep, this.keys.size * 2);
  }

  /**
   * A busy key's next lease is asked for while some of the current one is left (refillBelow), so requests keep taking slots
   * without waiting for the object (without this, every MAX_BATCH-th request and those arriving meanwhile waited a
   * round trip). Nothing is asked while a call for the key is in flight.
   */
  private refill(id: string, st: KeyState, limit: Limit, ns: Namespace, exec: Exec): void {
    if (st.joiners || !st.leaseable || st.lastGrant === 0) return;
    let left = 0;
    for (const l of st.leases) left += l.left;
    if (left > refillBelow(st.lastGrant)) return;
    st.lastGrant = 0; // one refill per lease
    this.send(id, st, limit, [], ns, exec);
  }

  /** One call for `waiters` (decided by the object) plus, when the key looks busy, a lease for whoever comes next. */
  private send(id: string, st: KeyState, limit: Limit, waiters: Waiter[], ns: Namespace, exec: Exec): void {
    const sentAt = Date.now();
    const expected = expectedUse(st, limit, sentAt);
    // Another call within hold of the last: what it brought was used up, so ask for twice as much.
    if (st.wasted) st.wasted = false;
    else if (sentAt - st.lastSentAt < limit.holdMs) st.batch = Math.min(MAX_BATCH, st.batch * 2);
    st.lastSentAt = sentAt;
    st.holdMs = limit.holdMs;
    const wantLease = st.leaseable ? Math.max(0, Math.min(st.batch, expected) - waiters.length) : 0;
    // Requests arriving while this call is in flight wait for its lease rather than calling themselves.
    const joiners: Waiter[] | undefined = wantLease > 0 ? [] : undefined;
    if (joiners) st.joiners = joiners;
    let call: Promise<Grant>;
    try {
      call = ns
        .get(ns.idFromName(id))
        .acquire(limit.maxEvents, limit.windowMs, waiters.length, wantLease, limit.holdMs) as Promise<Grant>;
    } catch (e) {
      call = Promise.reject(e);
    }
    const done = call.then(
      (g) => this.settle(id, st, limit, waiters, joiners, g, sentAt, ns, exec),
      (e) => {
        if (joiners && st.joiners === joiners) st.joiners = undefined;
        const err = new LimiterUnavailable(e);
        for (const w of waiters) w.reject(err);
        for (const w of joiners ?? []) w.reject(err);
      },
    );
    // The waiting requests of other contexts depend on this call: keep the sender's context alive until it settles.
    exec?.waitUntil(done);
    this.inflight.add(done);
    void done.finally(() => this.inflight.delete(done));
  }

  private settle(
    id: string,
    st: KeyState,
    limit: Limit,
    waiters: Waiter[],
    joiners: Waiter[] | undefined,
    g: Grant,
    sentAt: number,
    ns: Namespace,
    exec: Exec,
  ): void {
    if (joiners && st.joiners === joiners) st.joiners = undefined;
    const now = Date.now();
    st.leaseable = g.remaining >= 5 && now - sentAt < (limit.holdMs - limit.marginMs) / 2;
    const full = { allowed: false, waitMs: g.waitMs, remaining: 0, resetAt: g.resetAt, usedAt: now };
    for (let i = 0; i < waiters.length; i++) {
      if (i < g.now)
        waiters[i].resolve({
          allowed: true,
          waitMs: 0,
          remaining: g.remaining + g.lease + g.now - 1 - i,
          resetAt: g.resetAt,
          usedAt: g.at,
        });
      else waiters[i].resolve(full);
    }
    // Requests the object refused, or that the lease could not serve once the window is full: 429 and deny cache.
    let denied = g.now < waiters.length;

    if (g.lease > 0) {
      const lease: Lease = {
        id: g.id,
        t: g.t,
        granted: g.lease,
        left: g.lease,
        sentAt,
        deadline: sentAt + limit.holdMs - limit.marginMs,
        remaining: g.remaining,
        resetAt: g.resetAt,
      };
      st.leases.push(lease);
      st.lastGrant = g.lease;
      this.expireLater(id, st, lease, ns, exec, now);
    }
    for (const w of joiners ?? []) {
      const d = st.leases.length > 0 ? this.fromLease(st, now) : undefined;
      if (d) w.resolve(d);
      else if (g.remaining === 0) {
        w.resolve(full);
        denied = true;
      } else w.resolve(AGAIN); // decided again in its own request (a call made here would be this request's I/O)
    }
    if (denied) this.denyCache.deny(id, now + g.recheckMs, now + g.waitMs);
  }

  /** At the lease's deadline, its unused slots go back to the object. */
  private expireLater(id: string, st: KeyState, lease: Lease, ns: Namespace, exec: Exec, now: number): void {
    const timer = new Promise<void>((resolve) => {
      const handle = setTimeout(
        () => {
          lease.stop = undefined;
          this.drop(st, lease);
          const n = lease.left;
          lease.left = 0;
          if (n === 0) return resolve();
          st.batch = Math.max(1, st.batch >> 1);
          st.wasted = true;
          let p: Promise<unknown>;
          try {
            p = ns.get(ns.idFromName(id)).settleLease(lease.id, lease.t, lease.granted - n) as Promise<unknown>;
          } catch (e) {
            p = Promise.reject(e);
          }
          p.catch(this.onReleaseError).then(() => resolve());
        },
        Math.max(0, lease.deadline - now),
      );
      lease.stop = () => {
        clearTimeout(handle);
        resolve();
      };
    });
    exec?.waitUntil(timer);
  }

  private usedUp(st: KeyState, lease: Lease): void {
    this.drop(st, lease);
    lease.stop?.();
    lease.stop = undefined;
  }

  private drop(st: KeyState, lease: Lease): void {
    const i = st.leases.indexOf(lease);
    if (i >= 0) st.leases.splice(i, 1);
  }
}
