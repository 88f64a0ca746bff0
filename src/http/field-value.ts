import type { Template } from './types.ts';

// Header values built from request data (placeholders) may carry CR, LF or NUL, which Headers.set refuses with a
// TypeError. Go writes a response field with CR and LF turned into spaces (net/http's headerNewlineToSpace) and
// NUL as is; a Worker cannot send NUL, so it is dropped. A request field bound upstream is refused by Go's
// transport instead (the proxy answers 502). A field name that is not a token is left out of a response by Go.

/** True when `v` holds a character no field value may carry on the wire (CR, LF, NUL). */
export function hasForbiddenFieldChar(v: string): boolean {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c === 0x0d || c === 0x0a || c === 0) return true;
  }
  return false;
}

/** The value as Go writes it into a response: CR and LF become spaces (then trimmed like any value), NUL goes. */
export function responseFieldValue(v: string): string {
  if (!hasForbiddenFieldChar(v)) return v;
  let out = '';
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c === 0) continue;
    out += c === 0x0d || c === 0x0a ? ' ' : v[i];
  }
  return out;
}

/** Go's transport refuses a request field with CR, LF or NUL before sending anything. */
export function upstreamFieldValue(v: string): string {
  if (hasForbiddenFieldChar(v)) throw new TypeError('net/http: invalid header field value');
  return v;
}

/**
 * `template` with its output passed through `clean`, when its source can produce a forbidden character at all
 * (a placeholder, or one written into the config): other values cost nothing extra per request.
 */
export function fieldValueTemplate(src: string, template: Template, clean: (v: string) => string): Template {
  if (!src.includes('{') && !hasForbiddenFieldChar(src)) return template;
  return (ctx) => clean(template(ctx));
}

/** RFC 9110 token: what a field name may be (and what Headers accepts). */
export function isFieldName(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    const alnum = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
    if (!alnum && "!#$%&'*+-.^_`|~".indexOf(name[i]) < 0) return false;
  }
  return true;
}

/** `template`, giving '' for a name that is not a token (Go leaves such a field out of a response). */
export function fieldNameTemplate(src: string, template: Template): Template {
  if (!src.includes('{') && isFieldName(src)) return template;
  return (ctx) => {
    const name = template(ctx);
    return isFieldName(name) ? name : '';
  };
}
