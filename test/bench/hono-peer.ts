import { Hono } from 'hono';
import { RegExpRouter } from 'hono/router/reg-exp-router';

// Contender (h): the 200-route benchmark config written as a Hono app, as a competent Hono user would write it:
// the default Hono (SmartRouter, which settles on RegExpRouter for these patterns) for the path and path-regexp
// routes; the exact-host and the header routes as one middleware with two Map lookups (Hono's router matches paths
// only, and its host-in-path getPath makes patterns RegExpRouter rejects, falling back to the slower TrieRouter);
// a catch-all that proxies with the wire behaviour of the hand-written gateway (f).

/** The names one benchmark's routes use, so the Caddyfile and the Hono app describe the same 200 routes. */
export interface RouteNames {
  host(i: number): string;
  pathSegment(i: number): string;
  regexpSegment(i: number): string;
  header: string;
  headerValue(i: number): string;
}

/** manyRoutesCaddyfile's names (caddyfiles.ts). */
export const BENCH_NAMES: RouteNames = {
  host: (i) => `h${i}.example.com`,
  pathSegment: (i) => `svc${i}`,
  regexpSegment: (i) => `items${i}`,
  header: 'x-tenant',
  headerValue: (i) => `t${i}`,
};

/** The route-eval micro bench's names (micro.ts). */
export const MICRO_NAMES: RouteNames = {
  host: (i) => `h${i}.example.com`,
  pathSegment: (i) => `p${i}`,
  regexpSegment: (i) => `re${i}`,
  header: 'x-key',
  headerValue: (i) => `k${i}`,
};

/** Hono's pattern for route i, or undefined for the host and header routes. */
export function honoPattern(i: number, names: RouteNames): string | undefined {
  if (i % 4 === 1) return `/${names.pathSegment(i)}/*`;
  if (i % 4 === 2) return `/${names.regexpSegment(i)}/:id{[0-9]+}`;
  return undefined;
}

// Caddy's hop-by-hop fields, removed both ways as (f) does.
const HOP = [
  'connection',
  'proxy-connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'alt-svc',
];
function dropHop(h: Headers): void {
  for (const name of HOP) if (h.has(name)) h.delete(name);
}

async function proxy(request: Request, upstream: string): Promise<Response> {
  const url = new URL(request.url);
  url.host = upstream;
  const headers = new Headers(request.headers);
  dropHop(headers);
  headers.set('x-forwarded-for', '127.0.0.1');
  headers.set('x-forwarded-proto', 'http');
  headers.set('x-forwarded-host', request.headers.get('host') ?? '');
  headers.append('via', '1.1 Caddy');
  const res = await fetch(url, { method: request.method, headers, body: request.body, redirect: 'manual' });
  const out = new Response(res.body, res);
  dropHop(out.headers);
  out.headers.append('via', '1.1 Caddy');
  out.headers.append('x-edge-served', 'Caddy-WASM');
  return out;
}

/** The app: `routes` routes of the four kinds, then a round-robin proxy over `upstreams` (host:port each). */
export function honoApp(upstreams: string[], names: RouteNames, routes = 200): Hono {
  const app = new Hono();
  const hosts = new Map<string, string>();
  const tenants = new Map<string, string>();
  for (let i = 0; i < routes; i += 4) hosts.set(names.host(i), `host ${i}`);
  for (let i = 3; i < routes; i += 4) tenants.set(names.headerValue(i), `tenant ${i}`);
  app.use('*', async (c, next) => {
    // The Host field without its port, lower-cased, as Caddy's host matcher compares it (Node's Request, in the
    // micro bench, has no Host field: the URL's then).
    const host = hosts.get((c.req.header('host') ?? new URL(c.req.url).host).replace(/:\d*$/, '').toLowerCase());
    if (host !== undefined) return c.text(host);
    const tenant = tenants.get(c.req.header(names.header) ?? '');
    if (tenant !== undefined) return c.text(tenant);
    await next();
  });
  for (let i = 0; i < routes; i++) {
    const pattern = honoPattern(i, names);
    if (i % 4 === 1)
      app.all(pattern!, (c) => {
        c.header('X-Route', String(i));
        return c.text(`path ${i}`);
      });
    if (i % 4 === 2) app.all(pattern!, (c) => c.text(`item ${c.req.param('id')}`));
  }
  let next = 0;
  app.all('*', (c) => proxy(c.req.raw, upstreams[next++ % upstreams.length]));
  return app;
}

/** Hono's RegExpRouter alone, with the same route patterns: what its `match` costs per request. */
export function honoRouter(names: RouteNames, routes = 200): RegExpRouter<number> {
  const router = new RegExpRouter<number>();
  for (let i = 0; i < routes; i++) {
    const pattern = honoPattern(i, names);
    if (pattern) router.add('ALL', pattern, i);
  }
  router.add('ALL', '*', routes);
  return router;
}
