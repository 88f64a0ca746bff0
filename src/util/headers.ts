/**
 * A Headers object from entries, built the cheap way. In workerd, `new Headers(arrayOfPairs)` costs several times
 * more than an empty Headers filled with set() (measured: 8.7 µs vs 1.6 µs for four fields), and append() is
 * slower than set(), so set() is used for a name's first value and append() only for repeats.
 */
export function headersFrom(entries: Iterable<readonly [string, string]>): Headers {
  const h = new Headers();
  const seen = new Set<string>();
  for (const [name, value] of entries) {
    if (seen.has(name)) h.append(name, value);
    else {
      seen.add(name);
      h.set(name, value);
    }
  }
  return h;
}
