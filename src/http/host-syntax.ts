// The Host header grammar (RFC 3986 authority without userinfo): reg-name, IPv4 or [IPv6], then an optional port.
// workerd builds request.url from the raw Host field, so a `/`, `\`, `?`, `#` or `@` in it would move the path the
// routes see (`Host: h/api` turns `GET /admin` into `/api/admin`): such a request is refused before any route, as
// Go's server refuses a malformed Host. One pass over the characters, no allocation; dependency-free on purpose.

/** True when `value` is `host[:port]`: a non-empty reg-name, IPv4 or bracketed IPv6, and a port of 0-65535. */
export function isValidHostHeader(value: string): boolean {
  const n = value.length;
  // An empty host would leave `http:///path`, which URL parsing reads as host `path`.
  if (n === 0) return false;
  let i = 0;
  if (value.charCodeAt(0) === 0x5b /* [ */) {
    i = ipv6LiteralEnd(value);
    if (i < 0) return false;
  } else {
    while (i < n) {
      const c = value.charCodeAt(i);
      if (c === 0x3a /* : */) break;
      if (c === 0x25 /* % */) {
        if (i + 2 >= n || !isHex(value.charCodeAt(i + 1)) || !isHex(value.charCodeAt(i + 2))) return false;
        i += 3;
        continue;
      }
      if (!isRegNameChar(c)) return false;
      i++;
    }
    if (i === 0) return false;
  }
  if (i === n) return true;
  if (value.charCodeAt(i) !== 0x3a) return false;
  return isPort(value, i + 1);
}

/** Index just past the `]` of a `[IPv6]` literal at the start of `value`, or -1. */
function ipv6LiteralEnd(value: string): number {
  let colons = 0;
  for (let i = 1; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x5d /* ] */) return colons >= 2 ? i + 1 : -1;
    if (c === 0x3a) colons++;
    else if (!isHex(c) && c !== 0x2e /* . */) return -1;
  }
  return -1;
}

/** An empty port is allowed (RFC 3986 `port = *DIGIT`, and Go accepts `host:`); else decimal up to 65535. */
function isPort(value: string, from: number): boolean {
  if (value.length - from > 5) return false;
  let port = 0;
  for (let i = from; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
    port = port * 10 + (c - 0x30);
  }
  return port <= 65535;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** unreserved (ALPHA DIGIT - . _ ~) and sub-delims (! $ & ' ( ) * + , ; =). */
function isRegNameChar(c: number): boolean {
  if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39)) return true;
  switch (c) {
    case 0x2d: case 0x2e: case 0x5f: case 0x7e:
    case 0x21: case 0x24: case 0x26: case 0x27: case 0x28: case 0x29: case 0x2a: case 0x2b: case 0x2c: case 0x3b: case 0x3d:
      return true;
    default:
      return false;
  }
}
