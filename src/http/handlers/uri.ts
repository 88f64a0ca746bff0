// URL helpers in Go's terms for the rewrite handler: Go separates a decoded Path from its escaped form and encodes
// queries with url.QueryEscape and sorted keys; JavaScript's URL keeps only the escaped form.

/** Go's url.QueryEscape: everything but [A-Za-z0-9-_.~] is escaped, space becomes '+'. */
export function queryEscape(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

function queryUnescape(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

/** Go's url.ParseQuery (pairs with a ';' are dropped as Go does). Keys keep first-seen order. */
export function parseQuery(raw: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const part of raw.split('&')) {
    if (part === '' || part.includes(';')) continue;
    const eq = part.indexOf('=');
    const key = queryUnescape(eq < 0 ? part : part.slice(0, eq));
    const val = eq < 0 ? '' : queryUnescape(part.slice(eq + 1));
    const list = out.get(key);
    if (list) list.push(val);
    else out.set(key, [val]);
  }
  return out;
}

/** Go's url.Values.Encode: keys sorted, each pair query-escaped. */
export function encodeQuery(q: Map<string, string[]>): string {
  const parts: string[] = [];
  for (const key of [...q.keys()].sort()) {
    for (const v of q.get(key) ?? []) parts.push(`${queryEscape(key)}=${queryEscape(v)}`);
  }
  return parts.join('&');
}

/** Caddy's CleanPath: resolve dot segments (URL already did), merge repeated slashes unless asked not to. */
export function cleanPath(p: string, mergeSlashes: boolean): string {
  return mergeSlashes ? p.replace(/\/{2,}/g, '/') : p;
}

/** Strips `prefix` from an escaped path: case-insensitive, comparing %xx escapes decoded unless the prefix has '%'. */
export function trimPathPrefix(escapedPath: string, prefix: string): string {
  let i = 0;
  let j = 0;
  while (i < escapedPath.length && j < prefix.length) {
    let ch = escapedPath[i];
    const want = prefix[j];
    if (ch === '%' && want !== '%' && escapedPath.length >= i + 3) {
      try {
        ch = decodeURIComponent(escapedPath.slice(i, i + 3));
      } catch {
        return escapedPath;
      }
      i += 2;
    }
    if (ch.toLowerCase() !== want.toLowerCase()) return escapedPath;
    i++;
    j++;
  }
  return j >= prefix.length ? escapedPath.slice(i) : escapedPath;
}

const reverse = (s: string) => [...s].reverse().join('');

export function trimPathSuffix(escapedPath: string, suffix: string): string {
  return reverse(trimPathPrefix(reverse(escapedPath), reverse(suffix)));
}

/** Go's url.PathUnescape, leaving the input as is when it is malformed. */
export function pathUnescape(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Go's strings.Replace with a limit (n < 0: all). */
export function replaceN(s: string, find: string, repl: string, n: number): string {
  if (find === '' || n === 0) return s;
  let out = '';
  let from = 0;
  let count = 0;
  for (;;) {
    const at = s.indexOf(find, from);
    if (at < 0 || (n > 0 && count >= n)) break;
    out += s.slice(from, at) + repl;
    from = at + find.length;
    count++;
  }
  return out + s.slice(from);
}

/** Pieces of a placeholder string: literal text (escapes resolved) and `{name}` placeholders. */
export type TemplatePiece = { text: string } | { placeholder: string };

export function splitPlaceholders(s: string): TemplatePiece[] {
  const out: TemplatePiece[] = [];
  let lit = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && (s[i + 1] === '{' || s[i + 1] === '}')) {
      lit += s[++i];
      continue;
    }
    if (c === '{') {
      const end = s.indexOf('}', i + 1);
      if (end > i + 1) {
        if (lit) out.push({ text: lit });
        lit = '';
        out.push({ placeholder: s.slice(i + 1, end) });
        i = end;
        continue;
      }
    }
    lit += c;
  }
  if (lit) out.push({ text: lit });
  return out;
}
