// The actions list shared by the `query` and `cookie` filters: replace, hash or delete a named parameter/cookie.

export interface FilterAction {
  type: 'replace' | 'hash' | 'delete';
  name: string;
  value: string;
}

/** Reads `actions` from a filter's JSON; `nameKey` is `parameter` (query) or `name` (cookie). */
export function parseActions(json: Record<string, unknown>, nameKey: 'parameter' | 'name'): FilterAction[] {
  const list = Array.isArray(json.actions) ? json.actions : [];
  return list.map((raw, i) => {
    const a = (raw ?? {}) as Record<string, unknown>;
    if (a.type !== 'replace' && a.type !== 'hash' && a.type !== 'delete') {
      throw new Error(`actions[${i}]: invalid action type ${JSON.stringify(a.type)}`);
    }
    const name = typeof a[nameKey] === 'string' ? (a[nameKey] as string) : '';
    return { type: a.type, name, value: typeof a.value === 'string' ? a.value : '' };
  });
}
