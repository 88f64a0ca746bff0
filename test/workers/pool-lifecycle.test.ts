import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, inject, it } from 'vitest';
import { IDLE_STOP_MS, type UpstreamPool } from '../../durable/upstream-pool.ts';
import worker from '../../src/index.ts';
import type { PoolNamespace, SharedPool } from '../../src/proxy/shared-pool.ts';
import { isolatePools } from '../../src/config/active.ts';
import { compileConfig, type CompiledConfig } from '../../src/config/compile.ts';
import { PoolRegistry } from '../../src/proxy/pool-registry.ts';
import { upstreamStatuses } from '../../src/proxy/upstream-status.ts';
import { watchNamespace } from './watched-namespace.ts';
import { adminClient, configJson, execution } from './execution.ts';
import { scrapeText } from './metrics-helpers.ts';

// Shared pools belong to the configs that use them. A pool's alarms start when a config that needs them is
// activated and stop when no live config uses the pool any more; scrapes and the admin API poll only pools of live
// configs, and the admin upstream list holds only the upstreams of the configs served now.

const ports = inject('proxyUpstreams');
const A = `127.0.0.1:${ports.echo[0]}`;
const B = `127.0.0.1:${ports.echo[1]}`;
const C = `127.0.0.1:${ports.echo[2]}`;
const TOKEN = 'pool-lifecycle';
const ns = (env as unknown as { UPSTREAM_POOL: PoolNamespace }).UPSTREAM_POOL;

const healthSite = (key: string, ...upstreams: string[]): string => `:80 {
	reverse_proxy ${upstreams.join(' ')} {
		health_uri /health?key=${key}
		health_interval 1m
	}
}
`;

async function get(e: Record<string, unknown>, exec: ExecutionContext, path = '/'): Promise<number> {
  const res = await worker.fetch(new Request(`http://gw.test${path}`) as never, e as never, exec);
  await res.arrayBuffer();
  return res.status;
}

function poolFor(key: string): SharedPool {
  const pool = isolatePools()
    .pools()
    .find((p) => p.config.active?.uri.includes(`key=${key}`));
  if (!pool) throw new Error(`no live pool for ${key}`);
  return pool;
}

function stubOf(pool: SharedPool): DurableObjectStub<UpstreamPool> {
  return ns.get(ns.idFromName(pool.name));
}

function alarmOf(stub: DurableObjectStub<UpstreamPool>): Promise<number | null> {
  return runInDurableObject(stub, (_instance, state) => state.storage.getAlarm());
}

/**
 * The alarm once it is set: configure() arms the first round at once and workerd runs it by itself, and while that
 * round runs no alarm is pending, so wait (up to 2 s) for the next one.
 */
async function armedAlarm(stub: DurableObjectStub<UpstreamPool>): Promise<number | null> {
  for (let i = 0; i < 100; i++) {
    const at = await alarmOf(stub);
    if (at !== null) return at;
    await new Promise((r) => setTimeout(r, 20));
  }
  return null;
}

