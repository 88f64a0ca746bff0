import type { Env } from '../env.ts';
import type { ConfigSnapshot, ConfigStore } from '../../durable/config-store.ts';
import { publicVars } from '../config/secrets.ts';
import { hasAdminToken } from './auth.ts';
import { errorResponse } from './responses.ts';
import { prepareConfig } from './prepare.ts';
import { adminRouter, type AdminDeps } from './routes.ts';

/** The admin route's settings, from Worker vars and secrets. */
export type AdminEnv = Pick<Env, 'ADMIN_TOKEN' | 'ADMIN_PATH' | 'ADMIN_HOST' | 'CONFIG_STORE'>;

export const DEFAULT_ADMIN_PATH = '/gatehouse-admin';

/** The config store's one instance. */
export function configStoreStub(env: AdminEnv): DurableObjectStub<ConfigStore> | undefined {
  return env.CONFIG_STORE?.get(env.CONFIG_STORE.idFromName('config'));
}

/**
 * Answers the request if it is for the admin API, else returns undefined so the gateway serves it. The route does
 * not exist unless ADMIN_TOKEN is set; the token is compared in constant time and never logged.
 */
export async function handleAdmin(
  request: Request,
  url: URL,
  env: Env,
  onChange: (snapshot: ConfigSnapshot) => void,
  upstreams: AdminDeps['upstreams'] = async () => [],
): Promise<Response | undefined> {
  const token = env.ADMIN_TOKEN;
  const base = token ? adminBase(url, env) : undefined;
  if (!token || base === undefined) return undefined;
  if (!(await hasAdminToken(request, token))) {
    return new Response(JSON.stringify({ error: 'missing or invalid admin token' }), {
      status: 401,
      headers: { 'Content-Type': 'application/json', 'WWW-Authenticate': 'Bearer realm="gatehouse-admin"' },
    });
  }
  const store = configStoreStub(env);
  if (!store) return errorResponse(503, 'the CONFIG_STORE Durable Object binding is missing; see wrangler.toml');
  const vars = publicVars(env);
  const router = adminRouter(base, {
    store,
    prepare: (body, contentType) => prepareConfig(body, contentType, vars),
    changed: onChange,
    upstreams,
  });
  try {
    return await router.fetch(request);
  } catch (e) {
    return errorResponse(500, `admin: ${(e as Error).message}`);
  }
}

/** Whether the request is for the admin API (which exists only when ADMIN_TOKEN is set). */
export function isAdminRequest(url: URL, env: AdminEnv): boolean {
  return !!env.ADMIN_TOKEN && adminBase(url, env) !== undefined;
}

/** The path prefix the admin API lives under for this request, or undefined if it is not an admin request. */
function adminBase(url: URL, env: AdminEnv): string | undefined {
  if (env.ADMIN_HOST) return url.hostname === env.ADMIN_HOST.toLowerCase() ? '' : undefined;
  const prefix = (env.ADMIN_PATH ?? DEFAULT_ADMIN_PATH).replace(/\/+$/, '');
  return url.pathname === prefix || url.pathname.startsWith(`${prefix}/`) ? prefix : undefined;
}
