// Caddy's file_server `hide`: a pattern without `/` hides any path component it matches (glob); one with `/` hides
// that file or directory (prefix at a `/`) or the files its glob matches. File names here are root-joined and
// relative like the patterns the adapter emits (`./Caddyfile` and `Caddyfile` are the same file).

function globRegExp(pattern: string): RegExp {
  const re = pattern
    .replace(/[.+^${}()|\\]/g, '\\$&')
    .replace(/\*/g, '[^/]*')
    .replace(/\?/g, '[^/]');
  return new RegExp(`^${re}$`);
}

function normalize(p: string): string {
  return p.replace(/^(\.?\/)+/, '').replace(/\/+$/, '');
}

export function compileHide(patterns: string[]): ((filename: string) => boolean) | undefined {
  if (patterns.length === 0) return undefined;
  const byName = patterns.filter((p) => !p.includes('/')).map(globRegExp);
  const byPath = patterns
    .filter((p) => p.includes('/'))
    .map((p) => ({ prefix: normalize(p), glob: globRegExp(normalize(p)) }));
  return (filename) => {
    const file = normalize(filename);
    if (byName.length && file.split('/').some((c) => byName.some((g) => g.test(c)))) return true;
    return byPath.some((h) => file === h.prefix || file.startsWith(`${h.prefix}/`) || h.glob.test(file));
  };
}

/** Caddy's root join: the root, then the clean request path (`root` may be relative, `.` or empty). */
export function joinRoot(root: string, cleanPath: string): string {
  const r = root === '' || root === '.' ? '' : root.replace(/\/+$/, '');
  return r + cleanPath;
}
