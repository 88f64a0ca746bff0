import type { Template } from './types.ts';

// Header values built from request data (placeholders) may carry CR, LF or NUL, which Headers.set refuses with a
// TypeError. Go writes a response field with CR and LF turned into spaces (net/http's headerNewlineToSpace) and
// NUL as is; a Worker cannot send NUL, so it is dropped. A request field bound upstream is refused by Go's
// transport instead (the proxy answers 502).

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
