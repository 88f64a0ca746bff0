/** The largest number of uses in any closed window [T − W, T] (an event leaves once now − t > W). */
export function maxInWindow(uses: number[], windowMs: number): number {
  const u = [...uses].sort((a, b) => a - b);
  let best = 0;
  for (let j = 0, i = 0; j < u.length; j++) {
    while (u[j] - u[i] > windowMs) i++;
    best = Math.max(best, j - i + 1);
  }
  return best;
}
