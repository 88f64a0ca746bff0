/**
 * Whether `s` is one or more ASCII digits: what `/^\d+$/` tests. A loop rather than a regular expression because
 * these checks run while a config compiles, and V8 compiles each regular expression literal
 * the first time it runs, which in a new isolate is part of the cold start.
 */
export function isDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** A port or port range, `N` or `N-M` (each one or more digits); undefined for anything else. */
export function digitRange(s: string): { from: number; to: number } | undefined {
  const dash = s.indexOf('-');
  const from = dash < 0 ? s : s.slice(0, dash);
  const to = dash < 0 ? s : s.slice(dash + 1);
  return isDigits(from) && isDigits(to) ? { from: Number(from), to: Number(to) } : undefined;
}
