import { compileTemplate } from '../placeholders/index.ts';
import { requestPathEscaped, requestPathLower } from '../placeholders/request.ts';
import type { Matcher, RequestContext } from '../types.ts';
import { cleanPath, goPathMatch } from './glob.ts';
import { stringList, type MatcherCompileContext } from './types.ts';

// `path` (Caddy MatchPath): case-insensitive; `*` alone, `*x*` substring, `*x` suffix, `x*` prefix, else a
// path.Match glob (no wildcard = exact). The request path is decoded and cleaned; slashes are not merged when the
// pattern itself has `//`. A `%` in the pattern compares against the escaped path instead (`%2F` means a literal
// escaped slash, `%*` a wildcard over undecoded text).

type PathTest = (decodedLower: string, escaped: string) => boolean;

function count(s: string, ch: string): number {
  let n = 0;
  for (const c of s) if (c === ch) n++;
  return n;
}

/** Compiles one (already lowercased, placeholder-free) pattern. */
export function compilePathPattern(pattern: string): PathTest {
  if (pattern === '*') return () => true;
  const merge = !pattern.includes('//');
  if (pattern.includes('%')) return (_d, escaped) => matchEscaped(cleanPath(escaped, merge), pattern);
  const stars = count(pattern, '*');
  if (stars === 2 && pattern.startsWith('*') && pattern.endsWith('*')) {
    const mid = pattern.slice(1, -1);
    return (d) => cleanPath(d, merge).includes(mid);
  }
  if (stars === 1 && pattern.startsWith('*')) {
    const suffix = pattern.slice(1);
    return (d) => cleanPath(d, merge).endsWith(suffix);
  }
  if (stars === 1 && pattern.endsWith('*')) {
    const prefix = pattern.slice(0, -1);
    return (d) => cleanPath(d, merge).startsWith(prefix);
  }
  return (d) => goPathMatch(pattern, cleanPath(d, merge));
}

function unescapeOr(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

/**
 * Matching with escape sequences in the pattern: walk pattern and escaped path together, keeping `%XX` literally
 * where the pattern has one and decoding elsewhere, then glob-match the pattern (with `%*` as `*`) against that.
 */
function matchEscaped(escapedPath: string, pattern: string): boolean {
  const path = escapedPath.toLowerCase();
  let out = '';
  let ip = 0;
  let ix = 0;
  while (ip < pattern.length && ix < path.length) {
    let ch = path[ix];
    let escCh = '';
    if (ch === '%' && path.length >= ix + 3) {
      escCh = path.slice(ix, ix + 3);
      const dec = unescapeOr(escCh);
      if (dec === null) return false;
      ch = dec;
      ix += 2;
    }
    let normalize = true;
    let star = false;
    const pc = pattern[ip];
    if (pc === '%') {
      if (pattern.length >= ip + 3 && pattern[ip + 1] !== '*') {
        out += escCh;
        ix++;
        ip += 3;
        continue;
      }
      ip++;
      normalize = false;
      star = true;
    } else if (pc === '*') star = true;
    if (star) {
      // Rewind: the wildcard consumes raw text from the current path position.
      if (escCh) ix -= 2;
      const remaining = path.slice(ix);
      let until = remaining.length;
      if (ip < pattern.length - 1) {
        until = remaining.indexOf(pattern[ip + 1]);
        if (until === -1) return false;
      }
      if (until > 0) {
        let next = remaining.slice(0, until);
        if (normalize) {
          const dec = unescapeOr(next);
          if (dec === null) return false;
          next = dec;
        }
        out += next;
        ix += until;
      }
    } else {
      out += ch;
      ix++;
    }
    ip++;
  }
  if (ix < path.length) {
    const rest = path.slice(ix);
    out += unescapeOr(rest) ?? rest;
  }
  return goPathMatch(pattern.split('%*').join('*'), out.toLowerCase());
}

export function compilePath(json: unknown, c: MatcherCompileContext): Matcher {
  const patterns = stringList(json, c, 'path');
  const tests = patterns.map((raw): ((ctx: RequestContext, d: string, e: string) => boolean) => {
    if (!raw.includes('{')) {
      const t = compilePathPattern(raw.toLowerCase());
      return (_ctx, d, e) => t(d, e);
    }
    const tpl = compileTemplate(raw);
    return (ctx, d, e) => compilePathPattern(tpl(ctx).toLowerCase())(d, e);
  });
  return (ctx) => {
    const decoded = requestPathLower(ctx);
    const escaped = requestPathEscaped(ctx);
    for (let i = 0; i < tests.length; i++) if (tests[i](ctx, decoded, escaped)) return true;
    return false;
  };
}
