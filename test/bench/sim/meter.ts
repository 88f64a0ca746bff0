import type { SimClock } from './clock.ts';

/**
 * Counts Durable Object calls per feature and per object, in one-second buckets of simulated time, and the time each
 * object is kept busy (for the duration bill). Calls before `from` (the warm-up) are left out of every figure.
 */
export class Meter {
  readonly calls = new Map<string, number>();
  /** feature → object id → second → calls. */
  private perSecond = new Map<string, Map<string, Map<number, number>>>();
  /** object id → busy milliseconds. */
  readonly busyMs = new Map<string, number>();
  from = 0;

  private readonly clock: SimClock;

  constructor(clock: SimClock) {
    this.clock = clock;
  }

  call(feature: string, objectId: string, busyMs: number, n = 1): void {
    const now = this.clock.now;
    if (now < this.from) return;
    this.calls.set(feature, (this.calls.get(feature) ?? 0) + n);
    let byObject = this.perSecond.get(feature);
    if (!byObject) this.perSecond.set(feature, (byObject = new Map()));
    let bySecond = byObject.get(objectId);
    if (!bySecond) byObject.set(objectId, (bySecond = new Map()));
    const s = Math.floor(now / 1000);
    bySecond.set(s, (bySecond.get(s) ?? 0) + n);
    const key = `${feature}\u0000${objectId}`;
    this.busyMs.set(key, (this.busyMs.get(key) ?? 0) + busyMs * n);
  }

  /** The most calls one object of `feature` received in one second, and which object. */
  peak(feature: string): { rps: number; objectId: string } {
    let best = { rps: 0, objectId: '' };
    for (const [objectId, bySecond] of this.perSecond.get(feature) ?? []) {
      for (const n of bySecond.values()) if (n > best.rps) best = { rps: n, objectId };
    }
    return best;
  }

  objects(feature: string): number {
    return this.perSecond.get(feature)?.size ?? 0;
  }

  /** Busy seconds summed over the objects of `feature`, each object's capped at the measured wall time. */
  busySeconds(feature: string, wallMs: number): number {
    let s = 0;
    for (const [key, ms] of this.busyMs) if (key.startsWith(`${feature}\u0000`)) s += Math.min(ms, wallMs) / 1000;
    return s;
  }
}
