import { fixedHosts, matcherHost } from '../http/matchers/host.ts';
import type { RequestContext } from '../http/types.ts';
import type { MatcherSetJSON } from './caddy-json.ts';

/**
 * Which routes of a list can match a request, by its host. Caddy tries a route list in order, one matcher at a
 * time; a config with many sites is a long list of routes whose every matcher set names exact hosts. Such a route
 * can only match those hosts, so each host gets the (ordered) list of the routes it could match, and a request
 * tries only those: the same first match as the full scan, without evaluating the other sites' matchers.
 * Routes without such a requirement appear in every list. Built only where it pays, and bounded in size.
 */
export class HostIndex {
  private readonly byHost: ReadonlyMap<string, readonly number[]>;
  /** The routes any host may match (those without a host requirement). */
  private readonly open: readonly number[];

  private constructor(byHost: Map<string, number[]>, open: number[]) {
    this.byHost = byHost;
    this.open = open;
  }

  /**
   * `hosts[i]` is what route i requires (undefined: none). Returns undefined when too few routes name hosts for an
   * index to save anything, or when the lists would grow past `maxEntries`.
   */
  static build(
    hosts: ReadonlyArray<ReadonlySet<string> | undefined>,
    minRoutes = 8,
    maxEntries = 200_000,
  ): HostIndex | undefined {
    const open: number[] = [];
    const only = new Map<string, number[]>();
    hosts.forEach((set, i) => {
      if (!set) open.push(i);
      else for (const h of set) (only.get(h) ?? only.set(h, []).get(h)!).push(i);
    });
    if (hosts.length - open.length < minRoutes) return undefined;
    let entries = 0;
    const byHost = new Map<string, number[]>();
    for (const [h, mine] of only) {
      const merged = mergeSorted(open, mine);
      entries += merged.length;
      if (entries > maxEntries) return undefined;
      byHost.set(h, merged);
    }
    return new HostIndex(byHost, open);
  }

  /** The indices, ascending, of the routes that can match this request's host. */
  candidates(ctx: RequestContext): readonly number[] {
    return this.byHost.get(matcherHost(ctx)) ?? this.open;
  }
}

/** The hosts a route can match when every one of its matcher sets has a `host` matcher of exact names. */
export function routeHosts(sets: readonly MatcherSetJSON[] | undefined): Set<string> | undefined {
  if (!sets || sets.length === 0) return undefined;
  const out = new Set<string>();
  for (const set of sets) {
    const hosts = fixedHosts((set as { host?: unknown }).host);
    if (!hosts) return undefined;
    for (const h of hosts) out.add(h);
  }
  return out;
}

/** The position of the first entry ≥ `from` in an ascending list. */
export function firstAtLeast(list: readonly number[], from: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid] < from) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function mergeSorted(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i] < b[j])) out.push(a[i++]);
    else if (i >= a.length || b[j] < a[i]) out.push(b[j++]);
    else {
      out.push(a[i++]);
      j++;
    }
  }
  return out;
}
