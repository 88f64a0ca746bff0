// Caddy's filters change a field's string, or each string of a header's value list; any other field (a number,
// an object) keeps its value because Go writes the result to a part of the zap field its type does not print.
//
// Caddy 2.6.2 changes a header list in place, and encodes the `request` object twice (once when the access logger
// is made with the request attached, once for the entry), so a list under `request>` goes through its filter twice:
// `hash` logs the hash of the hash, `regexp` replaces again in its own output. `resp_headers` lists get one pass.

/** How many times Caddy 2.6.2 runs an in-place filter over a string list at this field path. */
export function listPassesAt(path: string): number {
  return path.startsWith('request>') ? 2 : 1;
}

/** The field's value with `change` applied to each string in it (`listPasses` times to a list), or as it was. */
export function mapStrings(value: unknown, change: (s: string) => string, listPasses = 1): unknown {
  if (typeof value === 'string') return change(value);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) {
    return value.map((s: string) => {
      let out = s;
      for (let i = 0; i < listPasses; i++) out = change(out);
      return out;
    });
  }
  return value;
}
