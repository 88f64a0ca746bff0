import { describe, expect, it } from 'vitest';
import type { CaddyConfigJSON, RouteJSON } from '../../src/config/caddy-json.ts';
import { compileConfig } from '../../src/config/compile.ts';
import { HostIndex, firstAtLeast, routeHosts } from '../../src/config/host-index.ts';
import { routeFields } from '../../src/config/header-prefilter.ts';
import { RouteCandidates } from '../../src/config/route-candidates.ts';
import { routeSegments } from '../../src/config/path-prefilter.ts';

// A long list of site routes is tried by host (HostIndex) and passed over by first path segment (path-prefilter.ts)
// and by header fields absent from the request (header-prefilter.ts), see RouteCandidates: the answers must be
// exactly those of Caddy's in-order scan, whatever mix of indexed and open routes, groups and fall-through
// middleware the list has.

const respond = (body: string) => ({ handler: 'static_response', body });
const server = (routes: RouteJSON[]): CaddyConfigJSON => ({
  apps: { http: { servers: { srv0: { listen: [':443'], routes } } } },
});

/** A small deterministic PRNG (mulberry32), so a failing case can be replayed. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What one matcher set asks of the path. */
type PathCond = { kind: 'path'; pattern: string } | { kind: 're'; pattern: string } | undefined;
/** A `header` matcher's JSON: field → allowed values ([] = present, null = absent). */
type HeaderCond = Record<string, string[] | null> | undefined;

interface Spec {
  /** Per matcher set: exact hosts, a wildcard pattern, or no host matcher; a path condition or none; a header one or none. */
  sets: Array<{ hosts?: string[]; path?: PathCond; headers?: HeaderCond }>;
  group?: string;
  /** A middleware route (sets a header and falls through) rather than a responder. */
  middleware: boolean;
}

const HOSTS = ['a.test', 'b.test', 'c.test', 'd.test', 'e.test', 'f.test', 'g.test', 'h.test', 'i.test', 'j.test'];
// Indexable (literal first segment) and not (wildcards in it, suffix, catch-all), in the matcher's own syntax.
const PATHS: PathCond[] = [
  { kind: 'path', pattern: '/p1/*' },
  { kind: 'path', pattern: '/P1' },
  { kind: 'path', pattern: '/q1/*' },
  { kind: 'path', pattern: '/z' },
  { kind: 'path', pattern: '/p*' },
  { kind: 'path', pattern: '*.php' },
  { kind: 'path', pattern: '*' },
  { kind: 're', pattern: '^/p1/(\\d+)$' },
  { kind: 're', pattern: '^/Q1$' },
  { kind: 're', pattern: '^/p1' },
  { kind: 're', pattern: '\\d+$' },
];
// Besides plain paths: escapes (matched decoded), repeated slashes (merged) and dot segments (resolved by the URL).
const REQUEST_PATHS = [
  '/p1',
  '/p1/',
  '/p1/42',
  '/P1/7',
  '/q1',
  '/Q1',
  '/q1/x',
  '/z',
  '/p1x',
  '/a.php',
  '/other',
  '/',
  '/%70%31/9',
  '/%50%31',
  '//p1/3',
  '/p1//4',
  '/a/../p1/5',
  '/./q1',
  '/z%2Fx',
];
// Fields required present (with values, a wildcard or none), required absent, and a Host condition (always present).
const HEADERS: HeaderCond[] = [
  { 'X-Tenant': ['t1'] },
  { 'x-tenant': ['t2', 't1'] },
  { 'X-Tenant': [] },
  { 'X-Tenant': ['*'] },
  { 'X-Key': ['k1'] },
  { 'X-Key': [] },
  { 'X-Tenant': ['t1'], 'X-Key': ['k1'] },
  { 'X-Tenant': null },
  { Host: [] },
];
const REQUEST_HEADERS: Array<Record<string, string>> = [
  {},
  { 'X-Tenant': 't1' },
  { 'X-Tenant': 't2' },
  { 'X-Key': 'k1' },
  { 'X-Tenant': 't1', 'X-Key': 'k1' },
  { 'X-Tenant': '' },
];

