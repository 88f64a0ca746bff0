import type { Dispenser } from '../../caddyfile/dispenser.ts';
import { atoi, nextArg, scalarVal } from './util.ts';

/**
 * Log encoders for `log { format … }` (Caddy's caddy.logging.encoders.*): console and json (key options), filter
 * (per-field filters around a wrapped encoder) and append (extra fields). Each parser gets a dispenser over the
 * `<format> …` segment, positioned before the format name.
 */

const ENCODER_KEYS = [
  'message_key',
  'level_key',
  'time_key',
  'name_key',
  'caller_key',
  'stacktrace_key',
  'line_ending',
  'time_format',
  'duration_format',
  'level_format',
];

function noArgs(d: Dispenser): void {
  if (nextArg(d)) throw d.argErr();
}

function oneArg(d: Dispenser): string {
  const a = d.remainingArgs();
  if (a.length !== 1) throw d.argErr();
  return a[0];
}

/** console/json: `{ time_local; <key option> <value> … }`. */
function parseKeyedEncoder(d: Dispenser, format: string): Record<string, unknown> {
  d.next(); // encoder name
  noArgs(d);
  const e: Record<string, unknown> = { format };
  for (const n = d.nesting(); d.nextBlock(n); ) {
    const sub = d.val();
    if (sub === 'time_local') {
      e.time_local = true;
      noArgs(d);
      continue;
    }
    const arg = oneArg(d);
    if (!ENCODER_KEYS.includes(sub)) throw d.err(`unrecognized subdirective ${sub}`);
    // the *_key and line_ending options are pointers in Caddy, so even an empty value is printed
    if (sub.endsWith('_key') || sub === 'line_ending' || arg !== '') e[sub] = arg;
  }
  return e;
}

type Action = Record<string, string>;

/** query/cookie/set_cookie filters: `{ replace <name> <value>; hash <name>; delete <name> }`. */
function parseActions(d: Dispenser, nameKey: 'parameter' | 'name'): Action[] {
  const actions: Action[] = [];
  for (const n = d.nesting(); d.nextBlock(n); ) {
    const type = d.val();
    if (type !== 'replace' && type !== 'hash' && type !== 'delete') throw d.err(`unrecognized subdirective ${type}`);
    if (!nextArg(d)) throw d.argErr();
    const a: Action = { type, [nameKey]: d.val() };
    if (type === 'replace') {
      if (!nextArg(d)) throw d.argErr();
      if (d.val()) a.value = d.val();
    }
    actions.push(a);
  }
  return actions;
}

function ipMaskValue(d: Dispenser, s: string): number {
  const v = atoi(s);
  if (v === undefined) throw d.err(`error parsing ${s}: strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`);
  return v;
}

/** One field filter (`delete`, `hash`, `replace`, `rename`, `ip_mask`, `query`, `cookie`, `set_cookie`, `regexp`). */
function parseFilter(d: Dispenser, name: string): Record<string, unknown> {
  d.next(); // filter name
  const f: Record<string, unknown> = { filter: name };
  switch (name) {
    case 'delete':
    case 'hash':
      return f;
    case 'replace':
    case 'rename':
      if (nextArg(d) && d.val()) f[name === 'replace' ? 'value' : 'name'] = d.val();
      return f;
    case 'regexp':
      if (nextArg(d) && d.val()) f.regexp = d.val();
      if (nextArg(d) && d.val()) f.value = d.val();
      return f;
    case 'ip_mask': {
      const args = d.remainingArgs();
      if (args.length > 2) throw d.err('too many arguments');
      if (args[0] !== undefined) f.ipv4_cidr = ipMaskValue(d, args[0]);
      if (args[1] !== undefined) f.ipv6_cidr = ipMaskValue(d, args[1]);
      for (const n = d.nesting(); d.nextBlock(n); ) {
        const sub = d.val();
        if (sub !== 'ipv4' && sub !== 'ipv6') throw d.err(`unrecognized subdirective ${sub}`);
        if (!nextArg(d)) throw d.argErr();
        f[`${sub}_cidr`] = ipMaskValue(d, d.val());
      }
      if (f.ipv4_cidr === 0) delete f.ipv4_cidr;
      if (f.ipv6_cidr === 0) delete f.ipv6_cidr;
      return f;
    }
    case 'query':
      f.actions = parseActions(d, 'parameter');
      return f;
    case 'cookie':
    case 'set_cookie':
      f.actions = parseActions(d, 'name');
      return f;
    default:
      throw d.err(
        `getting module named 'caddy.logging.encoders.filter.${name}': module not registered: caddy.logging.encoders.filter.${name}`,
      );
  }
}

