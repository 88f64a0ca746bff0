/**
 * A Durable Object namespace wrapper for tests: counts every method call made on its objects' stubs, and can make
 * those calls fail (an unreachable or overloaded object). Everything else is the real namespace.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any Durable Object class
export function watchNamespace<N extends DurableObjectNamespace<any>>(
  real: N,
  broken: () => boolean = () => false,
): { ns: N; calls: () => number; reset: () => void } {
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
              return (...args: unknown[]) => {
                calls++;
                if (broken()) return Promise.reject(new Error('simulated: Durable Object overloaded'));
                return Reflect.apply(f as (...a: unknown[]) => unknown, s, args);
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
