import type { RequestContext } from '../types.ts';
import { type MatcherCompileContext, matcherError } from './types.ts';

// Caddy's MatchRegexp: a Go RE2 pattern plus a name; on a match every group is stored as a placeholder
// (`http.regexp.<name>.<i>`, `http.regexp.<i>`, and for named groups `.<groupname>` too), for the rest of the request.

export interface RegexpJSON {
  name?: string;
  pattern?: string;
}

/** Translates the RE2 syntax JS lacks: `(?P<n>` groups and leading inline flags such as `(?i)` / `(?s)`. */
export function goRegExp(pattern: string): RegExp {
  let flags = '';
  let src = pattern;
  const lead = /^\(\?([imsU]+)\)/.exec(src);
  if (lead) {
    for (const f of lead[1]) if (f !== 'U' && !flags.includes(f)) flags += f;
    src = src.slice(lead[0].length);
  }
  src = src
    .replace(/\(\?P</g, '(?<')
    .replace(/\\z/g, '$')
    .replace(/\\A/g, '^');
  return new RegExp(src, flags);
}

export class CompiledRegexp {
  readonly re: RegExp;
  readonly name: string;

  constructor(json: unknown, c: MatcherCompileContext) {
    const j = (json ?? {}) as RegexpJSON;
    if (typeof j.pattern !== 'string') throw matcherError(c, 'regexp matcher needs a "pattern" string');
    this.name = typeof j.name === 'string' ? j.name : '';
    if (this.name && !/^\w+$/.test(this.name))
      throw matcherError(c, `invalid regexp name (must contain only word characters): ${this.name}`);
    try {
      this.re = goRegExp(j.pattern);
    } catch (e) {
      throw matcherError(c, `compiling matcher regexp ${j.pattern}: ${(e as Error).message}`);
    }
  }

  /** Tests `input`; on a match, records the captures in ctx.vars. */
  match(ctx: RequestContext, input: string): boolean {
    const m = this.re.exec(input);
    if (!m) return false;
    const prefix = this.name ? `http.regexp.${this.name}.` : '';
    for (let i = 0; i < m.length; i++) {
      const v = m[i] ?? '';
      if (prefix) ctx.vars.set(prefix + i, v);
      ctx.vars.set(`http.regexp.${i}`, v);
    }
    if (m.groups) {
      for (const [g, v] of Object.entries(m.groups)) {
        if (prefix) ctx.vars.set(prefix + g, v ?? '');
        ctx.vars.set(`http.regexp.${g}`, v ?? '');
      }
    }
    return true;
  }
}
