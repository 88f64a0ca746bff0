import type { CaddyConfigJSON } from '../../config/caddy-json.ts';
import { isSecretName } from '../../config/secrets.ts';

// Under `run`/`selfhost` the Worker's env is what the workerd config binds, so a runtime `{env.NAME}` (Caddy reads
// the process environment) would be empty. The CLI's own environment is passed instead, but only the names the
// config references: the rest of a shell's environment is none of the Worker's business, and secrets never are.

const ENV_PLACEHOLDER = /\{env\.([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** The `{env.NAME}` values the config uses, from `environment`; names in `taken` (other bindings) are left out. */
export function referencedEnv(
  config: CaddyConfigJSON,
  environment: NodeJS.ProcessEnv,
  taken: ReadonlySet<string>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [, name] of JSON.stringify(config).matchAll(ENV_PLACEHOLDER)) {
    const value = environment[name];
    if (value !== undefined && !isSecretName(name) && !taken.has(name)) out[name] = value;
  }
  return out;
}

/** Binding names wrangler.toml declares (Durable Objects, assets …) and the embedded config: not for a variable. */
export function boundNames(wranglerToml: string): Set<string> {
  const names = new Set(['GATEHOUSE_CONFIG']);
  for (const m of wranglerToml.matchAll(/^\s*(?:name|binding)\s*=\s*"(\w+)"/gm)) names.add(m[1]);
  return names;
}
