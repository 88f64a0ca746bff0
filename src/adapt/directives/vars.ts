import type { HandlerJSON } from '../../config/caddy-json.ts';
import type { ConfigValue, Helper } from '../helper.ts';
import { registerDirective, registerHandlerDirective } from '../registry.ts';
import { shorthandFor } from '../shorthands.ts';
import { nextArg, scalarVal } from './util.ts';

/** `vars`, `map` and `root`: handlers that only set variables/placeholders for later handlers. */

/** `vars [<matcher>] [<name> <value>]` or a block of `<name> <value>` lines; unquoted values are typed. */
export function parseVars(h: Helper): HandlerJSON {
  h.next(); // directive name
  const vars: Record<string, unknown> = {};
  const line = (): void => {
    const name = h.val();
    if (!nextArg(h)) throw h.argErr();
    vars[name] = scalarVal(h.val(), h.quoted());
    if (nextArg(h)) throw h.argErr();
  };
  if (nextArg(h)) line();
  for (const n = h.nesting(); h.nextBlock(n); ) line();
  return { handler: 'vars', ...vars };
}

function trimBraces(s: string): string {
  return s.replace(/^[{}]+/, '').replace(/[{}]+$/, '');
}

/** `map [<matcher>] <source> <dest...> { [~]<input> <outputs...>; default <outputs...> }`. */
export function parseMap(h: Helper): HandlerJSON {
  h.next(); // directive name
  if (!nextArg(h)) throw h.argErr();
  const source = h.val();
  const destinations = h.remainingArgs();
  if (destinations.length === 0) throw h.err('missing destination argument(s)');
  for (const dest of destinations) {
    // A destination named like a request value (after shorthand expansion) would shadow it: Caddy rejects it.
    const shorthand = shorthandFor(trimBraces(dest));
    if (shorthand) throw h.err(`destination ${shorthand} conflicts with a Caddyfile placeholder shorthand`);
  }

  let defaults: string[] | undefined;
  const mappings: Record<string, unknown>[] = [];
  for (const n = h.nesting(); h.nextBlock(n); ) {
    if (h.val() === 'default') {
      if (defaults?.length) throw h.err('defaults already defined');
      defaults = h.remainingArgs();
      while (defaults.length < destinations.length) defaults.push('');
      continue;
    }
    const input = h.val();
    const outputs: unknown[] = [];
    while (nextArg(h)) {
      const v = scalarVal(h.val(), h.quoted());
      outputs.push(v === '-' ? null : v); // `-` = no value for that destination
    }
    if (outputs.length > destinations.length) throw h.err('too many outputs');
    while (outputs.length < destinations.length) outputs.push(null);
    const mapping: Record<string, unknown> = {};
    if (input.startsWith('~')) {
      if (input.length > 1) mapping.input_regexp = input.slice(1);
    } else if (input) {
      mapping.input = input;
    }
    mapping.outputs = outputs;
    mappings.push(mapping);
  }

  const out: HandlerJSON = { handler: 'map' };
  if (source) out.source = source;
  out.destinations = destinations;
  if (mappings.length) out.mappings = mappings;
  if (defaults?.length) out.defaults = defaults;
  return out;
}

/** `root [<matcher>] <path>`: sets `{vars.root}`; like rewrite, one argument is always the path. */
export function parseRoot(h: Helper): ConfigValue[] {
  h.next(); // directive name
  const count = h.countRemainingArgs();
  if (count === 0) throw h.err('too few arguments; must have at least a root path');
  if (count > 2) throw h.err('too many arguments; should only be a matcher and a path');
  if (count === 1) {
    if (!nextArg(h)) throw h.argErr();
    return h.newRoute(undefined, { handler: 'vars', root: h.val() });
  }
  h.reset();
  const matcherSet = h.extractMatcherSet();
  h.next(); // directive name again
  if (!nextArg(h)) throw h.argErr();
  return h.newRoute(matcherSet, { handler: 'vars', root: h.val() });
}

registerHandlerDirective('vars', parseVars);
registerHandlerDirective('map', parseMap);
registerDirective('root', parseRoot);
