/**
 * The Host grammar a request must satisfy before it is routed: `host[:port]` where host is a reg-name, an IPv4
 * address or a bracketed IPv6 address, and port is decimal digits up to 65535 (RFC 3986 authority, without
 * userinfo). The runtime builds `request.url` from this value, so anything that could end the authority early
 * (`/`, `\`, `?`, `#`, `@`, whitespace) would move the path the routes see; Caddy answers 400 for those.
 *
 * Stricter than RFC 3986 where the URL parser would fail or reinterpret: no percent-encoding (the URL parser
 * decodes it, and `%2F` is a slash), no IPvFuture or IPv6 zone, no empty host, no non-ASCII. One pass, no regex
 * backtracking, no Node imports (the Worker runs the same check).
 */
export function isValidHost(value: string): boolean {
  const n = value.length;
  if (n === 0) return false;
  let end: number; // end of the host part
  if (value.charCodeAt(0) === 0x5b /* [ */) {
    const close = value.indexOf(']');
    if (close < 0 || !isIPv6(value, 1, close)) return false;
    end = close + 1;
    if (end === n) return true;
    if (value.charCodeAt(end) !== 0x3a /* : */) return false;
  } else {
    end = 0;
    while (end < n && isRegNameByte(value.charCodeAt(end))) end++;
    if (end === 0) return false;
    if (end === n) return true;
    if (value.charCodeAt(end) !== 0x3a) return false;
  }
  return isPort(value, end + 1, n);
}

/** unreserved / sub-delims (RFC 3986 reg-name without pct-encoded). */
function isRegNameByte(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) || // a-z
    (c >= 0x41 && c <= 0x5a) || // A-Z
    (c >= 0x30 && c <= 0x39) || // 0-9
    c === 0x2d ||
    c === 0x2e ||
    c === 0x5f ||
    c === 0x7e || // - . _ ~
    c === 0x21 ||
    c === 0x24 ||
    (c >= 0x26 && c <= 0x2c) ||
    c === 0x3b ||
    c === 0x3d // ! $ & ' ( ) * + , ; =
  );
}

/** Empty (as RFC 3986 allows) or digits with a value of at most 65535; leading zeros are allowed, as in Caddy. */
function isPort(s: string, from: number, to: number): boolean {
  let value = 0;
  for (let i = from; i < to; i++) {
    const d = s.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return false;
    value = value * 10 + d;
    if (value > 65535) return false;
  }
  return true;
}

/** RFC 4291 text form between `from` and `to`: up to 8 groups of 1-4 hex digits, one `::`, an optional IPv4 tail. */
function isIPv6(s: string, from: number, to: number): boolean {
  let groups = 0;
  let compressed = false;
  let i = from;
  if (s.startsWith('::', i)) {
    compressed = true;
    i += 2;
    if (i === to) return true;
  } else if (s.charCodeAt(i) === 0x3a) {
    return false;
  }
  while (i < to) {
    let j = i;
    while (j < to && j - i < 5 && isHex(s.charCodeAt(j))) j++;
    if (j < to && s.charCodeAt(j) === 0x2e /* . */) {
      // A dotted IPv4 tail takes the place of the last two groups.
      if (!isIPv4(s, i, to)) return false;
      groups += 2;
      i = to;
      break;
    }
    if (j === i || j - i > 4) return false;
    groups++;
    i = j;
    if (i === to) break;
    if (s.charCodeAt(i) !== 0x3a) return false;
    i++;
    if (s.charCodeAt(i) === 0x3a) {
      if (compressed) return false;
      compressed = true;
      i++;
      if (i === to) break;
    } else if (i === to) {
      return false; // a trailing single colon
    }
  }
  return compressed ? groups <= 7 : groups === 8;
}

function isIPv4(s: string, from: number, to: number): boolean {
  let parts = 0;
  let i = from;
  while (i <= to) {
    let j = i;
    let value = 0;
    while (j < to && j - i < 4 && s.charCodeAt(j) >= 0x30 && s.charCodeAt(j) <= 0x39)
      value = value * 10 + s.charCodeAt(j++) - 0x30;
    if (j === i || j - i > 3 || value > 255) return false;
    parts++;
    if (j === to) break;
    if (s.charCodeAt(j) !== 0x2e) return false;
    i = j + 1;
  }
  return parts === 4;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}
