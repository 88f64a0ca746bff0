/**
 * A line diff printed as `caddy fmt --diff` prints it: every line, unchanged ones with two spaces of context, removed
 * with "- ", added with "+ ". The lines are aligned as Caddy's diff aligns them (common head and tail, then a longest
 * common subsequence that removes, then adds, as early as it can), so the output is Caddy's line for line.
 */

/** Past this many cells (changed lines before × after) the table would be too big: the diff then removes all and adds all. */
const MAX_CELLS = 4_000_000;

export function lineDiff(before: string[], after: string[]): string {
  let head = 0;
  while (head < before.length && head < after.length && before[head] === after[head]) head++;
  let tail = 0;
  while (
    before.length - 1 - tail > head &&
    after.length - 1 - tail > head &&
    before[before.length - 1 - tail] === after[after.length - 1 - tail]
  )
    tail++;
  let out = '';
  for (const line of before.slice(0, head)) out += `  ${line}\n`;
  out += middle(before.slice(head, before.length - tail), after.slice(head, after.length - tail));
  for (const line of before.slice(before.length - tail)) out += `  ${line}\n`;
  return out;
}

function middle(a: string[], b: string[]): string {
  const n = a.length;
  const m = b.length;
  if ((n + 1) * (m + 1) > MAX_CELLS) return a.map((l) => `- ${l}\n`).join('') + b.map((l) => `+ ${l}\n`).join('');
  // lcs[i * (m + 1) + j]: the longest common subsequence of a from line i on and b from line j on.
  const width = m + 1;
  const lcs = new Int32Array((n + 1) * width);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * width + j] =
        a[i] === b[j] ? lcs[(i + 1) * width + j + 1] + 1 : Math.max(lcs[(i + 1) * width + j], lcs[i * width + j + 1]);
    }
  }
  // Caddy's order: a removal that keeps the longest common subsequence first, then such an addition, else the
  // common line.
  let out = '';
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    const here = lcs[i * width + j];
    if (i < n && lcs[(i + 1) * width + j] === here) out += `- ${a[i++]}\n`;
    else if (j < m && lcs[i * width + j + 1] === here) out += `+ ${b[j++]}\n`;
    else {
      out += `  ${a[i++]}\n`;
      j++;
    }
  }
  return out;
}
