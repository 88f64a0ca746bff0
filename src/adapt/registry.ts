import { parseError } from '../caddyfile/errors.ts';
import type { Dispenser } from '../caddyfile/dispenser.ts';
import type { ConfigValue, Helper, UnmarshalFunc, UnmarshalHandlerFunc } from './helper.ts';

/** Directive parsers by name; files under adapt/directives/ register themselves on import. */
const directives = new Map<string, UnmarshalFunc>();

/**
 * Directives Caddy knows that Gatehouse cannot serve, with why and what to do instead; using one is a clear error
 * naming it (rather than "unrecognized directive", which would suggest a typo). A directive may also have a parser:
 * its syntax is then checked before it is refused.
 */
const unsupported = new Map<string, string>();

/** Global option parsers: get a dispenser on the option line (cursor before the name) and the previous value. */
export type GlobalOptionFunc = (d: Dispenser, existing: unknown, warn: (msg: string) => void) => unknown;
const globalOptions = new Map<string, GlobalOptionFunc>();

export function registerDirective(name: string, fn: UnmarshalFunc): void {
  if (directives.has(name)) throw new Error(`directive ${name} registered twice`);
  directives.set(name, fn);
}

/** Registers a directive that yields one handler, behind an optional matcher token (Caddy's RegisterHandlerDirective). */
export function registerHandlerDirective(name: string, fn: UnmarshalHandlerFunc): void {
  registerDirective(name, (h: Helper): ConfigValue[] => {
    const matcherSet = h.extractMatcherSet();
    const handler = fn(h);
    return h.newRoute(matcherSet, handler);
  });
}

export function registerUnsupportedDirective(name: string, reason: string): void {
  unsupported.set(name, reason);
}

export function registerGlobalOption(name: string, fn: GlobalOptionFunc): void {
  globalOptions.set(name, fn);
}

export function directiveParser(name: string): UnmarshalFunc | undefined {
  return directives.get(name);
}

export function unsupportedDirectiveReason(name: string): string | undefined {
  return unsupported.get(name);
}

export function globalOptionParser(name: string): GlobalOptionFunc | undefined {
  return globalOptions.get(name);
}

export function isRegisteredDirective(name: string): boolean {
  return directives.has(name) || unsupported.has(name);
}

export { parseError };