describe('pool lifetime follows the base config', () => {
  it('stops the alarm when the config that used the pool is replaced, and scrapes do not poll it again', async () => {
    const { exec, settle } = execution();
    const watched = watchNamespace(ns);
    const base = { ...env, CONFIG_STORE: undefined, UPSTREAM_POOL: watched.ns };
    const e1 = { ...base, GATEHOUSE_CONFIG: configJson(healthSite('life1', A, B)) };
    expect(await get(e1, exec)).toBe(200);
    await settle();
    const pool = poolFor('life1');
    const stub = stubOf(pool);
    expect(await armedAlarm(stub)).not.toBeNull(); // started at activation, as Caddy starts checks at load

    const e2 = { ...base, GATEHOUSE_CONFIG: configJson(':80 {\n\trespond "two"\n}\n') };
    expect(await get(e2, exec)).toBe(200);
    await settle();
    expect(isolatePools().pools()).not.toContain(pool);
    expect(await alarmOf(stub)).toBeNull();
    expect(await runDurableObjectAlarm(stub)).toBe(false);

    // Scrapes (and the admin API) poll only pools of live configs: none here.
    watched.reset();
    await scrapeText(e2, exec, TOKEN);
    await scrapeText(e2, exec, TOKEN);
    await settle();
    expect(watched.calls()).toBe(0);
    expect(await alarmOf(stub)).toBeNull();
  });

  it('keeps a pool the new config still uses (same upstreams and health config) running, without a restart', async () => {
    const { exec, settle } = execution();
    const watched = watchNamespace(ns);
    const base = { ...env, CONFIG_STORE: undefined, UPSTREAM_POOL: watched.ns };
    const e1 = { ...base, GATEHOUSE_CONFIG: configJson(healthSite('life2', A, B)) };
    expect(await get(e1, exec)).toBe(200);
    await settle();
    const pool = poolFor('life2');
    const stub = stubOf(pool);
    await pool.refresh();

    const e2 = {
      ...base,
      GATEHOUSE_CONFIG: configJson(`:80 {
	handle /other {
		respond "other"
	}
	handle {
		reverse_proxy ${A} ${B} {
			health_uri /health?key=life2
			health_interval 1m
		}
	}
}
`),
    };
    watched.reset();
    expect(await get(e2, exec)).toBe(200);
    await settle();
    expect(poolFor('life2')).toBe(pool); // the same cache, not a new pool
    expect(await armedAlarm(stub)).not.toBeNull();
    // No release and no configure: at most the snapshot refresh of the request itself.
    expect(watched.calls()).toBeLessThanOrEqual(1);
  });

  it('keeps the checks while another isolate still holds the pool, until that one has been idle for IDLE_STOP_MS', async () => {
    const { exec, settle } = execution();
    const base = { ...env, CONFIG_STORE: undefined };
    const e1 = { ...base, GATEHOUSE_CONFIG: configJson(healthSite('life3', A, C)) };
    expect(await get(e1, exec)).toBe(200);
    await settle();
    const stub = stubOf(poolFor('life3'));
    await stub.poll('another-isolate'); // a second isolate serving the same config

    const e2 = { ...base, GATEHOUSE_CONFIG: configJson(':80 {\n\trespond "three"\n}\n') };
    expect(await get(e2, exec)).toBe(200);
    await settle();
    expect(await armedAlarm(stub)).not.toBeNull(); // this isolate released it; the other one still counts

    // The other isolate goes away without releasing: IDLE_STOP_MS after its last call, the next alarm stops.
    await runInDurableObject(stub, (instance) => {
      const stored = (instance as unknown as { stored: { holders: Record<string, number> } }).stored;
      stored.holders['another-isolate'] = Date.now() - IDLE_STOP_MS - 1;
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await alarmOf(stub)).toBeNull();
  });

  it('a load-sharing pool restarts checks stopped for idleness, and is configured again after its last release', async () => {
    const { exec, settle } = execution();
    const base = { ...env, CONFIG_STORE: undefined };
    const site = `:80 {\n\treverse_proxy ${A} ${B} {\n\t\tlb_policy least_conn\n\t\thealth_uri /health?key=life5\n\t\thealth_interval 1m\n\t}\n}\n`;
    const e1 = { ...base, GATEHOUSE_CONFIG: configJson(site) };
    expect(await get(e1, exec)).toBe(200);
    await settle();
    const pool = poolFor('life5');
    const stub = stubOf(pool);
    expect(await armedAlarm(stub)).not.toBeNull();

    // Every holder idle for IDLE_STOP_MS: the next round stops the checks (the state stays).
    await runInDurableObject(stub, (instance) => {
      const stored = (instance as unknown as { stored: { holders: Record<string, number> } }).stored;
      for (const h of Object.keys(stored.holders)) stored.holders[h] = Date.now() - IDLE_STOP_MS - 1;
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await alarmOf(stub)).toBeNull();
    // A load report (what least_conn isolates send instead of poll) is use again: the checks restart.
    expect(await stub.reportLoad('some-isolate', { [A]: 1 })).not.toBeNull();
    expect(await alarmOf(stub)).not.toBeNull();

    // Released by every holder: the object has no config, and says so instead of an empty snapshot …
    await runInDurableObject(stub, (instance) => {
      const stored = (instance as unknown as { stored: { holders: Record<string, number> } }).stored;
      for (const h of Object.keys(stored.holders)) if (h !== 'some-isolate') delete stored.holders[h];
    });
    expect(await stub.release('some-isolate')).toBe(true);
    expect(await stub.reportLoad('some-isolate', { [A]: 1 })).toBeNull();
    expect(await stub.reportFailures([{ upstream: A, at: Date.now() }], 'some-isolate')).toBeNull();
    // … so the isolate's next refresh configures it again, and its checks run.
    await pool.refresh();
    await settle();
    expect(await armedAlarm(stub)).not.toBeNull();
  });

  it('lists only upstreams of the config served now in the admin upstream list', async () => {
    const { exec, settle } = execution();
    const base = { ...env, CONFIG_STORE: undefined };
    const e1 = { ...base, GATEHOUSE_CONFIG: configJson(`:80 {\n\treverse_proxy ${A} ${B}\n}\n`) };
    expect(await get(e1, exec)).toBe(200);
    await settle();
    let addresses = (await upstreamStatuses(isolatePools())).map((s) => s.address).sort();
    expect(addresses).toEqual([A, B].sort());

    const e2 = {
      ...base,
      GATEHOUSE_CONFIG: configJson(`:80 {\n\treverse_proxy ${C} {\n\t\tfail_duration 30s\n\t}\n}\n`),
    };
    expect(await get(e2, exec)).toBe(200);
    await settle();
    addresses = (await upstreamStatuses(isolatePools())).map((s) => s.address);
    expect(addresses).toEqual([C]);
  });
});

describe('pool lifetime follows the config store', () => {
  it('keeps a pool while its version is active or candidate, stops it after promote, starts it again on rollback', async () => {
    const { exec, settle } = execution();
    const ADMIN = 'lifecycle-admin';
    const e = { ...env, ADMIN_TOKEN: ADMIN, CONFIG_REFRESH_MS: '0' };
    const admin = adminClient(worker as never, e, ADMIN, exec);
    /** Requests until this isolate has re-read the store (CONFIG_REFRESH_MS 0: each request refreshes in the background). */
    const traffic = async (): Promise<void> => {
      for (let i = 0; i < 3; i++) {
        expect(await get(e, exec)).toBe(200);
        await settle();
      }
    };

    const load = await worker.fetch(
      new Request('http://gw.test/gatehouse-admin/load', {
        method: 'POST',
        headers: { Authorization: `Bearer ${ADMIN}`, 'Content-Type': 'text/caddyfile' },
        body: healthSite('store1', A, B),
      }) as never,
      e as never,
      exec,
    );
    expect(load.status).toBe(200);
    await settle();
    // Checks start at load, before this isolate re-reads the store (whose live set is still the previous config's).
    const pool = poolFor('store1');
    const stub = stubOf(pool);
    expect(await armedAlarm(stub)).not.toBeNull();
    await traffic();
    expect(poolFor('store1')).toBe(pool);
    let listed = (await (await admin('/reverse_proxy/upstreams')).json()) as Array<{ address: string }>;
    expect(listed.map((u) => u.address).sort()).toEqual([A, B].sort());

    // A candidate without the pool: the active version still uses it.
    expect(
      (await admin('/config/rollout', { caddyfile: `:80 {\n\treverse_proxy ${C}\n}\n`, percent: 50 })).status,
    ).toBe(200);
    await traffic();
    expect(await armedAlarm(stub)).not.toBeNull();
    listed = (await (await admin('/reverse_proxy/upstreams')).json()) as Array<{ address: string }>;
    expect(listed.map((u) => u.address).sort()).toEqual([A, B, C].sort());

    // Promoted: no live version uses the pool any more.
    expect((await admin('/config/promote', {})).status).toBe(200);
    await traffic();
    expect(await alarmOf(stub)).toBeNull();
    listed = (await (await admin('/reverse_proxy/upstreams')).json()) as Array<{ address: string }>;
    expect(listed.map((u) => u.address)).toEqual([C]);

    // Rolled back: the version is live again and its checks start again.
    expect((await admin('/config/rollback', {})).status).toBe(200);
    await traffic();
    expect(poolFor('store1')).toBe(pool);
    expect(await armedAlarm(stub)).not.toBeNull();
  });
});

describe('a config owns its pools', () => {
  const serveOnce = async (config: CompiledConfig, e: Record<string, unknown>, exec: ExecutionContext) => {
    const res = await config.serve(new Request('http://gw.test/'), e, exec);
    await res.arrayBuffer();
    return res.status;
  };

  it('two configs sharing a pool hold it until the last one lets go; dispose releases it at the object', async () => {
    const { exec, settle } = execution();
    const e = { ...env, CONFIG_STORE: undefined };
    const registry = new PoolRegistry();
    const json = JSON.parse(configJson(healthSite('own1', A, B)));
    const first = compileConfig(json, { pools: registry });
    const second = compileConfig(json, { pools: registry });
    await registry.setLive([first.pools, second.pools], e, exec);
    expect(await serveOnce(first, e, exec)).toBe(200);
    expect(await serveOnce(second, e, exec)).toBe(200);
    await settle();
    expect(registry.pools()).toHaveLength(1); // one pool, counted twice
    const stub = stubOf(registry.pools()[0]);
    expect(await armedAlarm(stub)).not.toBeNull();

    await registry.setLive([second.pools], e, exec); // the first config is no longer served
    await settle();
    expect(registry.pools()).toHaveLength(1);
    expect(await armedAlarm(stub)).not.toBeNull();

    await second.dispose(); // the last user goes: released at the object, whose checks stop
    await settle();
    expect(registry.pools()).toHaveLength(0);
    expect(await alarmOf(stub)).toBeNull();
  });

  it('a config compiled on its own holds its pool from its first request until dispose()', async () => {
    const { exec, settle } = execution();
    const e = { ...env, CONFIG_STORE: undefined };
    const config = compileConfig(JSON.parse(configJson(healthSite('own2', A, C))));
    expect(config.pools.registry.pools()).toHaveLength(0); // compiling alone calls no object
    expect(await serveOnce(config, e, exec)).toBe(200);
    await settle();
    const [pool] = config.pools.registry.pools();
    const stub = stubOf(pool);
    expect(await armedAlarm(stub)).not.toBeNull();
    await config.dispose();
    expect(pool.released).toBe(true);
    expect(await alarmOf(stub)).toBeNull();
    // A request still in flight after dispose() is served without taking the pool back.
    expect(await serveOnce(config, e, exec)).toBe(200);
    await settle();
    expect(config.pools.registry.pools()).toHaveLength(0);
  });
});
