/**
 * go-humanize's ParseBytes, which Caddy uses for sizes: a number (commas allowed) and an optional
 * unit, case-insensitive, with optional space. `KB`/`K` are decimal (1000), `KiB`/`Ki` binary (1024).
 */
const UNITS: Record<string, number> = { '': 1, b: 1 };
for (const [i, p] of ['k', 'm', 'g', 't', 'p', 'e'].entries()) {
  const dec = 1000 ** (i + 1);
  const bin = 1024 ** (i + 1);
  UNITS[p] = dec;
  UNITS[`${p}b`] = dec;
  UNITS[`${p}i`] = bin;
  UNITS[`${p}ib`] = bin;
}

/** Bytes for a size text, or throws an Error with go-humanize's message (callers prefix it). */
export function parseBytes(s: string): number {
  let end = 0;
  while (end < s.length && /[0-9.,]/.test(s[end])) end++;
  const num = s.slice(0, end).replace(/,/g, '');
  if (!/^([0-9]+\.?[0-9]*|\.[0-9]+)$/.test(num)) {
    throw new Error(`strconv.ParseFloat: parsing ${JSON.stringify(num)}: invalid syntax`);
  }
  const unit = s.slice(end).trim().toLowerCase();
  const mult = UNITS[unit];
  if (mult === undefined) throw new Error(`unhandled size name: ${unit}`);
  const n = Number(num) * mult;
  if (n >= 2 ** 64) throw new Error(`too large: ${s}`);
  return Math.floor(n);
}
