// Go's textproto.CanonicalMIMEHeaderKey, the form Caddy's header maps, matchers and logs use: `x-foo-bar` becomes
// `X-Foo-Bar`. A name with a byte that is not a token character (space, `{`, non-ASCII …) stays as written, which
// also keeps placeholders intact.

/** Bytes Go accepts in a header field name (RFC 9110 tchar). */
function isTokenChar(c: number): boolean {
  if (c >= 0x30 && c <= 0x39) return true;
  if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) return true;
  return "!#$%&'*+-.^_`|~".includes(String.fromCharCode(c));
}

export function canonicalHeaderKey(name: string): string {
  for (let i = 0; i < name.length; i++) if (!isTokenChar(name.charCodeAt(i))) return name;
  let upper = true;
  let out = '';
  for (const ch of name) {
    out += upper ? ch.toUpperCase() : ch.toLowerCase();
    upper = ch === '-';
  }
  return out;
}
