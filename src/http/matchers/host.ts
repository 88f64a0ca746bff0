import { compileTemplate } from '../placeholders/index.ts';
import { requestHost } from '../placeholders/request.ts';
import type { Matcher, RequestContext } from '../types.ts';
import { matcherError, stringList, type MatcherCompileContext } from './types.ts';

// `host`: request host without port, case-insensitive; `*` stands for exactly one label; placeholders allowed.

function hostMatches(pattern: string, host: string): boolean {
  if (pattern === host) return true;
  if (!pattern.includes('*')) return false;
  const want = pattern.split('.');
  const got = host.split('.');
  if (want.length !== got.length) return false;
  return want.every((label, i) => label === '*' || label === got[i]);
}

/**
 * Internationalised names are compared in their ASCII (punycode) form, which is what clients send; undefined for a
 * name with no such form (Caddy refuses it with an idna.ToASCII error).
 */
function toASCII(host: string): string | undefined {
  if (/^[\x00-\x7f]*$/.test(host)) return host;
  const labels = host.split('.');
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    if (label === '*' || /^[\x00-\x7f]*$/.test(label)) continue;
    const ascii = URL.parse(`http://${label}`)?.hostname;
    if (!ascii || ascii.includes('.')) return undefined;
    labels[i] = ascii;
  }
  return labels.join('.');
}

/** A host pattern that names one host (no placeholder, no wildcard label): matched by a Set lookup. */
function isExactHost(h: string): boolean {
  return !h.includes('{') && !h.includes('*');
}

export function compileHost(json: unknown, c: MatcherCompileContext): Matcher {
  const hosts = stringList(json, c, 'host').map((h) => {
    if (h.includes('{')) return h;
    const ascii = toASCII(h);
    if (ascii === undefined) throw matcherError(c, `converting hostname '${h}' to ASCII: not a valid name`);
    return ascii;
  });
  const seen = new Set<string>();
  for (const h of hosts) {
    const k = h.toLowerCase();
    if (seen.has(k)) throw matcherError(c, `host at index ${hosts.indexOf(h)} is repeated: ${h}`);
    seen.add(k);
  }
  const fixed = new Set(hosts.filter(isExactHost).map((h) => h.toLowerCase()));
  const others = hosts
    .filter((h) => !isExactHost(h))
    .map((h) => {
      const t = compileTemplate(h);
      return (ctx: Parameters<Matcher>[0]) => t(ctx).toLowerCase();
    });
  return (ctx) => {
    const host = matcherHost(ctx);
    if (fixed.has(host)) return true;
    return others.some((p) => hostMatches(p(ctx), host));
  };
}

/** What host matchers compare: the request's host without port, lower-cased. */
export function matcherHost(ctx: RequestContext): string {
  return lowerHost(requestHost(ctx));
}

/**
 * The names a `host` matcher's JSON matches when all are exact (no placeholders, no `*`), as matcherHost() would
 * give them; undefined otherwise (or for JSON the compiler refuses).
 */
export function fixedHosts(json: unknown): Set<string> | undefined {
  if (!Array.isArray(json) || json.length === 0) return undefined;
  const out = new Set<string>();
  for (const h of json) {
    if (typeof h !== 'string' || !isExactHost(h)) return undefined;
    const ascii = toASCII(h);
    if (ascii === undefined) return undefined;
    out.add(ascii.toLowerCase()); // as compileHost keys its exact names
  }
  return out;
}

// Every host matcher of a route list lower-cases the same Host: remember the last one.
let lastHostIn = '';
let lastHostOut = '';
function lowerHost(host: string): string {
  if (host !== lastHostIn) {
    lastHostOut = host.toLowerCase();
    lastHostIn = host;
  }
  return lastHostOut;
}
