import { adaptCaddyfile } from '../adapt/index.ts';
import type { CaddyConfigJSON } from './caddy-json.ts';
import { compileConfig } from './compile.ts';
import type { CompiledConfig } from './compile.ts';
import { ConfigError } from './errors.ts';
import { bundledCaddyfile } from './bundled.ts';

/**
 * Which config this isolate serves: env.GATEHOUSE_CONFIG (Caddy JSON) if set, else the bundled Caddyfile adapted
 * with the Worker's string vars as `{$VAR}` values. Compiled once per isolate and kept while its source is the
 * same; a config that does not compile is remembered too, so it is not recompiled on every request.
 */
export interface ActiveEnv {
  GATEHOUSE_CONFIG?: string;
}

let cache: { source: string; result: CompiledConfig | Error } | undefined;

export function activeConfig(env: ActiveEnv & Record<string, unknown>): CompiledConfig {
  const json = typeof env.GATEHOUSE_CONFIG === 'string' && env.GATEHOUSE_CONFIG.trim() !== '' ? env.GATEHOUSE_CONFIG : undefined;
  const source = json ?? `caddyfile:${bundledCaddyfile}`;
  if (cache?.source !== source) {
    let result: CompiledConfig | Error;
    try {
      const config = json !== undefined ? parseJson(json) : adaptBundled(env);
      result = compileConfig(config, { bindings: Object.keys(env) });
    } catch (e) {
      result = e instanceof Error ? e : new Error(String(e));
    }
    cache = { source, result };
  }
  if (cache.result instanceof Error) throw cache.result;
  return cache.result;
}

function parseJson(text: string): CaddyConfigJSON {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`GATEHOUSE_CONFIG is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ConfigError('GATEHOUSE_CONFIG must be a JSON object');
  return v as CaddyConfigJSON;
}

function adaptBundled(env: Record<string, unknown>): CaddyConfigJSON {
  const vars: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (typeof v === 'string') vars[k] = v;
  return adaptCaddyfile(bundledCaddyfile, { filename: 'Caddyfile', env: vars }).config;
}
