import { ConfigError } from '../../config/errors.ts';
import { parseDurationNs } from '../../util/duration.ts';
import type { SelectionPolicy, SelectRequest, Upstream } from '../types.ts';
import type { FallbackJSON, PolicyModule } from './module.ts';

const encoder = new TextEncoder();

export interface CookieJSON extends FallbackJSON {
  policy: 'cookie';
  name?: string;
  secret?: string;
  /** A duration string or nanoseconds. */
  max_age?: string | number;
}

/**
 * `cookie [<name> [<secret>]]`: sticky sessions. An upstream's cookie value is hex(HMAC-SHA256(secret, dial)); a
 * request carrying the value of an available upstream goes there, anything else is placed by the fallback policy
 * and gets the cookie set.
 */
export const cookiePolicy: PolicyModule<CookieJSON> = {
  name: 'cookie',
  fields: ['name', 'secret', 'max_age', 'fallback'],
  parseCaddyfile(a) {
    if (a.args.length > 2) throw a.argErr();
    const json: Omit<CookieJSON, 'policy'> = {};
    if (a.args[0]) json.name = a.args[0];
    if (a.args[1]) json.secret = a.args[1];
    return json;
  },
  compile(json, ctx) {
    const fallback = ctx.fallback();
    return { traits: fallback.traits, select: cookieSelection(json, fallback.select, ctx.path) };
  },
};

function cookieSelection(json: CookieJSON, fallback: SelectionPolicy, path: string): SelectionPolicy {
  const name = json.name ?? 'lb';
  const secret = json.secret ?? '';
  if (typeof name !== 'string' || typeof secret !== 'string')
    throw new ConfigError('cookie selection policy: name and secret must be strings', path);
  const maxAgeSec = maxAgeSeconds(json.max_age, path);
  // Values, not promises, are kept: a promise made in one request is not left for others to await.
  const cache = new Map<string, string>();
  const valueFor = async (dial: string): Promise<string> => {
    let v = cache.get(dial);
    if (v === undefined) cache.set(dial, (v = await hashCookie(secret, dial)));
    return v;
  };

  return async (pool, req, effects) => {
    const sent = requestCookie(req.headers, name || 'lb');
    if (sent !== undefined) {
      for (const up of pool) {
        if (!up.available()) continue;
        if (constantTimeEqual(await valueFor(up.dial), sent)) return up;
      }
    }
    const chosen: Upstream | null = await fallback(pool, req, effects);
    if (!chosen) return null;
    effects.setCookies.push(setCookie(name || 'lb', await valueFor(chosen.dial), maxAgeSec, secureContext(req)));
    return chosen;
  };
}

export async function hashCookie(secret: string, dial: string): Promise<string> {
  // HMAC pads a short key with zero bytes, so Go's empty key equals one zero byte (WebCrypto refuses an empty key).
  const raw = secret === '' ? new Uint8Array(1) : encoder.encode(secret);
  const key = await crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(dial)));
  let hex = '';
  for (const b of mac) hex += b.toString(16).padStart(2, '0');
  return hex;
}

function maxAgeSeconds(v: unknown, path: string): number {
  if (v === undefined || v === null || v === 0 || v === '') return 0;
  const ns = typeof v === 'number' ? v : typeof v === 'string' ? parseDurationNs(v) : undefined;
  if (ns === undefined) throw new ConfigError('cookie selection policy: invalid max_age', path);
  return Math.trunc(ns / 1e9);
}

/** The cookie is Secure (and SameSite=None) over TLS, or behind a trusted proxy that says the client used https. */
function secureContext(req: SelectRequest): boolean {
  if (req.ctx.originalUrl.protocol === 'https:') return true;
  if (req.ctx.vars.get('trusted_proxy') !== true) return false;
  const xfp = req.headers.get('x-forwarded-proto');
  if (xfp === null) return false;
  const parts = xfp.split(',');
  return parts[parts.length - 1].trim() === 'https';
}

/** Attribute order as Go's http.Cookie.String writes it. */
function setCookie(name: string, value: string, maxAge: number, secure: boolean): string {
  let s = `${name}=${value}; Path=/`;
  if (maxAge > 0) s += `; Max-Age=${maxAge}`;
  s += '; HttpOnly';
  s += secure ? '; Secure; SameSite=None' : '; SameSite=Lax';
  return s;
}

function requestCookie(h: Headers, name: string): string | undefined {
  const raw = h.get('cookie');
  if (!raw) return undefined;
  for (const part of raw.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    let v = part.slice(eq + 1).trim();
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
    return v;
  }
  return undefined;
}

function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
