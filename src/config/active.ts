import type { Env, WaitUntil } from '../env.ts';
import type { ConfigSnapshot } from '../../durable/config-store.ts';
import { adaptCaddyfile } from '../adapt/index.ts';
import { PoolRegistry } from '../proxy/pool-registry.ts';
import type { CaddyConfigJSON } from './caddy-json.ts';
import { compileConfig } from './compile.ts';
import type { CompiledConfig } from './compile.ts';
import { ConfigError } from './errors.ts';
import { bundledCaddyfile, preAdaptedCaddyfile } from './bundled.ts';
import { reportServedVersion, syncDeployed } from './deployed.ts';
import { publicVars } from './secrets.ts';
import { VersionedConfigs, type Selected } from './versioned.ts';
import { countDurableObjectError } from '../metrics/index.ts';

/**
 * Which config serves a request.
 * - Base config (what a fresh deployment serves): the JSON `gatehouse deploy` baked into the bundle, else
 *   env.GATEHOUSE_CONFIG (Caddy JSON; `gatehouse run` and `selfhost` bind it), else the bundled Caddyfile adapted with the
 *   Worker's string vars as `{$VAR}` values. Compiled once per isolate, as it starts (prepareBaseConfig); a config
 *   that fails is remembered too.
 * - With the CONFIG_STORE Durable Object bound, the store's active version and, for the clients in its rollout
 *   share, the candidate. Each isolate records the base config in the store as it starts: a changed one becomes
 *   active (src/config/deployed.ts); read through a per-isolate cache refreshed in the background
 *   every CONFIG_REFRESH_MS (default 5 s: the bounded staleness of a config change). If the store cannot be
 *   reached, the last snapshot keeps serving, else the base config.
 */

/** Set at build time by `gatehouse deploy` (the [define] of the wrangler config it generates); absent otherwise. */
declare const GATEHOUSE_BAKED_CONFIG: string | undefined;
declare const GATEHOUSE_DEPLOYED_AT: number | undefined;
const baked: string | undefined = typeof GATEHOUSE_BAKED_CONFIG === 'string' ? GATEHOUSE_BAKED_CONFIG : undefined;
const deployedAt: number | undefined = typeof GATEHOUSE_DEPLOYED_AT === 'number' ? GATEHOUSE_DEPLOYED_AT : undefined;

let cache: { source: string; json: string | Error; result: CompiledConfig | Error } | undefined;

/**
 * The isolate's shared upstream pools. Every config compiled here joins them, and the live set decides which pools
 * the isolate holds: the base config when there is no store, else the store's active and candidate versions.
 */
const pools = new PoolRegistry();

/** The isolate's shared upstream pools (the admin upstream list and the metrics scrape read them). */
export function isolatePools(): PoolRegistry {
  return pools;
}

function base(env: Env): { json: string | Error; result: CompiledConfig | Error } {
  const fromEnv =
    typeof env.GATEHOUSE_CONFIG === 'string' && env.GATEHOUSE_CONFIG.trim() !== '' ? env.GATEHOUSE_CONFIG : undefined;
  const json = baked ?? fromEnv;
  const source = json ?? `caddyfile:${bundledCaddyfile}`;
  if (cache?.source !== source) {
    let text: string | Error;
    let result: CompiledConfig | Error;
    try {
      const config = json !== undefined ? parseJson(json) : adaptBundled(env);
      text = JSON.stringify(config);
      result = compileConfig(config, { bindings: Object.keys(env), configGauges, pools });
    } catch (e) {
      text = result = e instanceof Error ? e : new Error(String(e));
    }
    cache = { source, json: text, result };
  }
  return cache;
}

/**
 * Compiles the base config while the isolate starts, so that the first request only serves. Module evaluation is
 * the part of a cold start Cloudflare runs during the TLS handshake of the first request (and workerd before it
 * listens). The global scope forbids timers, random values and I/O: whatever fails here is forgotten, and the first
 * request compiles again and reports it as it always does.
 */
export function prepareBaseConfig(env: Env): void {
  try {
    if (base(env).result instanceof Error) cache = undefined;
  } catch {
    cache = undefined;
  }
}

/** The base config (no config store involved). Throws its compile error. */
export function activeConfig(env: Env): CompiledConfig {
  const b = base(env);
  if (b.result instanceof Error) throw b.result;
  return b.result;
}

/** The compiled base config if `json` is its text. */
function baseCompiledFrom(json: string): CompiledConfig | undefined {
  return cache && cache.json === json && !(cache.result instanceof Error) ? cache.result : undefined;
}

let versions: VersionedConfigs<CompiledConfig> | undefined;

