import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { activeConfig, prepareBaseConfig, selectConfig } from '../../src/config/active.ts';

// The base config is compiled while the isolate starts (src/index.ts calls prepareBaseConfig at module evaluation),
// so the first request only serves. Its own file: the isolate keeps one view of the config store.

const config = (body: string) => ({
  apps: {
    http: { servers: { srv0: { listen: [':443'], routes: [{ handle: [{ handler: 'static_response', body }] }] } } },
  },
});
const store = (env as unknown as { CONFIG_STORE: DurableObjectNamespace }).CONFIG_STORE;

describe('config compiled at startup', () => {
  it('is what a failure at startup does not keep: the first request compiles again', () => {
    // The global scope forbids some operations that a request may do: a compile that fails there only must not
    // become the isolate's answer. Here the first look at the bindings throws, the second does not.
    let first = true;
    const vars: Record<string, unknown> = { GATEHOUSE_CONFIG: JSON.stringify(config('after a failed start')) };
    const flaky = new Proxy(vars, {
      ownKeys(target) {
        if (first) {
          first = false;
          throw new Error('not allowed in the global scope');
        }
        return Reflect.ownKeys(target);
      },
    });
    prepareBaseConfig(flaky);
    expect(first).toBe(false); // the startup compile ran and failed
    expect(activeConfig(flaky).servers[0].name).toBe('srv0');
  });

  it('is reused by a config store seeded with it (one compile for both)', async () => {
    const e = { ...env, CONFIG_STORE: store, GATEHOUSE_CONFIG: JSON.stringify(config('seeded')) } as Record<
      string,
      unknown
    >;
    prepareBaseConfig(e);
    const compiledAtStartup = activeConfig(e);
    const selected = await selectConfig(e, '198.51.100.7');
    expect(selected.version).toBeGreaterThan(0); // served from the store, as its first version
    expect(selected.config).toBe(compiledAtStartup);

    const res = await selected.config.serve(new Request('https://example.com/'), e, undefined);
    expect(await res.text()).toBe('seeded');
  });
});
