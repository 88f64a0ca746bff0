import { locatedError, withLocation } from '../caddyfile/errors.ts';
import type { Token } from '../caddyfile/token.ts';
import type { MatcherSetJSON, RouteJSON, ServerJSON, SubrouteHandlerJSON } from '../config/caddy-json.ts';
import { joinHostPort, specificity, splitHostPort, type Address } from './addresses.ts';
import type { NamedCustomLog } from './directives/log.ts';
import { goSliceStable } from './go-sort.ts';
import { attachNamedRoutes, type NamedRoutes, type UndefinedNamedRoute } from './named-routes.ts';
import type { Pairing, SiteOnListener } from './pairing.ts';
import { buildSubroute, consolidateRoutes } from './subroute.ts';
import { pushAll } from '../util/push-all.ts';

/** Turns listener pairings into servers srv0, srv1, … (Caddy's serversFromPairings, minus TLS certificate work). */

/** Site hosts; a catch-all key makes it empty unless `loggerMode` (which also keeps non-default ports). */
function hostsFromKeys(keys: Address[], loggerMode: boolean): string[] {
  const set = new Set<string>();
  for (const a of keys) {
    if (a.host === '') {
      if (!loggerMode) return [];
      continue;
    }
    // Logger host keys keep a port unless it is HTTP's or HTTPS's default (80, 443), whatever http_port says.
    const keepPort = loggerMode && a.port !== '' && a.port !== '80' && a.port !== '443';
    set.add(keepPort ? joinHostPort(a.host, a.port) : a.host);
  }
  return [...set].sort();
}

/** Host/path matcher sets from a block's keys (Caddy's compileEncodedMatcherSets). */
function siteMatcherSets(keys: Address[]): MatcherSetJSON[] {
  const pairs: { host: string[] | undefined; path: string[] }[] = [];
  let catchAll = false;
  for (const a of keys) {
    let chosen = pairs.find(
      (p) => (p.path.length === 0 && a.path === '') || (p.path.length === 1 && p.path[0] === a.path),
    );
    if (!chosen) {
      chosen = { host: [], path: a.path ? [a.path] : [] };
      pairs.push(chosen);
    }
    if (a.host === '' && !catchAll) {
      chosen.host = undefined;
      catchAll = true;
    }
    if (catchAll) continue;
    chosen.host ??= [];
    if (a.host !== '' && !chosen.host.includes(a.host)) chosen.host.push(a.host);
  }
  const out: MatcherSetJSON[] = [];
  for (const p of pairs) {
    const set: MatcherSetJSON = {};
    if (p.host?.length) set.host = p.host;
    if (p.path.length) set.path = p.path;
    if (Object.keys(set).length) out.push(set);
  }
  return out;
}

/** Caddy's appendSubrouteToRouteList: a site's routes go in a terminal subroute behind its host matchers. */
function appendSubroute(list: RouteJSON[], routes: RouteJSON[], sets: MatcherSetJSON[], blocks: number): RouteJSON[] {
  if (!sets.length && !routes.length) return list;
  let wrap = true;
  if (!sets.length && blocks === 1) {
    wrap = routes.some((r) => (r.match ?? []).some((m) => Object.hasOwn(m, 'host')));
  }
  if (!wrap) return [...list, ...routes];
  const route: RouteJSON = {};
  if (sets.length) route.match = sets;
  if (routes.length) route.handle = [{ handler: 'subroute', routes } as SubrouteHandlerJSON];
  route.terminal = true;
  if (route.match || route.handle) list.push(route);
  return list;
}

function sortSites(blocks: SiteOnListener[]): SiteOnListener[] {
  const info = blocks.map((b) => {
    let host = '';
    let path = '';
    let wildcard = false;
    for (const a of b.parsedKeys) {
      if (a.host.includes('*') || a.host === '') wildcard = true;
      if (specificity(a.host) > specificity(host)) host = a.host;
      if (specificity(a.path) > specificity(path)) path = a.path;
    }
    return { b, host, path, wildcard };
  });
  type I = (typeof info)[number];
  const less = (i: I, j: I): boolean => {
    if (specificity(i.host) === 0) return false;
    if (specificity(j.host) === 0) return true;
    if (i.wildcard !== j.wildcard) return j.wildcard && !i.wildcard;
    if (specificity(i.host) === specificity(j.host)) return i.path.length > j.path.length;
    return specificity(i.host) > specificity(j.host);
  };
  goSliceStable(info, less);
  return info.map((y) => y.b);
}

export interface ServerBuildEnv {
  options: Map<string, unknown>;
  order: readonly string[];
  nextGroup: () => string;
  namedRoutes: NamedRoutes;
}

