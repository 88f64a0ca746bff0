import { registerFieldFilter } from '../field-filter.ts';
import { type FilterAction, parseActions } from './actions.ts';
import { encodeQuery, parseQuery, reescape, toByteString } from './go-url.ts';
import { logHash } from './hash.ts';

// `query { replace|hash|delete <parameter> … }` on a request URI, as Caddy 2.6.2: Go parses the URI, drops the
// query pairs it cannot parse, applies every action, and prints the URI again with the query re-encoded (keys
// sorted), whether or not an action matched. A URI Go cannot parse is kept. Caddy 2.6.2's `hash` writes the hash
// of the action's (empty) value, not of the parameter's value; that is kept too, so logs match Caddy's.

function hasControlByte(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

function filterUri(uri: string, actions: FilterAction[]): string {
  const bytes = toByteString(uri);
  if (hasControlByte(bytes)) return uri;
  const hashAt = bytes.indexOf('#');
  const beforeFragment = hashAt < 0 ? bytes : bytes.slice(0, hashAt);
  let fragment = '';
  if (hashAt >= 0) {
    const raw = bytes.slice(hashAt + 1);
    const f = reescape(raw, 'fragment');
    if (f === undefined) return uri;
    if (f !== '') fragment = `#${f}`;
  }
  if (beforeFragment === '*') return `*${fragment}`;

  let rest = beforeFragment;
  let rawQuery = '';
  let forceQuery = false;
  const q = rest.indexOf('?');
  if (q === rest.length - 1) {
    forceQuery = true;
    rest = rest.slice(0, -1);
  } else if (q >= 0) {
    rawQuery = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }

  // Origin-form paths are re-printed as Go does; other shapes (absolute-form, `//authority`) keep their text
  let prefix: string | undefined = rest;
  if (rest.startsWith('/') && (!rest.startsWith('//') || rest.startsWith('///'))) prefix = reescape(rest, 'path');
  if (prefix === undefined) return uri;

  const values = parseQuery(rawQuery);
  for (const a of actions) {
    const list = values.get(a.name);
    if (a.type === 'delete') values.delete(a.name);
    else if (list) list.fill(a.type === 'replace' ? a.value : logHash(a.value));
  }
  const encoded = encodeQuery(values);
  const query = encoded !== '' || forceQuery ? `?${encoded}` : '';
  return `${prefix}${query}${fragment}`;
}

registerFieldFilter('query', (json) => {
  const actions = parseActions(json, 'parameter').map((a) => ({ ...a, name: toByteString(a.name) }));
  return (field) => {
    const v = field.value;
    return typeof v === 'string' ? { key: field.key, value: filterUri(v, actions) } : field;
  };
});
