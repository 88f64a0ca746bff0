/**
 * A simulated clock for the Durable Object bill simulation: replaces Date.now, setTimeout and clearTimeout of this
 * process, so the real isolate-side code (leases, caches, flush timers) runs on simulated time. Timers fire in time
 * order; after each one the microtasks it started run to completion before the next (a real setImmediate in between).
 */
interface Timer {
  at: number;
  seq: number;
  fn: () => void;
}

export class SimClock {
  now: number;
  private heap: Timer[] = [];
  private seq = 0;
  private cancelled = new Set<number>();
  private restore: (() => void) | undefined;

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.now = start;
  }

  install(): void {
    const g = globalThis as Record<string, unknown>;
    const saved = { now: Date.now, setTimeout: g.setTimeout, clearTimeout: g.clearTimeout };
    Date.now = () => this.now;
    g.setTimeout = (fn: () => void, ms?: number) => this.schedule(fn, ms ?? 0);
    g.clearTimeout = (id: unknown) => {
      if (typeof id === 'number') this.cancelled.add(id);
    };
    this.restore = () => {
      Date.now = saved.now;
      g.setTimeout = saved.setTimeout;
      g.clearTimeout = saved.clearTimeout;
    };
  }

  uninstall(): void {
    this.restore?.();
    this.restore = undefined;
  }

  schedule(fn: () => void, ms: number): number {
    const t = { at: this.now + Math.max(0, ms), seq: ++this.seq, fn };
    this.push(t);
    return t.seq;
  }

  /** Runs every timer due up to `t` (and those they schedule), then sets the clock to `t`. */
  async advanceTo(t: number): Promise<void> {
    await settle();
    while (this.heap.length > 0 && this.heap[0].at <= t) {
      const timer = this.pop();
      if (this.cancelled.delete(timer.seq)) continue;
      this.now = Math.max(this.now, timer.at);
      timer.fn();
      await settle();
    }
    this.now = t;
  }

  private push(t: Timer): void {
    const h = this.heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (before(h[p], h[i])) break;
      [h[p], h[i]] = [h[i], h[p]];
      i = p;
    }
  }

  private pop(): Timer {
    const h = this.heap;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l], h[m])) m = l;
        if (r < h.length && before(h[r], h[m])) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i], h[m]];
        i = m;
      }
    }
    return top;
  }
}

function before(a: Timer, b: Timer): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/** Lets every pending microtask (and those they queue) run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