/** `filter { wrap <encoder> …; fields { <field> <filter> … }; <field> <filter> … }`. */
function parseFilterEncoder(d: Dispenser): Record<string, unknown> {
  d.next(); // encoder name
  const fields: Record<string, Record<string, unknown>> = {};
  // several regexp filters on one field become one multi_regexp filter
  const regexps = new Map<string, Record<string, unknown>[]>();
  let wrap: Record<string, unknown> | undefined;

  const field = (): void => {
    const name = d.val();
    if (!nextArg(d)) throw d.argErr();
    const filterName = d.val();
    const filter = parseFilter(d.newFromNextSegment(), filterName);
    if (filterName === 'regexp') {
      regexps.set(name, [...(regexps.get(name) ?? []), filter]);
      return;
    }
    if (regexps.has(name)) throw d.err(`cannot mix regexp filters with other filter types for field ${name}`);
    if (fields[name]) {
      throw d.err(`field ${name} already has a filter; multiple non-regexp filters per field are not supported`);
    }
    fields[name] = filter;
  };

  for (const n = d.nesting(); d.nextBlock(n); ) {
    switch (d.val()) {
      case 'wrap':
        if (!nextArg(d)) throw d.argErr();
        wrap = parseLogEncoder(d.newFromNextSegment(), d.val());
        break;
      case 'fields':
        for (const fn = d.nesting(); d.nextBlock(fn); ) field();
        break;
      default:
        field();
    }
  }
  for (const [name, list] of regexps) {
    if (list.length === 1) {
      fields[name] = list[0];
      continue;
    }
    const operations = list.map((r) => {
      if (!r.regexp) throw d.err(`adding regexp operation for field ${name}: regexp pattern cannot be empty`);
      const op: Record<string, unknown> = { regexp: r.regexp };
      if (r.value) op.value = r.value;
      return op;
    });
    fields[name] = { filter: 'multi_regexp', operations };
  }
  const out: Record<string, unknown> = { format: 'filter' };
  if (wrap) out.wrap = wrap;
  if (Object.keys(fields).length) out.fields = fields;
  return out;
}

/** `append { wrap <encoder> …; fields { <name> <value> … }; <name> <value> … }`; values typed like `vars`. */
function parseAppendEncoder(d: Dispenser): Record<string, unknown> {
  d.next(); // encoder name
  const fields: Record<string, unknown> = {};
  let wrap: Record<string, unknown> | undefined;
  const field = (): void => {
    const name = d.val();
    if (!nextArg(d)) throw d.argErr();
    fields[name] = scalarVal(d.val(), d.quoted());
    if (nextArg(d)) throw d.argErr();
  };
  for (const n = d.nesting(); d.nextBlock(n); ) {
    switch (d.val()) {
      case 'wrap':
        if (!nextArg(d)) throw d.argErr();
        wrap = parseLogEncoder(d.newFromNextSegment(), d.val());
        break;
      case 'fields':
        for (const fn = d.nesting(); d.nextBlock(fn); ) field();
        break;
      default:
        field();
    }
  }
  const out: Record<string, unknown> = { format: 'append' };
  if (wrap) out.wrap = wrap;
  if (Object.keys(fields).length) out.fields = fields;
  return out;
}

/** `journald { wrap <encoder> … }`: the wrapped encoder's output with journald priority prefixes. */
function parseJournaldEncoder(d: Dispenser): Record<string, unknown> {
  d.next(); // encoder name
  noArgs(d);
  const out: Record<string, unknown> = { format: 'journald' };
  for (const n = d.nesting(); d.nextBlock(n); ) {
    if (d.val() !== 'wrap') throw d.err(`unrecognized subdirective ${d.val()}`);
    if (!nextArg(d)) throw d.argErr();
    out.wrap = parseLogEncoder(d.newFromNextSegment(), d.val());
  }
  return out;
}

/** The encoder JSON for `format <name> …`; `d` is positioned before the name. */
export function parseLogEncoder(d: Dispenser, format: string): Record<string, unknown> {
  switch (format) {
    case 'console':
    case 'json':
      return parseKeyedEncoder(d, format);
    case 'filter':
      return parseFilterEncoder(d);
    case 'append':
      return parseAppendEncoder(d);
    case 'journald':
      return parseJournaldEncoder(d);
    default:
      d.next();
      throw d.err(
        `getting module named 'caddy.logging.encoders.${format}': module not registered: caddy.logging.encoders.${format}`,
      );
  }
}
