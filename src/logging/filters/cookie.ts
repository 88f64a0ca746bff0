import { registerFieldFilter } from '../field-filter.ts';
import { type FilterAction, parseActions } from './actions.ts';
import { logHash } from './hash.ts';

// `cookie { replace|hash|delete <name> … }` on a Cookie header list, as Caddy 2.6.2 with Go's net/http: the
// lines are parsed into cookies (invalid names or values dropped, quotes removed), the first action naming a
// cookie applies, and the result is written back as one `a=1; b=2` line (none when every cookie is deleted).
// A field that is not a header list is kept.

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function isCookieValueChar(c: number): boolean {
  return c >= 0x20 && c < 0x7f && c !== 0x22 && c !== 0x3b && c !== 0x5c;
}

/** Go's TrimString: ASCII space, tab, CR and LF at both ends. */
function trimAscii(s: string): string {
  return s.replace(/^[ \t\r\n]+/, '').replace(/[ \t\r\n]+$/, '');
}

function parseValue(raw: string): string | undefined {
  let v = raw;
  if (v.length > 1 && v[0] === '"' && v[v.length - 1] === '"') v = v.slice(1, -1);
  for (let i = 0; i < v.length; i++) if (!isCookieValueChar(v.charCodeAt(i))) return undefined;
  return v;
}

/** Go's sanitizeCookieValue: invalid bytes dropped, quoted when it starts or ends with a space or comma. */
function sanitizeValue(v: string): string {
  let out = '';
  for (let i = 0; i < v.length; i++) if (isCookieValueChar(v.charCodeAt(i))) out += v[i];
  if (out.length > 0 && /^[ ,]|[ ,]$/.test(out)) return `"${out}"`;
  return out;
}

function filterCookies(lines: string[], actions: FilterAction[]): string[] {
  const pairs: string[] = [];
  for (const line of lines) {
    for (const rawPart of trimAscii(line).split(';')) {
      const part = trimAscii(rawPart);
      if (part === '') continue;
      const eq = part.indexOf('=');
      const name = eq < 0 ? part : part.slice(0, eq);
      if (!TOKEN.test(name)) continue;
      let value = parseValue(eq < 0 ? '' : part.slice(eq + 1));
      if (value === undefined) continue;
      const action = actions.find((a) => a.name === name);
      if (action?.type === 'delete') continue;
      if (action?.type === 'replace') value = action.value;
      else if (action?.type === 'hash') value = logHash(value);
      pairs.push(`${name.replace(/[\r\n]/g, '-')}=${sanitizeValue(value)}`);
    }
  }
  return pairs.length ? [pairs.join('; ')] : [];
}

registerFieldFilter('cookie', (json) => {
  const actions = parseActions(json, 'name');
  return (field) => {
    const v = field.value;
    if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) return field;
    return { key: field.key, value: filterCookies(v, actions) };
  };
});
