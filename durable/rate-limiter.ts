import { DurableObject } from 'cloudflare:workers';

/**
 * One rate-limit key of one zone: the object is named `<zone>\n<key>`, so every isolate in every location
 * that limits that key talks to this one instance, and its single-threaded execution makes the limit exact.
 *
 * The algorithm is caddy-ratelimit's sliding log: an event is allowed when fewer than `maxEvents` events happened in
 * the last `window` (the plugin's ring of maxEvents timestamps says the same: its oldest slot is outside the window).
 * The log is kept sorted by time and holds only entries inside the window, each with a count, plus a running total,
 * so a decision costs O(1) however large `events` is. Each grant is one SQLite row `(t, n)` (the output gate makes
 * the answer wait for the write), so a limit survives eviction.
 *
 * Leases (`acquire`, src/ratelimit/lease.ts is the isolate side): besides slots for requests that are already
 * waiting (recorded now, as `hit` does), an isolate may be granted `k` slots to use later, recorded at the
 * pessimistic time r = grantTime + hold. The isolate uses them only while (its now − its own time when it sent the
 * call) < hold − margin, so every use u happens before r whatever the clock skew between isolate and object (the
 * margin absorbs the coarseness of Workers' clocks). k is at most a quarter of the headroom left after the waiting
 * requests, so near the limit every grant is for waiting requests only: today's exact per-request behaviour.
 *
 * Why this stays exact. Suppose some window [T−W, T] holds more than `events` uses. Take the last grant, at t_g ≤ T,
 * among the grants those uses came from. Every other use u_i in the window came from an earlier grant whose entry has
 * r_i ≥ u_i ≥ T−W ≥ t_g−W (r_i = u_i for slots used at grant time), so it was still counted at t_g: an entry leaves
 * only when now − r > W, entries recorded in the future count as inside the window, and `release` only removes slots
 * that were never used. Then count(t_g) + (slots granted at t_g) > events, which the grant rule forbids.
 * (test/workers/rate-limiter.test.ts replays this with a fake clock and the latest allowed uses; rate-limit-lease
 * checks it with several lease holders hammering one key.)
 *
 * What leases cost in admission: a used leased slot stays counted until r + W, at most `hold` longer than its use,
 * and an unused one holds capacity until it is released (at the lease's expiry, at most `hold` after the grant).
 */

export interface HitResult {
  allowed: boolean;
  /** Milliseconds until the next event would be allowed (0 when allowed). */
  waitMs: number;
  /** Events still allowed in the current window after this one. */
  remaining: number;
  /** When the oldest event in the window leaves it (ms since epoch); for RateLimit-Reset. */
  resetAt: number;
}

/** What `acquire` grants. */
export interface Grant {
  /** The object's clock when it decided (the time the `now` slots count as used). */
  at: number;
  /** Slots granted to requests already waiting (≤ what was asked), recorded at `at`. */
  now: number;
  /** Leased slots, recorded at `t` = at + hold; 0 when none. */
  lease: number;
  /** The lease's row, for `release` (0 when no lease). */
  id: number;
  t: number;
  /** Events still allowed in the window after this grant. */
  remaining: number;
  /**
   * When `remaining` is 0: milliseconds until a slot frees if every outstanding lease is used (for Retry-After);
   * 0 otherwise.
   */
  waitMs: number;
  /** ≤ waitMs: until the earliest outstanding lease expires, when a release may free a slot sooner (deny caches). */
  recheckMs: number;
  /** When the oldest event in the window leaves it, or when the next slot frees if the window is full. */
  resetAt: number;
}

interface Entry {
  /** When the slots count as used (the future for a lease). */
  t: number;
  /** Slots still recorded (a release lowers it; 0 entries are skipped until they expire). */
  n: number;
  /** SQLite rowid. */
  id: number;
}

/** Denials of a full spell that are told the plain next-free time (a few isolates are no herd). */
const HERD_BEFORE_STAGGER = 8;

