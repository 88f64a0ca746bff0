export interface WatchOptions {
  /** While it returns true, calls fail (an unreachable or overloaded object). */
  broken?: () => boolean;
  /** Every call takes this much longer (an overloaded or distant object); a function is asked at each call. */
  delayMs?: number | (() => number);
}

/**
 * A Durable Object namespace wrapper for tests: counts every method call made on its objects' stubs, and can make
 * those calls fail or slow. Everything else is the real namespace. `opts` may be just the `broken` function.
 */
// biome-ignore lint/suspicious/noExplicitAny: any Durable Object class
export function watchNamespace<N extends DurableObjectNamespace<any>>(
  real: N,
  opts: WatchOptions | (() => boolean) = {},
): { ns: N; calls: () => number; reset: () => void } {
  const { broken = () => false, delayMs = 0 } = typeof opts === 'function' ? { broken: opts } : opts;
  let calls = 0;
  const ns = new Proxy(real, {
    get(target, prop) {
      if (prop === 'get') {
        return (id: DurableObjectId) => {
          const stub = (target as unknown as { get(id: DurableObjectId): object }).get(id);
          return new Proxy(stub, {
            get(s, method) {
              const f: unknown = Reflect.get(s, method);
              if (typeof f !== 'function') return f;
              const call = (args: unknown[]) => {
                if (broken()) return Promise.reject(new Error('simulated: Durable Object overloaded'));
                return Reflect.apply(f as (...a: unknown[]) => unknown, s, args);
              };
              return (...args: unknown[]) => {
                calls++;
                const delay = typeof delayMs === 'function' ? delayMs() : delayMs;
                if (delay > 0) return new Promise((r) => setTimeout(r, delay)).then(() => call(args));
                return call(args);
              };
            },
          });
        };
      }
      const v: unknown = Reflect.get(target, prop);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { ns, calls: () => calls, reset: () => void (calls = 0) };
}
