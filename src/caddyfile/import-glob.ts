/**
 * `import` patterns follow Go's filepath.Match: `*` and `?` match within one path element, `\` escapes the next
 * character, `[…]` is a character class. Caddy refuses a pattern holding both `[` and `]` before globbing, so an
 * unescaped `[` that gets here can never be closed: Go calls that a syntax error, as it does a trailing `\`.
 */

/** Go's filepath.ErrBadPattern text for a malformed pattern, or undefined when the pattern is well formed. */
export function importPatternError(pattern: string): string | undefined {
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '\\') {
      if (i + 1 >= pattern.length) return 'syntax error in pattern';
      i++;
    } else if (ch === '[') {
      return 'syntax error in pattern';
    }
  }
  return undefined;
}

/** Whether filepath.Glob treats the pattern as a pattern rather than a plain path (Go's hasMeta). */
export function hasGlobMeta(pattern: string): boolean {
  return /[*?[\\]/.test(pattern);
}

// Characters RegExp syntax gives a meaning to (escaping any other is an error with the `u` flag).
const REGEXP_SPECIAL = /[.*+?^${}()|[\]\\/]/;

/** A RegExp for one well-formed path element pattern: every character literal except `*`, `?` and `\` escapes. */
export function globNameRegExp(namePattern: string): RegExp {
  let re = '^';
  for (let i = 0; i < namePattern.length; i++) {
    let ch = namePattern[i];
    if (ch === '*') {
      re += '[^/]*';
      continue;
    }
    if (ch === '?') {
      re += '[^/]';
      continue;
    }
    if (ch === '\\' && i + 1 < namePattern.length) ch = namePattern[++i];
    re += REGEXP_SPECIAL.test(ch) ? `\\${ch}` : ch;
  }
  return new RegExp(`${re}$`, 'u');
}
