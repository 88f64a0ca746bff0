import type { RequestContext } from '../types.ts';
import { isSecretName } from '../../config/secrets.ts';

// Caddy's global placeholders (replacer.go globalDefaultReplacements): env.*, system.*, time.*. At the edge the
// environment is the Worker env (string vars only, secrets read as unset) and the host name is fixed.

export type Resolver = (ctx: RequestContext) => string | undefined;

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Go's Time.String() for a UTC time: `2006-01-02 15:04:05.999999999 +0000 UTC` (fraction trimmed of zeros). */
export function goTimeString(d: Date): string {
  const frac = d.getUTCMilliseconds() ? `.${pad(d.getUTCMilliseconds(), 3).replace(/0+$/, '')}` : '';
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}${frac} +0000 UTC`
  );
}

/** Common Log Format time: `02/Jan/2006:15:04:05 -0700` (UTC at the edge). */
export function commonLogTime(d: Date): string {
  return (
    `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`
  );
}

const now = (): Date => new Date();

const TIME: Record<string, Resolver> = {
  'time.now': () => goTimeString(now()),
  'time.now.http': () => now().toUTCString(),
  'time.now.common_log': () => commonLogTime(now()),
  'time.now.year': () => String(now().getUTCFullYear()),
  'time.now.unix': () => String(Math.floor(Date.now() / 1000)),
  'time.now.unix_ms': () => String(Date.now()),
};

const SYSTEM: Record<string, Resolver> = {
  'system.hostname': () => 'gatehouse',
  'system.slash': () => '/',
  'system.os': () => 'workerd',
  'system.arch': () => 'wasm',
  'system.wd': () => '/',
};

/** Returns a resolver for a global placeholder key, or undefined when the key is not a global one. */
export function globalResolver(key: string): Resolver | undefined {
  if (key.startsWith('env.')) {
    const name = key.slice(4);
    if (isSecretName(name)) return () => '';
    // Caddy treats every env.* as known (empty when unset); only string env entries are variables (others are bindings).
    return (ctx) => {
      const v = ctx.env[name];
      return typeof v === 'string' ? v : '';
    };
  }
  return TIME[key] ?? SYSTEM[key];
}
