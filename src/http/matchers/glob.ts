// Go's path.Clean and path.Match, which Caddy's path matcher builds on.

/** Go's path.Clean (lexical: resolves `.`/`..`, merges slashes, drops the trailing slash). */
export function goPathClean(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(seg);
  }
  const joined = out.join('/');
  if (rooted) return `/${joined}`;
  return joined || '.';
}

// Every path matcher of a route list cleans the same request path: remember the last result for each mode.
const lastClean = { merged: { in: '', out: '/' }, kept: { in: '', out: '/' } };

/** Caddy's CleanPath: clean but keep a trailing slash; with collapseSlashes false, `//` survives. */
export function cleanPath(p: string, collapseSlashes: boolean): string {
  const memo = collapseSlashes ? lastClean.merged : lastClean.kept;
  if (memo.in !== p) {
    memo.out = cleanPathUncached(p, collapseSlashes);
    memo.in = p;
  }
  return memo.out;
}

/** A rooted path without `//` or a `.`/`..` segment: one that Clean gives back unchanged, in either mode. */
function isClean(p: string): boolean {
  if (p.charCodeAt(0) !== 47 || p.includes('//')) return false;
  for (let i = p.indexOf('/.'); i >= 0; i = p.indexOf('/.', i + 1)) {
    const end = p.charCodeAt(i + 2) === 46 ? i + 3 : i + 2;
    if (end === p.length || p.charCodeAt(end) === 47) return false;
  }
  return true;
}

function cleanPathUncached(p: string, collapseSlashes: boolean): string {
  // Most request paths are clean already: no split and join for them.
  if (isClean(p)) return p;
  const clean = (s: string): string => {
    const c = goPathClean(s);
    return c !== '/' && s.endsWith('/') ? `${c}/` : c;
  };
  if (collapseSlashes) return clean(p);
  // Protect each repeated slash with a marker segment character so Clean does not merge it, then remove the marker.
  const MARK = '\u00ff';
  let marked = '';
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '/' && i > 0 && p[i - 1] === '/') marked += MARK;
    marked += p[i];
  }
  return clean(marked).split(MARK).join('');
}

const reCache = new Map<string, RegExp | null>();

/** Go's path.Match glob → RegExp (null for a malformed pattern, which never matches). */
function globToRegExp(pattern: string): RegExp | null {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\') {
      if (++i >= pattern.length) return null;
      re += escapeRe(pattern[i]);
    } else if (c === '[') {
      let j = i + 1;
      let cls = '[';
      if (pattern[j] === '^') {
        cls += '^';
        j++;
      }
      let first = true;
      for (; j < pattern.length && (pattern[j] !== ']' || first); j++) {
        first = false;
        let ch = pattern[j];
        if (ch === '\\') {
          if (++j >= pattern.length) return null;
          ch = pattern[j];
        }
        cls += ch === ']' || ch === '\\' || ch === '^' || ch === '[' ? `\\${ch}` : ch;
      }
      if (j >= pattern.length || cls === '[' || cls === '[^') return null;
      re += cls.startsWith('[^') ? `${cls}/]` : `${cls}]`;
      i = j;
    } else re += escapeRe(c);
  }
  try {
    return new RegExp(`${re}$`, 's');
  } catch {
    return null;
  }
}

export function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** Go's path.Match(pattern, name). */
export function goPathMatch(pattern: string, name: string): boolean {
  let re = reCache.get(pattern);
  if (re === undefined) {
    re = globToRegExp(pattern);
    if (reCache.size < 5000) reCache.set(pattern, re);
  }
  return re === null ? false : re.test(name);
}