export function serversFromPairings(pairings: Pairing[], env: ServerBuildEnv): Record<string, ServerJSON> {
  const { options } = env;
  const servers: Record<string, ServerJSON> = {};
  const httpPort = String(options.get('http_port') ?? 80);
  const httpsPort = String(options.get('https_port') ?? 443);
  const defaultSNI = (options.get('default_sni') as string | undefined) ?? '';
  const fallbackSNI = (options.get('fallback_sni') as string | undefined) ?? '';
  const autoHTTPS = (options.get('auto_https') as string[] | undefined) ?? [];

  pairings.forEach((p, i) => {
    // Blocks by site key, in order: finding a key's other block stays linear in the number of sites.
    const blocksByKey = new Map<string, number[]>();
    for (const [j, b] of p.blocks.entries()) {
      for (const key of b.keys) {
        const list = blocksByKey.get(key);
        if (!list) blocksByKey.set(key, [j]);
        else if (list[list.length - 1] !== j) list.push(j);
      }
    }
    for (const [j, b1] of p.blocks.entries()) {
      for (const key of b1.keys) {
        const k = blocksByKey.get(key)!.find((k) => k !== j);
        const other = k === undefined ? undefined : p.blocks[k];
        if (other) {
          const later = other.site.index > b1.site.index ? other : b1;
          throw locatedError(keyToken(later, key), `ambiguous site definition: ${key}`);
        }
      }
    }
    const srv: ServerJSON = {};
    if (p.addresses.length) srv.listen = p.addresses.map((a) => a.address);
    if (p.addresses.some((a) => a.protocols.some((x) => x !== ''))) {
      srv.listen_protocols = p.addresses.map((a) => (a.protocols.some((x) => x !== '') ? a.protocols : null));
    }
    const ah: Record<string, unknown> = {};
    for (const v of autoHTTPS) {
      if (v === 'off') ah.disable = true;
      if (v === 'disable_redirects') ah.disable_redirects = true;
      if (v === 'disable_certs') ah.disable_certificates = true;
      if (v === 'ignore_loaded_certs') ah.ignore_loaded_certificates = true;
    }
    const blocks = sortSites(p.blocks);
    detectConflictingSchemes(srv.listen ?? [], blocks, httpPort, httpsPort);
    let qualifiesForTLS = false;
    let autoWillAddPolicy = ah.disable !== true;
    const usesOtherPort = (srv.listen ?? []).some((l) => {
      const hp = splitHostPort(l.replace(/^[a-z0-9]+\//, ''));
      // socket and fd listeners have no port (Caddy sees port 0), which counts as another port
      return hp === undefined || hp.port !== httpPort;
    });
    if (blocks.some((b) => (b.site.pile.get('custom_log') ?? []).length)) srv.logs = {};
    let errorRoutes: RouteJSON[] = [];
    let hasErrors = false;
    const invoked: string[] = [];
    let routes: RouteJSON[] = [];

    for (const sb of blocks) {
      const sets = siteMatcherSets(sb.parsedKeys);
      const hosts = hostsFromKeys(sb.parsedKeys, false);
      pushAll(invoked, sb.site.invoked);
      for (const a of sb.parsedKeys) {
        if (usesOtherPort && a.scheme === 'http' && a.host !== '') {
          const skip = (ah.skip as string[] | undefined) ?? [];
          if (!skip.includes(a.host)) skip.push(a.host);
          ah.skip = skip;
        }
        const skip = (ah.skip as string[] | undefined) ?? [];
        const tlsEnabled = a.host !== '' && !skip.includes(a.host);
        if (a.scheme === 'https' || (a.scheme !== 'http' && a.port !== httpPort && tlsEnabled)) qualifiesForTLS = true;
        autoWillAddPolicy = autoWillAddPolicy && (a.port === httpsPort || (a.port !== httpPort && a.host !== ''));
      }
      const siteRoutes = buildSubroute(sb.site.pile.get('route') ?? [], env.order, env.nextGroup, true);
      routes = appendSubroute(routes, siteRoutes, sets, blocks.length);

      const errVals = sb.site.pile.get('error_route') ?? [];
      if (errVals.length) {
        hasErrors = true;
        const errSub = sortErrorRoutes(errVals.map((v) => v.value as RouteJSON));
        errorRoutes = appendSubroute(errorRoutes, errSub, sets, blocks.length);
      }
      applyLogs(srv, sb, hosts);
    }
    if (hasErrors) srv.errors = { routes: errorRoutes };
    if (srv.logs && Array.isArray(srv.logs.skip_hosts)) (srv.logs.skip_hosts as string[]).sort();
    if (qualifiesForTLS && (!autoWillAddPolicy || defaultSNI !== '' || fallbackSNI !== '')) {
      const cp: Record<string, unknown> = {};
      if (defaultSNI) cp.default_sni = defaultSNI;
      if (fallbackSNI) cp.fallback_sni = fallbackSNI;
      srv.tls_connection_policies = [cp];
    }
    if (Object.keys(ah).length) srv.automatic_https = ah;
    srv.routes = consolidateRoutes(routes);
    if (!srv.routes.length) delete srv.routes;
    try {
      attachNamedRoutes(srv, invoked, env.namedRoutes);
    } catch (e) {
      throw withLocation(e, invokeToken(blocks, (e as UndefinedNamedRoute).routeName), (e as Error).message);
    }
    servers[`srv${i}`] = srv;
  });
  return servers;
}

/** Maps a site's `log` directives onto the server's logger names (Caddy's custom_log handling). */
function applyLogs(srv: ServerJSON, sb: SiteOnListener, hosts: string[]): void {
  if (!srv.logs) return;
  const logs = srv.logs as Record<string, unknown>;
  const logHosts = hostsFromKeys(sb.parsedKeys, true);
  const vals = sb.site.pile.get('custom_log') ?? [];
  const names = (logs.logger_names as Record<string, string[]> | undefined) ?? {};
  const add = (h: string, name: string): void => {
    names[h] = [...(names[h] ?? []), name];
    logs.logger_names = names;
  };
  for (const v of vals) {
    const ncl = v.value as NamedCustomLog;
    if (ncl.noHostname) continue;
    if (sb.parsedKeys.some((a) => a.host === '') && ncl.hostnames.length === 0) {
      if (ncl.name) logs.default_logger_name = ncl.name;
    } else if (ncl.hostnames.length) for (const h of ncl.hostnames) add(h, ncl.name);
    else for (const h of logHosts) add(splitHostPort(h)?.host ?? h, ncl.name);
  }
  if (!vals.length) {
    if (!hosts.length) logs.skip_unmapped_hosts = true;
    if (logHosts.length) logs.skip_hosts = [...((logs.skip_hosts as string[] | undefined) ?? []), ...logHosts];
  }
}

/**
 * Caddy sorts handle_errors routes with a comparator that only says "catch-all goes after a matched one" and claims
 * every other pair is already in order; Go's stable sort then reverses the matched routes. Reproduced so the error routes come out in the order `caddy adapt` prints.
 */
function sortErrorRoutes(routes: RouteJSON[]): RouteJSON[] {
  const out = routes.slice();
  goSliceStable(out, (a, b) => !(!a.match?.length && (b.match?.length ?? 0) > 0));
  return out;
}

/**
 * One listener speaks either HTTP or HTTPS: sites on the same server that need both are an error (Caddy's
 * detectConflictingSchemes; Gatehouse has no TLS policies of its own, so only the address forms count).
 */
function detectConflictingSchemes(
  listen: string[],
  blocks: SiteOnListener[],
  httpPort: string,
  httpsPort: string,
): void {
  let mode = '';
  const where = `[${listen.join(' ')}]`;
  for (const sb of blocks) {
    for (const a of sb.parsedKeys) {
      let want = '';
      if (a.scheme === 'http' || a.port === httpPort) want = 'HTTP';
      else if (a.scheme === 'https' || a.port === httpsPort) want = 'HTTPS';
      else if (a.host === '') want = 'HTTP';
      if (!want) continue;
      if (want === 'HTTP' && mode === 'HTTPS') {
        let msg = `server listening on ${where} is configured for HTTPS and cannot natively multiplex HTTP and HTTPS: ${a.original}`;
        if (a.scheme === '' && a.host === '') msg += ' (try specifying https:// in the address)';
        throw locatedError(keyToken(sb, a.original), msg);
      }
      if (want === 'HTTPS' && mode === 'HTTP') {
        throw locatedError(
          keyToken(sb, a.original),
          `server listening on ${where} is configured for HTTP and cannot natively multiplex HTTP and HTTPS: ${a.original}`,
        );
      }
      mode = want;
    }
  }
}

/** The site key token written as `text` (for locating errors), else the block's first key. */
function keyToken(sb: SiteOnListener, text: string): Token | undefined {
  const keys = sb.site.block.keys;
  return keys.find((k) => k.text === text || k.text.trim() === text) ?? keys[0];
}

/** The `invoke NAME` token of these sites (for locating an undefined route), else the first site's first key. */
function invokeToken(blocks: SiteOnListener[], name: string | undefined): Token | undefined {
  for (const sb of blocks) {
    for (const seg of sb.site.block.segments) {
      const i = seg.findIndex((t, j) => t.text === 'invoke' && seg[j + 1]?.text === name);
      if (i >= 0) return seg[i];
    }
  }
  return blocks[0]?.site.block.keys[0];
}
