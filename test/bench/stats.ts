/** The median of `samples` (the upper one of an even count); `samples` is left as it was. */
export function median(samples: readonly number[]): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** p50 and p99 in µs of `samples` (ms); sorts `samples` in place. */
export function percentiles(samples: number[]): { p50: number; p99: number } {
  samples.sort((a, b) => a - b);
  return {
    p50: samples[Math.floor(samples.length / 2)] * 1000,
    p99: samples[Math.floor(samples.length * 0.99)] * 1000,
  };
}
