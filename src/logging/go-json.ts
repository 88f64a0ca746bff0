// Log lines as zap's JSON encoder writes them: keys in insertion order and floats in Go's 'f' format (zap never
// writes exponents, so `0.000012` stays `0.000012`, not `1.2e-5`).

/** A number as Go's strconv.FormatFloat(v, 'f', -1, 64): the shortest round-trip digits, no exponent. */
export function goFloat(v: number): string {
  if (Number.isNaN(v)) return '"NaN"';
  if (!Number.isFinite(v)) return v > 0 ? '"+Inf"' : '"-Inf"';
  const s = String(v);
  const e = s.indexOf('e');
  if (e < 0) return s;
  const negative = s[0] === '-';
  const mantissa = s.slice(negative ? 1 : 0, e);
  const exp = Number(s.slice(e + 1));
  const dot = mantissa.indexOf('.');
  const digits = dot < 0 ? mantissa : mantissa.slice(0, dot) + mantissa.slice(dot + 1);
  const point = (dot < 0 ? mantissa.length : dot) + exp;
  let out: string;
  if (point <= 0) out = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
  else out = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return negative ? `-${out}` : out;
}

/**
 * One JSON value; objects keep their key order, nesting is as deep as the entry (built by Gatehouse, not input).
 * `spaced`: zap's console layout, with a space after each `:` and `,`.
 */
export function goJson(value: unknown, spaced = false): string {
  const comma = spaced ? ', ' : ',';
  const colon = spaced ? ': ' : ':';
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isInteger(value) ? String(value) : goFloat(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return value.toString();
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v) => goJson(v, spaced)).join(comma)}]`;
      let out = '{';
      let first = true;
      for (const [k, v] of Object.entries(value)) {
        if (v === undefined) continue;
        out += `${first ? '' : comma}${JSON.stringify(k)}${colon}${goJson(v, spaced)}`;
        first = false;
      }
      return `${out}}`;
    }
    default:
      return JSON.stringify(String(value));
  }
}
