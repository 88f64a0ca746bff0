import { DurableObject } from 'cloudflare:workers';

/**
 * One rate-limit key of one zone (issue 6): the object is named `<zone>\n<key>`, so every isolate in every location
 * that limits that key talks to this one instance, and its single-threaded execution makes the limit exact.
 *
 * The algorithm is caddy-ratelimit's sliding log: a ring of `maxEvents` timestamps with a cursor on the oldest.
 * An event is allowed when the oldest timestamp is more than `window` ago (then it takes that slot); otherwise the
 * caller must wait until that oldest event leaves the window. The ring is written to storage on every allowed event
 * (the output gate makes the answer wait for the write), so a limit survives the object being evicted.
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

interface Ring {
  slots: number[];
  cursor: number;
}

export class RateLimiter extends DurableObject {
  private ring: Ring | undefined;

  /** Records one event if the limit allows it. `maxEvents` and `windowMs` come from the caller's config. */
  hit(maxEvents: number, windowMs: number): HitResult {
    const ring = this.load(maxEvents);
    const now = Date.now();
    const oldest = ring.slots[ring.cursor];
    if (now - oldest > windowMs) {
      ring.slots[ring.cursor] = now;
      ring.cursor = (ring.cursor + 1) % ring.slots.length;
      this.ctx.storage.kv.put('ring', ring);
      const nextOldest = ring.slots[ring.cursor];
      return { allowed: true, waitMs: 0, remaining: this.countFree(ring, now, windowMs), resetAt: nextOldest + windowMs };
    }
    const waitMs = oldest + windowMs - now;
    return { allowed: false, waitMs, remaining: 0, resetAt: oldest + windowMs };
  }

  /** Events allowed right now without recording one (for tests and the admin view). */
  peek(maxEvents: number, windowMs: number): number {
    return this.countFree(this.load(maxEvents), Date.now(), windowMs);
  }

  private countFree(ring: Ring, now: number, windowMs: number): number {
    let free = 0;
    for (const t of ring.slots) if (now - t > windowMs) free++;
    return free;
  }

  /** The ring for `maxEvents`, resized (keeping the newest events) if the config changed since it was written. */
  private load(maxEvents: number): Ring {
    this.ring ??= (this.ctx.storage.kv.get('ring') as Ring | undefined) ?? { slots: [], cursor: 0 };
    const ring = this.ring;
    if (ring.slots.length !== maxEvents) {
      // Oldest-first order, then keep the newest `maxEvents`, padding with "long ago".
      const ordered = [...ring.slots.slice(ring.cursor), ...ring.slots.slice(0, ring.cursor)];
      const kept = ordered.slice(Math.max(0, ordered.length - maxEvents));
      ring.slots = [...new Array<number>(maxEvents - kept.length).fill(0), ...kept];
      ring.cursor = 0;
    }
    return ring;
  }
}