function randomList(r: () => number, n: number): Spec[] {
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)];
  return Array.from({ length: n }, () => {
    const sets = Array.from({ length: 1 + Math.floor(r() * 2) }, () => {
      const kind = r();
      const path = r() < 0.6 ? pick(PATHS) : undefined;
      const headers = r() < 0.4 ? pick(HEADERS) : undefined;
      if (kind < 0.5) {
        // One or two distinct names (Caddy refuses a repeated one), the second written in upper case.
        const first = Math.floor(r() * HOSTS.length);
        const hosts =
          r() < 0.3
            ? [HOSTS[first], HOSTS[(first + 1 + Math.floor(r() * (HOSTS.length - 1))) % HOSTS.length].toUpperCase()]
            : [HOSTS[first]];
        return { hosts, path, headers };
      }
      if (kind < 0.6) return { hosts: ['*.test'], path, headers };
      return headers && r() < 0.5 ? { path, headers } : { path: path ?? pick(PATHS), headers };
    });
    return { sets, group: r() < 0.2 ? pick(['g1', 'g2']) : undefined, middleware: r() < 0.2 };
  });
}

function toRoutes(specs: Spec[]): RouteJSON[] {
  return specs.map((s, i) => ({
    ...(s.group ? { group: s.group } : {}),
    match: s.sets.map((set) => ({
      ...(set.hosts ? { host: set.hosts } : {}),
      ...(set.path?.kind === 'path'
        ? { path: [set.path.pattern] }
        : set.path?.kind === 're'
          ? { path_regexp: { pattern: set.path.pattern } }
          : {}),
      ...(set.headers ? { header: set.headers } : {}),
    })),
    handle: [
      s.middleware ? { handler: 'headers', response: { add: { 'X-Passed': [String(i)] } } } : respond(`route ${i}`),
    ],
  }));
}

/**
 * The path matchers' rules for the patterns above, written out: on the decoded path with repeated slashes merged
 * (none of the patterns has `//`); case-insensitive, regexps on the path as it is.
 */
function pathMatches(cond: PathCond, rawPath: string): boolean {
  if (!cond) return true;
  const path = decodeURIComponent(new URL(`https://x${rawPath}`).pathname).replace(/\/{2,}/g, '/');
  if (cond.kind === 're') return new RegExp(cond.pattern).test(path);
  const p = cond.pattern.toLowerCase();
  const lower = path.toLowerCase();
  if (p === '*') return true;
  if (p.startsWith('*')) return lower.endsWith(p.slice(1));
  if (p.endsWith('*')) return lower.startsWith(p.slice(0, -1));
  return lower === p;
}

/** The header matcher's rules for the conditions above: names case-insensitive, values exact or `*` (present). */
function headersMatch(cond: HeaderCond, host: string, fields: Record<string, string>): boolean {
  if (!cond) return true;
  const actual = new Map(Object.entries(fields).map(([k, v]) => [k.toLowerCase(), v]));
  actual.set('host', host);
  return Object.entries(cond).every(([field, allowed]) => {
    const v = actual.get(field.toLowerCase());
    if (allowed === null) return v === undefined;
    if (v === undefined) return false;
    return allowed.length === 0 || allowed.some((a) => a === '*' || a === v);
  });
}

/** Caddy's scan, written out: first matching route of each group, middleware accumulates, first responder wins. */
function expected(
  specs: Spec[],
  host: string,
  path: string,
  fields: Record<string, string>,
): { body: string; passed: string[] } {
  const passed: string[] = [];
  const groups = new Set<string>();
  for (const [i, s] of specs.entries()) {
    const hit = s.sets.some((set) => {
      const hostOk =
        !set.hosts ||
        set.hosts.some((h) =>
          h === '*.test' ? host.endsWith('.test') && host.split('.').length === 2 : h.toLowerCase() === host,
        );
      return hostOk && pathMatches(set.path, path) && headersMatch(set.headers, host, fields);
    });
    if (!hit) continue;
    if (s.group) {
      if (groups.has(s.group)) continue;
      groups.add(s.group);
    }
    if (s.middleware) passed.push(String(i));
    else return { body: `route ${i}`, passed };
  }
  return { body: '', passed };
}