export class RateLimiter extends DurableObject {
  /** The log sorted by time; entries before `head` have left the window. */
  private log: Entry[] | undefined;
  private head = 0;
  /** Sum of `n` over the entries from `head` on. */
  private total = 0;
  /** Requests denied since the window was last not full: the herd recheckAfter spreads out. */
  private deniedWhileFull = 0;
  /** The latest time recheckAfter has told a denied caller to come back at. */
  private promisedAt = 0;
  /** The object's clock: every decision reads the time here once (tests drive it instead of waiting). */
  now: () => number = Date.now;

  /** Records one event if the limit allows it (a request decided here, no lease). */
  hit(maxEvents: number, windowMs: number): HitResult {
    const g = this.acquire(maxEvents, windowMs, 1, 0, 0);
    return { allowed: g.now === 1, waitMs: g.now === 1 ? 0 : g.waitMs, remaining: g.remaining, resetAt: g.resetAt };
  }

  /**
   * Grants up to `wantNow` slots to requests waiting at the caller (recorded now) and, when `holdMs` > 0, a lease of
   * up to `wantLease` slots recorded at now + holdMs, capped at a quarter of the headroom the waiting requests leave.
   */
  acquire(maxEvents: number, windowMs: number, wantNow: number, wantLease: number, holdMs: number): Grant {
    const now = this.now();
    this.expire(now, windowMs);
    let headroom = maxEvents - this.total;
    const granted = Math.max(0, Math.min(wantNow, headroom));
    if (granted > 0) this.insert(now, granted);
    headroom -= granted;
    const lease = holdMs > 0 ? Math.max(0, Math.min(wantLease, Math.floor(headroom / 4))) : 0;
    let id = 0;
    if (lease > 0) id = this.insert(now + holdMs, lease);
    const remaining = Math.max(0, headroom - lease);
    const g: Grant = {
      at: now,
      now: granted,
      lease,
      id,
      t: now + holdMs,
      remaining,
      waitMs: 0,
      recheckMs: 0,
      resetAt: 0,
    };
    if (remaining > 0) {
      this.deniedWhileFull = 0;
      g.resetAt = this.oldest(now) + windowMs;
      return g;
    }
    // Full: the next slot frees when enough of the oldest entries have left the window (strictly: now − t > W).
    const log = this.log!;
    let need = this.total - maxEvents + 1;
    let i = this.head;
    for (; i < log.length; i++) {
      need -= log[i].n;
      if (need <= 0) break;
    }
    const freeing = log[Math.min(i, log.length - 1)].t + windowMs;
    g.waitMs = Math.max(0, freeing - now);
    g.resetAt = freeing;
    g.recheckMs = g.waitMs;
    // Entries in the future are leases some isolate may still give back, freeing slots before `freeing`.
    for (let j = log.length - 1; j >= this.head && log[j].t > now; j--) {
      if (log[j].n > 0) g.recheckMs = Math.min(g.recheckMs, log[j].t - now);
    }
    if (wantNow > 0 && granted === 0) g.recheckMs = this.recheckAfter(now, g.recheckMs, maxEvents, windowMs);
    return g;
  }

  /**
   * When a denied caller should ask again. Every isolate denied while the window is full would otherwise come back
   * the moment the next slot frees, all of them for the one slot: a key over its limit at a thousand isolates would
   * cost the object a call per isolate per freed slot. Past the first few denials of a full spell, the callers are
   * given return times one slot interval (window / events) apart, after the last one handed out, so they come back
   * about as fast as slots free. No caller is sent more than two windows past the next free slot (beyond that,
   * somewhere in the window after it), so a key that goes quiet is not denied long where nobody asks. The deny cache
   * answers Retry-After with this time, so it stays honest.
   */
  private recheckAfter(now: number, recheckMs: number, maxEvents: number, windowMs: number): number {
    const next = now + recheckMs;
    if (this.deniedWhileFull++ < HERD_BEFORE_STAGGER) {
      this.promisedAt = Math.max(this.promisedAt, next);
      return recheckMs;
    }
    const at = Math.max(next, this.promisedAt + windowMs / Math.max(1, maxEvents));
    // More callers than two windows have slots: the rest come back at random within a window, not all at one time.
    if (at > next + 2 * windowMs) return Math.ceil(recheckMs + Math.random() * windowMs);
    this.promisedAt = at;
    return Math.ceil(at - now);
  }

