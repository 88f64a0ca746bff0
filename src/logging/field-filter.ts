/**
 * Field filters of the `filter` log encoder (Caddy's caddy.logging.encoders.filter.*). The encoder walks an entry
 * to the field a `fields` key names (`request>headers>Authorization`) and hands that one field to its filter; a
 * filter returns the field to write, renamed or changed, or undefined to leave it out of the entry.
 */

/** One field of a log entry: its key within its parent object and its JSON value. */
export interface LogField {
  key: string;
  value: unknown;
}

export type FieldFilter = (field: LogField) => LogField | undefined;

/**
 * Builds a filter from its JSON (`{"filter": "<name>", …}`) for the field at `path` (the `fields` key, such as
 * `request>headers>Cookie`); throws an Error whose message says what is wrong.
 */
export type FieldFilterFactory = (json: Record<string, unknown>, path: string) => FieldFilter;

const factories = new Map<string, FieldFilterFactory>();

export function registerFieldFilter(name: string, factory: FieldFilterFactory): void {
  factories.set(name, factory);
}

/** The filter for one `fields` entry (`path` is its key); an unknown filter name is a config error. */
export function compileFieldFilter(json: Record<string, unknown>, path = ''): FieldFilter {
  const name = json.filter;
  const factory = typeof name === 'string' ? factories.get(name) : undefined;
  if (!factory) throw new Error(`unknown log field filter ${JSON.stringify(name)}`);
  return factory(json, path);
}