describe('routes tried by host and first path segment', () => {
  it('give exactly the answers of the in-order scan, for random route lists and requests', async () => {
    for (let seed = 1; seed <= 60; seed++) {
      const r = rng(seed);
      const specs = randomList(r, 10 + Math.floor(r() * 60));
      const config = compileConfig(server(toRoutes(specs)));
      for (let q = 0; q < 15; q++) {
        const host = r() < 0.85 ? HOSTS[Math.floor(r() * HOSTS.length)] : 'other.example';
        const path = REQUEST_PATHS[Math.floor(r() * REQUEST_PATHS.length)];
        const fields = REQUEST_HEADERS[Math.floor(r() * REQUEST_HEADERS.length)];
        const res = await config.serve(
          new Request(`https://${r() < 0.5 ? host.toUpperCase() : host}${path}`, { headers: fields }),
          {},
        );
        const want = expected(specs, host, path, fields);
        const got = { body: await res.text(), passed: (res.headers.get('x-passed') ?? '').split(', ').filter(Boolean) };
        expect(got, `seed ${seed}, ${host}${path} ${JSON.stringify(fields)}`).toEqual(want);
      }
    }
  });

  it('looks the host up again after a route changed it', async () => {
    const sites: RouteJSON[] = HOSTS.map((h) => ({ match: [{ host: [h] }], handle: [respond(h)], terminal: true }));
    const config = compileConfig(
      server([
        // Falls through with the request moved to another site, as a `request_header Host` would.
        { match: [{ host: ['a.test'] }], handle: [{ handler: 'headers', request: { set: { Host: ['j.test'] } } }] },
        ...sites,
      ]),
    );
    expect(await (await config.serve(new Request('https://a.test/'), {})).text()).toBe('j.test');
    expect(await (await config.serve(new Request('https://c.test/'), {})).text()).toBe('c.test');
  });

  it('looks the header fields up again after a route set one', async () => {
    const tenants: RouteJSON[] = Array.from({ length: 10 }, (_, i) => ({
      match: [{ header: { 'X-Tenant': [`t${i}`] } }],
      handle: [respond(`tenant ${i}`)],
    }));
    const config = compileConfig(
      server([
        // Falls through with a field the later routes need, as a `request_header X-Tenant t7` would.
        {
          match: [{ path: ['/as-seven'] }],
          handle: [{ handler: 'headers', request: { set: { 'X-Tenant': ['t7'] } } }],
        },
        ...tenants,
        { handle: [respond('no tenant')] },
      ]),
    );
    expect(await (await config.serve(new Request('https://a.test/as-seven'), {})).text()).toBe('tenant 7');
    expect(
      await (await config.serve(new Request('https://a.test/', { headers: { 'X-Tenant': 't3' } }), {})).text(),
    ).toBe('tenant 3');
    expect(await (await config.serve(new Request('https://a.test/'), {})).text()).toBe('no tenant');
  });

  it('gives the same candidates past the bound on kept lists, computed per request', () => {
    const matches = Array.from({ length: 24 }, (_, i) =>
      i % 3 === 0
        ? [{ host: [`h${i % 2}.test`] }]
        : i % 3 === 1
          ? [{ path: [`/p${i % 4}/*`] }]
          : [{ header: { 'X-Tenant': [`t${i}`] } }],
    );
    const kept = RouteCandidates.build(matches)!;
    const unkept = RouteCandidates.build(matches, 0)!;
    for (const url of ['https://h0.test/p1/x', 'https://h1.test/p3', 'https://other.test/p1/', 'https://h0.test/']) {
      for (const headers of [{}, { 'X-Tenant': 't2' }] as Array<Record<string, string>>) {
        const request = new Request(url, { headers });
        const ctx = { request, url: new URL(url), originalUrl: new URL(url) } as never;
        const want = matches.flatMap((_, i) =>
          i % 3 === 0
            ? url.includes(`h${i % 2}.test`)
              ? [i]
              : []
            : i % 3 === 1
              ? url.includes(`/p${i % 4}`)
                ? [i]
                : []
              : 'X-Tenant' in headers
                ? [i]
                : [],
        );
        expect(kept.candidates(ctx), `${url} ${JSON.stringify(headers)}`).toEqual(want);
        expect(unkept.candidates(ctx)).toEqual(want);
        expect(kept.candidates(ctx)).toBe(kept.candidates(ctx)); // kept: the same list again
        expect(unkept.candidates(ctx)).not.toBe(unkept.candidates(ctx));
      }
    }
  });

  it('takes the header fields a route needs present only where every matcher set needs them', () => {
    expect(
      routeFields([{ header: { 'X-Tenant': ['t1'], 'X-Key': [] } }, { header: { 'x-tenant': ['*'] }, path: ['/a'] }]),
    ).toEqual(new Set(['x-tenant']));
    expect(routeFields([{ header: { 'X-Tenant': ['t1'] } }, { path: ['/a'] }])).toBeUndefined(); // a set without a header condition
    expect(routeFields([{ header: { 'X-Tenant': null } }])).toBeUndefined(); // must be absent
    expect(routeFields([{ header: { Host: ['a.test'] } }])).toBeUndefined(); // always present
    expect(routeFields([{ not: [{ header: { 'X-Tenant': ['t1'] } }] }])).toBeUndefined();
  });

  it('builds an index only where routes name exact hosts, and keeps each list in route order', () => {
    expect(routeHosts([{ host: ['A.test'] }, { host: ['b.test'] }])).toEqual(new Set(['a.test', 'b.test']));
    expect(routeHosts([{ host: ['a.test'] }, { path: ['/x'] }])).toBeUndefined(); // one set without a host matcher
    expect(routeHosts([{ host: ['*.test'] }])).toBeUndefined();
    expect(routeHosts([{ host: ['{http.vars.h}'] }])).toBeUndefined();
    expect(HostIndex.build([new Set(['a.test']), undefined])).toBeUndefined(); // too few to pay
    const hosts = Array.from({ length: 20 }, (_, i) => (i % 5 === 0 ? undefined : new Set([`h${i % 3}.test`])));
    const index = HostIndex.build(hosts)!;
    const ctx = (h: string) => ({ request: new Request(`https://${h}/`), url: new URL(`https://${h}/`) }) as never;
    expect(index.candidates(ctx('h1.test'))).toEqual([0, 1, 4, 5, 7, 10, 13, 15, 16, 19]);
    expect(index.candidates(ctx('nowhere.test'))).toEqual([0, 5, 10, 15]);
    expect(HostIndex.build(hosts, 8, 10)).toBeUndefined(); // past the size bound: linear scan
    expect(firstAtLeast([0, 1, 4, 5, 7], 2)).toBe(2);
    expect(firstAtLeast([0, 1, 4, 5, 7], 8)).toBe(5);
  });

  it('takes a first path segment only where every pattern has a literal one', () => {
    expect(routeSegments([{ path: ['/API/*', '/v1.0'] }, { path_regexp: { pattern: '^/items/(\\d+)$' } }])).toEqual(
      new Set(['api', 'v1.0', 'items']),
    );
    expect(routeSegments([{ path: ['/api/*', '*.php'] }])).toBeUndefined();
    expect(routeSegments([{ path: ['/ap*'] }])).toBeUndefined();
    expect(routeSegments([{ path: ['/{http.vars.x}/*'] }])).toBeUndefined();
    expect(routeSegments([{ path: ['/a%2Fb'] }])).toBeUndefined();
    expect(routeSegments([{ path: ['//api/*'] }])).toBeUndefined();
    expect(routeSegments([{ path: ['/../x'] }])).toBeUndefined();
    expect(routeSegments([{ path_regexp: { pattern: '^/items' } }])).toBeUndefined(); // also matches /itemsX
    expect(routeSegments([{ path_regexp: { pattern: '^/a/|^/b/' } }])).toBeUndefined();
    expect(routeSegments([{ path_regexp: { pattern: '(?i)^/a/' } }])).toBeUndefined();
    expect(routeSegments([{ path: ['/a/*'] }, { host: ['x.test'] }])).toBeUndefined(); // a set without a path condition
  });
});
