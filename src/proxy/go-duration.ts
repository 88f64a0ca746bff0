/** Go's time.Duration.String for a millisecond amount (e.g. 1.5ms, 2.25s, 1m30s), as placeholders print latencies. */
export function goDuration(ms: number): string {
  const ns = Math.round(ms * 1e6);
  if (ns === 0) return '0s';
  const neg = ns < 0;
  const abs = Math.abs(ns);
  let out: string;
  if (abs < 1e3) out = `${abs}ns`;
  else if (abs < 1e6) out = `${trim(abs / 1e3)}µs`;
  else if (abs < 1e9) out = `${trim(abs / 1e6)}ms`;
  else {
    const h = Math.floor(abs / 3600e9);
    const m = Math.floor((abs % 3600e9) / 60e9);
    const s = (abs % 60e9) / 1e9;
    out = `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${trim(s)}s`;
  }
  return neg ? `-${out}` : out;
}

function trim(n: number): string {
  return n.toFixed(9).replace(/\.?0+$/, '');
}
