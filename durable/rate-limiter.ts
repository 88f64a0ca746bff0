import { DurableObject } from 'cloudflare:workers';

/**
 * One rate-limit key of one zone (issue 6): the object is named `<zone>\n<key>`, so every isolate in every location
 * that limits that key talks to this one instance, and its single-threaded execution makes the limit exact.
 *
 * The algorithm is caddy-ratelimit's sliding log: an event is allowed when fewer than `maxEvents` events happened in
 * the last `window` (the plugin's ring of maxEvents timestamps says the same: its oldest slot is outside the window).
 * Only events inside the window are kept, oldest first, so a hit costs O(1) however large `events` is; each allowed
 * event is one SQLite row (the output gate makes the answer wait for the write), so a limit survives eviction.
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

export class RateLimiter extends DurableObject {
  /** Times of the events still inside the window, oldest first; entries before `head` have left it. */
  private times: number[] | undefined;
  private head = 0;

  /** Records one event if the limit allows it. `maxEvents` and `windowMs` come from the caller's config. */
  hit(maxEvents: number, windowMs: number): HitResult {
    const now = Date.now();
    const times = this.inWindow(now, windowMs);
    const count = times.length - this.head;
    if (count < maxEvents) {
      times.push(now);
      this.ctx.storage.sql.exec('INSERT INTO events (t) VALUES (?)', now);
      return { allowed: true, waitMs: 0, remaining: maxEvents - count - 1, resetAt: times[this.head] + windowMs };
    }
    // Full: the next slot frees when the event `maxEvents` back from the newest leaves the window.
    const freeing = times[times.length - maxEvents];
    return { allowed: false, waitMs: freeing + windowMs - now, remaining: 0, resetAt: freeing + windowMs };
  }

  /** Events allowed right now without recording one (for tests and the admin view). */
  peek(maxEvents: number, windowMs: number): number {
    const times = this.inWindow(Date.now(), windowMs);
    return Math.max(0, maxEvents - (times.length - this.head));
  }

  /** The log with events older than the window dropped (an event leaves once now - t > window, as in the plugin). */
  private inWindow(now: number, windowMs: number): number[] {
    if (!this.times) {
      this.ctx.storage.sql.exec('CREATE TABLE IF NOT EXISTS events (t INTEGER NOT NULL)');
      this.times = this.ctx.storage.sql.exec<{ t: number }>('SELECT t FROM events ORDER BY t').toArray().map((r) => r.t);
      this.head = 0;
    }
    const times = this.times;
    const start = this.head;
    while (this.head < times.length && now - times[this.head] > windowMs) this.head++;
    if (this.head > start) this.ctx.storage.sql.exec('DELETE FROM events WHERE t < ?', now - windowMs);
    // Compact now and then so the array does not grow with every event ever seen.
    if (this.head > 1024 && this.head * 2 > times.length) {
      this.times = times.slice(this.head);
      this.head = 0;
    }
    return this.times;
  }
}
