import type { RequestContext } from '../types.ts';

/**
 * Request-scoped placeholder providers added by handlers (Caddy's Replacer.Map), asked after the built-in
 * placeholders: `map` defines its destinations this way. A provider returns undefined for names it does not know.
 */
export type PlaceholderProvider = (name: string) => string | undefined;

const providers = new WeakMap<RequestContext, PlaceholderProvider[]>();

export function addPlaceholderProvider(ctx: RequestContext, p: PlaceholderProvider): void {
  const list = providers.get(ctx);
  if (list) list.push(p);
  else providers.set(ctx, [p]);
}

/** Resolves `name` through the providers added so far (in the order added: the first `map` defining a name wins, as in Caddy). */
export function lookupProvided(ctx: RequestContext, name: string): string | undefined {
  const list = providers.get(ctx);
  if (!list) return undefined;
  for (const p of list) {
    const v = p(name);
    if (v !== undefined) return v;
  }
  return undefined;
}
