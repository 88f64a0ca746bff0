import { requestField } from '../http/placeholders/request.ts';
import type { RequestContext } from '../http/types.ts';
import type { MatcherSetJSON } from './caddy-json.ts';
import { routeFields } from './header-prefilter.ts';
import { HostIndex, routeHosts } from './host-index.ts';
import { requestSegment, routeSegments } from './path-prefilter.ts';

/** Routes with a condition of a kind before it is worth looking the request up for it. */
const MIN_ROUTES = 8;
/** Header fields looked up per request at most (each is a bit of the request's field mask). */
const MAX_FIELDS = 8;
/** Route positions kept in refined lists, over all combinations; past it a list is computed for each request. */
const MAX_KEPT = 200_000;

/**
 * Which routes of a list can match a request, by three necessary conditions read off the routes' matchers: the
 * host (HostIndex), the first path segment (path-prefilter.ts) and the header fields present (header-prefilter.ts).
 * The list is still tried in order with each candidate's own matchers, so the first match is that of Caddy's
 * in-order scan; the other routes are passed over without running theirs. The host's list is built with the
 * config; its refinement by segment and fields is computed the first time a request brings that combination, and
 * kept (up to MAX_KEPT positions in all). Requests without a route's segment or field share one list, so the lists
 * are bounded by the config, not by what clients send.
 */
export class RouteCandidates {
  private readonly hosts: HostIndex | undefined;
  private readonly all: readonly number[];
  /** Per route: the first segments it can match (undefined: any); all undefined when segments are not used. */
  private readonly segments: ReadonlyArray<ReadonlySet<string> | undefined>;
  private readonly knownSegments: ReadonlySet<string> | undefined;
  private readonly fields: readonly string[];
  /** Per route: the bits of the fields it needs present. */
  private readonly needs: Uint8Array;
  /** Host list → request segment ('' when no route names it) → field mask → the refined list. */
  private readonly refined = new Map<readonly number[], Map<string, Array<readonly number[] | undefined>>>();
  private kept = 0;
  private readonly maxKept: number;

  private constructor(
    hosts: HostIndex | undefined,
    n: number,
    segments: ReadonlyArray<ReadonlySet<string> | undefined>,
    fields: string[],
    needs: Uint8Array,
    maxKept: number,
  ) {
    this.hosts = hosts;
    this.maxKept = maxKept;
    this.all = Array.from({ length: n }, (_, i) => i);
    const known = new Set<string>();
    for (const s of segments) if (s) for (const seg of s) known.add(seg);
    this.segments = segments;
    this.knownSegments = known.size > 0 ? known : undefined;
    this.fields = fields;
    this.needs = needs;
  }

  /** Undefined when no kind of condition is common enough for lookups to save anything. */
  static build(
    matches: ReadonlyArray<readonly MatcherSetJSON[] | undefined>,
    maxKept = MAX_KEPT,
  ): RouteCandidates | undefined {
    if (matches.length < MIN_ROUTES) return undefined; // most lists (a site's handle blocks): nothing to look at
    const hosts = HostIndex.build(matches.map(routeHosts), MIN_ROUTES);
    let segments = matches.map(routeSegments);
    if (segments.filter(Boolean).length < MIN_ROUTES) segments = segments.map(() => undefined);
    const required = matches.map(routeFields);
    const counts = new Map<string, number>();
    for (const set of required) for (const f of set ?? []) counts.set(f, (counts.get(f) ?? 0) + 1);
    const fields = [...counts]
      .filter(([, n]) => n >= MIN_ROUTES)
      .sort((a, b) => b[1] - a[1])
      .slice(0, MAX_FIELDS)
      .map(([f]) => f);
    const needs = new Uint8Array(matches.length);
    required.forEach((set, i) => {
      fields.forEach((f, bit) => {
        if (set?.has(f)) needs[i] |= 1 << bit;
      });
    });
    if (!hosts && !segments.some(Boolean) && fields.length === 0) return undefined;
    return new RouteCandidates(hosts, matches.length, segments, fields, needs, maxKept);
  }

  /** The positions, ascending, of the routes this request can match. */
  candidates(ctx: RequestContext): readonly number[] {
    const list = this.hosts?.candidates(ctx) ?? this.all;
    if (!this.knownSegments && this.fields.length === 0) return list;
    const requested = this.knownSegments ? requestSegment(ctx) : '';
    const segment = this.knownSegments?.has(requested) ? requested : '';
    let mask = 0;
    for (let bit = 0; bit < this.fields.length; bit++)
      if (requestField(ctx, this.fields[bit]) !== null) mask |= 1 << bit;

    let bySegment = this.refined.get(list);
    let byMask = bySegment?.get(segment);
    const found = byMask?.[mask];
    if (found) return found;
    const out = this.refine(list, segment, mask);
    // Each map and list kept counts against the bound, so what clients send cannot grow them past it.
    if (this.kept + out.length + 2 > this.maxKept) return out;
    if (!bySegment) this.refined.set(list, (bySegment = new Map()));
    if (!byMask) bySegment.set(segment, (byMask = []));
    byMask[mask] = out;
    this.kept += out.length + 2;
    return out;
  }

  private refine(list: readonly number[], segment: string, mask: number): number[] {
    return list.filter((i) => {
      const segs = this.segments[i];
      return (!segs || segs.has(segment)) && (this.needs[i] & ~mask) === 0;
    });
  }
}
