/**
 * dial_timeout without a timer per attempt. Under load a setTimeout/clearTimeout pair per proxied request was the
 * costliest step of a fast attempt (~17 µs of CPU per request measured in workerd), so attempts register here
 * instead, and one ticker per isolate wakes, every 250 ms, those still waiting for response headers past their
 * deadline. A woken attempt decides for itself, in its own request's context (the connect probe in round-trip.ts):
 * a promise settled from another request's context resumes in its own.
 *
 * Timers belong to the request that set them, so the ticker's request keeps itself alive with waitUntil, for at
 * most 10 s: then the ticker wakes every attempt still watched, each finds it is not overdue yet and
 * watches again, and the first of them starts the next ticker in its own request. A ticker whose request ended
 * anyway (the edge bounds waitUntil) falls silent, and the next attempt that finds it silent starts another.
 */

/** How often the ticker looks (a dial failure is seen within dial_timeout + tickMs), and the longest one request carries it. */
const timing = { tickMs: 250, lifeMs: 10_000 };

interface Watch {
  deadline: number;
  wake(): void;
}

const watches = new Set<Watch>();
let lastTick = 0;
let ticking = false;

export interface DialWatch {
  /**
   * Resolves when the ticker wakes the attempt: at its deadline, or earlier when the ticker is handed over (then
   * the caller watches again). Never resolves after done().
   */
  readonly woken: Promise<void>;
  /** The attempt has its response headers (or failed): stop watching it. */
  done(): void;
}

/** Watches one attempt until `deadline` (ms since epoch); `exec` keeps a ticker started here alive (waitUntil). */
export function watchDial(deadline: number, exec: { waitUntil(p: Promise<unknown>): void } | undefined, now = Date.now()): DialWatch {
  let watch!: Watch;
  const woken = new Promise<void>((resolve) => {
    watch = { deadline, wake: resolve };
  });
  watches.add(watch);
  // A ticker that has not ticked for a while belonged to a request that is gone.
  if (!ticking || now - lastTick > timing.tickMs * 4) startTicker(exec, now);
  return { woken, done: () => void watches.delete(watch) };
}

function startTicker(exec: { waitUntil(p: Promise<unknown>): void } | undefined, now: number): void {
  ticking = true;
  lastTick = now;
  const retireAt = now + timing.lifeMs;
  let stop!: () => void;
  const alive = new Promise<void>((resolve) => (stop = resolve));
  exec?.waitUntil(alive);
  const tick = (): void => {
    const t = Date.now();
    lastTick = t;
    const retiring = t >= retireAt;
    for (const w of watches) {
      if (w.deadline > t && !retiring) continue;
      watches.delete(w);
      w.wake();
    }
    if (watches.size > 0 && !retiring) {
      setTimeout(tick, timing.tickMs);
      return;
    }
    ticking = false;
    stop();
  };
  setTimeout(tick, timing.tickMs);
}

/** For tests: how many attempts are being watched. */
export function watchedAttempts(): number {
  return watches.size;
}

/** For tests: a shorter tick or ticker life; returns the previous values. */
export function setTickerTiming(t: Partial<typeof timing>): typeof timing {
  const before = { ...timing };
  Object.assign(timing, t);
  return before;
}
