import type { Env } from '../env.ts';
/**
 * The Worker's secrets must not reach a config: a `{$VAR}` in a Caddyfile loaded or adapted through the admin API,
 * or a runtime `{env.VAR}`, would otherwise answer them to whoever can load a config or send a request. Their values
 * read as unset.
 */
const SECRET_NAMES: ReadonlySet<string> = new Set(['ADMIN_TOKEN', 'METRICS_TOKEN']);

export function isSecretName(name: string): boolean {
  return SECRET_NAMES.has(name);
}

/** The Worker's string vars for `{$VAR}`: bindings (objects) and secrets left out. */
export function publicVars(env: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (typeof v === 'string' && !isSecretName(k)) out[k] = v;
  return out;
}
