/**
 * A float as Go's strconv.FormatFloat(v, 'g', -1, 64) writes it, which is how Caddy's Prometheus client spells a
 * bucket's `le`: the shortest digits, in exponent form from 1e+06 up and below 1e-04. Prometheus 2.x compares
 * `le` as text, so `1048576` and `1.048576e+06` would be two different series beside Caddy's.
 */
export function formatGoFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v < 0 ? '-Inf' : '+Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const [mantissa, exponent] = v.toExponential().split('e');
  const exp = Number(exponent);
  if (exp < -4 || exp >= 6) {
    const magnitude = String(Math.abs(exp)).padStart(2, '0');
    return `${mantissa}e${exp < 0 ? '-' : '+'}${magnitude}`;
  }
  return String(v);
}
