// The parts of Go's net/url the `query` filter goes through (url.Parse, URL.Query, Values.Encode, URL.String),
// over byte strings: each char of a byte string is one byte (0-255), so %FF and UTF-8 round-trip as in Go.

const HEX = '0123456789ABCDEF';

export type EscapeMode = 'path' | 'query' | 'fragment';

/** Go's shouldEscape for the three modes used here. */
function shouldEscape(c: number, mode: EscapeMode): boolean {
  if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39)) return false;
  const ch = String.fromCharCode(c);
  if ('-_.~'.includes(ch)) return false;
  if ('$&+,/:;=?@'.includes(ch)) {
    if (mode === 'path') return ch === '?';
    return mode === 'query';
  }
  if (mode === 'fragment' && '!()*'.includes(ch)) return false;
  return true;
}

export function urlEscape(s: string, mode: EscapeMode): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (mode === 'query' && c === 0x20) out += '+';
    else if (shouldEscape(c, mode)) out += `%${HEX[c >> 4]}${HEX[c & 15]}`;
    else out += s[i];
  }
  return out;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** Go's unescape: undefined on a `%` without two hex digits; `+` is a space only in query mode. */
export function urlUnescape(s: string, mode: EscapeMode): string | undefined {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25) {
      if (i + 2 >= s.length) return undefined;
      const a = s.charCodeAt(i + 1);
      const b = s.charCodeAt(i + 2);
      if (!isHex(a) || !isHex(b)) return undefined;
      out += String.fromCharCode(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c === 0x2b && mode === 'query') out += ' ';
    else out += s[i];
  }
  return out;
}

/** Go's validEncoded: `s` only holds bytes allowed unescaped in `mode`, or %-escapes. */
function validEncoded(s: string, mode: EscapeMode): boolean {
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if ("!$&'()*+,;=:@[]%".includes(ch)) continue;
    if (shouldEscape(s.charCodeAt(i), mode)) return false;
  }
  return true;
}

/** How Go prints a path or fragment it parsed from `raw`: `raw` itself when it is a valid encoding, else escaped. */
export function reescape(raw: string, mode: 'path' | 'fragment'): string | undefined {
  const decoded = urlUnescape(raw, mode);
  if (decoded === undefined) return undefined;
  return validEncoded(raw, mode) ? raw : urlEscape(decoded, mode);
}

/** Go's url.ParseQuery, keeping the pairs that parse; keys in first-seen order. */
export function parseQuery(raw: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const part of raw.split('&')) {
    if (part === '' || part.includes(';')) continue;
    const eq = part.indexOf('=');
    const k = urlUnescape(eq < 0 ? part : part.slice(0, eq), 'query');
    const v = urlUnescape(eq < 0 ? '' : part.slice(eq + 1), 'query');
    if (k === undefined || v === undefined) continue;
    const list = out.get(k);
    if (list) list.push(v);
    else out.set(k, [v]);
  }
  return out;
}

/** Go's url.Values.Encode: keys sorted bytewise, each pair query-escaped. */
export function encodeQuery(q: Map<string, string[]>): string {
  const parts: string[] = [];
  for (const key of [...q.keys()].sort()) {
    for (const v of q.get(key) ?? []) parts.push(`${urlEscape(key, 'query')}=${urlEscape(v, 'query')}`);
  }
  return parts.join('&');
}

const encoder = new TextEncoder();

/** A text's UTF-8 bytes as a byte string. */
export function toByteString(s: string): string {
  // ASCII is its own byte string; only other text needs encoding
  if (/^[\x00-\x7f]*$/.test(s)) return s;
  let out = '';
  for (const b of encoder.encode(s)) out += String.fromCharCode(b);
  return out;
}