  /**
   * Settles the lease `id` recorded at `t`: of its slots, only the `used` ones stay counted; the rest go back.
   * Idempotent: saying it again (a retried call, a stale isolate) never gives back a slot that was used.
   */
  settleLease(id: number, t: number, used: number): void {
    const entry = this.findLease(id, t);
    if (!entry || !(used >= 0) || used >= entry.n) return;
    this.setCount(entry, used);
  }

  /**
   * Gives back `n` unused slots of the lease `id` recorded at `t` (nothing if it has already left the window).
   * Kept for isolates of an earlier deployment during a rolling update; settleLease is what isolates call now.
   */
  release(id: number, t: number, n: number): void {
    if (!(n > 0)) return;
    const entry = this.findLease(id, t);
    if (entry) this.setCount(entry, entry.n - Math.min(n, entry.n));
  }

  private findLease(id: number, t: number): { id: number; t: number; n: number } | undefined {
    const log = this.load();
    let lo = this.head;
    let hi = log.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (log[mid].t < t) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < log.length && log[i].t === t; i++) if (log[i].id === id) return log[i];
    return undefined;
  }

  private setCount(e: { id: number; n: number }, n: number): void {
    this.total -= e.n - n;
    e.n = n;
    if (n === 0) this.ctx.storage.sql.exec('DELETE FROM events WHERE rowid = ?', e.id);
    else this.ctx.storage.sql.exec('UPDATE events SET n = ? WHERE rowid = ?', n, e.id);
  }

  /** Events allowed right now without recording one (for tests and the admin view). */
  peek(maxEvents: number, windowMs: number): number {
    this.expire(this.now(), windowMs);
    return Math.max(0, maxEvents - this.total);
  }

  private load(): Entry[] {
    if (this.log) return this.log;
    const sql = this.ctx.storage.sql;
    sql.exec('CREATE TABLE IF NOT EXISTS events (t INTEGER NOT NULL, n INTEGER NOT NULL DEFAULT 1)');
    let rows: Entry[];
    try {
      rows = sql
        .exec<{ id: number; t: number; n: number }>('SELECT rowid AS id, t, n FROM events ORDER BY t, rowid')
        .toArray();
    } catch {
      // A log written before counts existed: one row per event.
      sql.exec('ALTER TABLE events ADD COLUMN n INTEGER NOT NULL DEFAULT 1');
      rows = sql
        .exec<{ id: number; t: number; n: number }>('SELECT rowid AS id, t, n FROM events ORDER BY t, rowid')
        .toArray();
    }
    this.log = rows.map((r) => ({ t: r.t, n: r.n, id: r.id }));
    this.head = 0;
    this.total = this.log.reduce((s, e) => s + e.n, 0);
    return this.log;
  }

  /** Drops entries older than the window (an entry leaves once now − t > window, as in the plugin). */
  private expire(now: number, windowMs: number): void {
    const log = this.load();
    const start = this.head;
    while (this.head < log.length && now - log[this.head].t > windowMs) this.total -= log[this.head++].n;
    // By rowid, one lookup each: a `WHERE t < ?` would read the whole table (t has no index) on every expiry.
    for (let i = start; i < this.head; i++) this.ctx.storage.sql.exec('DELETE FROM events WHERE rowid = ?', log[i].id);
    // Compact now and then so the array does not grow with every entry ever seen.
    if (this.head > 1024 && this.head * 2 > log.length) {
      this.log = log.slice(this.head);
      this.head = 0;
    }
  }

  /** Appends an entry in time order (leases lie in the future, so a later `now` entry goes before them). */
  private insert(t: number, n: number): number {
    const id = this.ctx.storage.sql
      .exec<{ id: number }>('INSERT INTO events (t, n) VALUES (?, ?) RETURNING rowid AS id', t, n)
      .one().id;
    const log = this.log!;
    let i = log.length;
    while (i > this.head && log[i - 1].t > t) i--;
    if (i === log.length) log.push({ t, n, id });
    else log.splice(i, 0, { t, n, id });
    this.total += n;
    return id;
  }

  /** Time of the oldest entry still holding slots (now when the window is empty). */
  private oldest(now: number): number {
    const log = this.log!;
    for (let i = this.head; i < log.length; i++) if (log[i].n > 0) return log[i].t;
    return now;
  }
}
