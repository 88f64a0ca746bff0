/** The median of `samples` (the upper one of an even count); `samples` is left as it was. */
export function median(samples: readonly number[]): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