/** The per-isolate view of the config store, created on first use. */
export function storeConfigs(env: Env): VersionedConfigs<CompiledConfig> | undefined {
  const ns = env.CONFIG_STORE;
  if (!ns) return undefined;
  if (!versions) {
    const refreshMs = Number(env.CONFIG_REFRESH_MS ?? 5000);
    let synced = false;
    versions = new VersionedConfigs<CompiledConfig>(
      async () => {
        try {
          // A stub is an I/O object of the request that made it: make one per load, never keep one in the isolate.
          const stub = ns.get(ns.idFromName('config'));
          const b = synced ? undefined : base(env);
          if (!b || b.json instanceof Error) return (await stub.snapshot(versions?.compiledIds())) as ConfigSnapshot;
          const snapshot = await syncDeployed(stub, { json: b.json, deployedAt });
          synced = true;
          return snapshot;
        } catch (e) {
          // Counted here, where every failed read passes (background refreshes included), not only first reads.
          countDurableObjectError(env, 'ConfigStore');
          throw e;
        }
      },
      // A store serving the deployed base config has the same JSON: its compile (maybe done at startup) is reused.
      (json) =>
        baseCompiledFrom(json) ?? compileConfig(parseJson(json), { bindings: Object.keys(env), configGauges, pools }),
      Number.isFinite(refreshMs) ? refreshMs : 5000,
      undefined,
      // Shared upstream pools follow the versions served now (src/proxy/pool-registry.ts); serving a version other
      // than the deployed one is logged.
      (snapshot, exec) => {
        reportServedVersion(snapshot);
        return pools.setLive(
          versions!.live(snapshot).map((c) => c.pools),
          env,
          exec,
        );
      },
    );
  }
  return versions;
}

/**
 * Waits for this isolate's first read of the store (which records its deployed config there), so that an admin
 * change made through a new isolate is ordered after the deploy, not undone by it.
 */
export async function syncedWithStore(env: Env, exec?: WaitUntil): Promise<void> {
  try {
    await storeConfigs(env)?.select('', exec);
  } catch {
    // The admin change reports the store's failure itself.
  }
}

/** The config for this request and its version id (0 = the base config, outside the store). */
export async function selectConfig(env: Env, clientKey: string, exec?: WaitUntil): Promise<Selected<CompiledConfig>> {
  const store = storeConfigs(env);
  if (store) {
    try {
      const selected = await store.select(clientKey, exec);
      if (selected) return activated(selected, env, exec);
    } catch (e) {
      console.error(`gatehouse: config store unavailable, serving the base config: ${(e as Error).message}`);
    }
  }
  return baseSelection(env, store === undefined, exec);
}

/**
 * selectConfig without a promise when nothing needs waiting for (the store's snapshot is cached, or there is no
 * store); undefined means: await selectConfig. Throws the base config's compile error, as selectConfig does.
 */
export function selectConfigNow(env: Env, clientKey: string, exec?: WaitUntil): Selected<CompiledConfig> | undefined {
  const store = storeConfigs(env);
  if (!store) return baseSelection(env, true, exec);
  const selected = store.selectNow(clientKey, exec);
  return selected && activated(selected, env, exec);
}

function activated(selected: Selected<CompiledConfig>, env: Env, exec?: WaitUntil): Selected<CompiledConfig> {
  selected.config.activate(env, exec);
  return selected;
}

/** The base config as version 0; without a store it is the only live config, which the shared pools learn once. */
function baseSelection(env: Env, only: boolean, exec?: WaitUntil): Selected<CompiledConfig> {
  const config = activeConfig(env);
  if (baseSelected?.config !== config) {
    baseSelected = { config, version: 0 };
    if (only) void pools.setLive([config.pools], env, exec);
  }
  config.activate(env, exec);
  return baseSelected;
}
let baseSelected: Selected<CompiledConfig> | undefined;

function parseJson(text: string): CaddyConfigJSON {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`GATEHOUSE_CONFIG is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new ConfigError('GATEHOUSE_CONFIG must be a JSON object');
  return v as CaddyConfigJSON;
}

/** The bundled Caddyfile with the Worker's string vars (not secrets) for `{$VAR}`, adapted by the build if it has none. */
function adaptBundled(env: Env): CaddyConfigJSON {
  const pre = preAdaptedCaddyfile();
  if (pre) return pre;
  return adaptCaddyfile(bundledCaddyfile, { filename: 'Caddyfile', env: publicVars(env) }).config;
}

/** Config version gauges for the metrics scrape: read from the store (fresh), or version 0 = the base config. */
export async function configGauges(
  env: Env,
): Promise<{ active: number | null; candidate: number | null; percent: number }> {
  const ns = env.CONFIG_STORE;
  if (!ns) return { active: 0, candidate: null, percent: 0 };
  const snapshot = (await ns.get(ns.idFromName('config')).snapshot()) as ConfigSnapshot;
  return {
    active: snapshot.active?.id ?? 0,
    candidate: snapshot.candidate?.id ?? null,
    percent: snapshot.candidate ? snapshot.percent : 0,
  };
}
