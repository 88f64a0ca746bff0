/**
 * `p`'s outcome if it settles within `ms`, else `late()`'s. The timer is this request's own I/O: in the Workers
 * runtime a request that only awaits a promise another request's I/O will settle is cancelled as hung, and that
 * other request may end (and its I/O with it) before the promise settles.
 */
export function settleWithin<T>(p: Promise<T>, ms: number, late: () => T | Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const bound = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(late()), ms);
  });
  return Promise.race([p, bound]).finally(() => clearTimeout(timer));
}
