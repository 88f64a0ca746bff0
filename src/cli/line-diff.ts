/**
 * A line diff printed as `caddy fmt --diff` prints it: every line, unchanged ones with two spaces of context, removed
 * with "- ", added with "+ ", the removals of a changed run before its additions. Myers' algorithm: time and
 * memory grow with the file times the number of changed lines, which formatting keeps small.
 */
export function lineDiff(before: string[], after: string[]): string {
  // As Caddy's diff aligns equal lines (blank ones): the common head and tail first, then the middle back to front.
  let head = 0;
  while (head < before.length && head < after.length && before[head] === after[head]) head++;
  let tail = 0;
  while (tail < before.length - head && tail < after.length - head && before[before.length - 1 - tail] === after[after.length - 1 - tail]) tail++;
  const middle = shortestEdit(before.slice(head, before.length - tail).reverse(), after.slice(head, after.length - tail).reverse()).reverse();
  const same = (line: string): Op => ({ kind: ' ', line });
  const ops = [...before.slice(0, head).map(same), ...middle, ...before.slice(before.length - tail).map(same)];
  let out = '';
  let removed = '';
  let added = '';
  const flush = () => {
    out += removed + added;
    removed = added = '';
  };
  for (const op of ops) {
    if (op.kind === '-') removed += `- ${op.line}\n`;
    else if (op.kind === '+') added += `+ ${op.line}\n`;
    else {
      flush();
      out += `  ${op.line}\n`;
    }
  }
  flush();
  return out;
}

type Op = { kind: ' ' | '-' | '+'; line: string };

function shortestEdit(a: string[], b: string[]): Op[] {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const offset = max + 1;
  let v: Int32Array = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  outer: for (let d = 0; d <= max; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1]) ? v[offset + k + 1] : v[offset + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) break outer;
    }
  }
  // Walk the trace back from the end, collecting the edit in reverse.
  const ops: Op[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d >= 0; d--) {
    v = trace[d];
    const k = x - y;
    const prevK = k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1]) ? k + 1 : k - 1;
    const prevX = d === 0 ? 0 : v[offset + prevK];
    const prevY = d === 0 ? 0 : prevX - prevK;
    while (x > prevX && y > prevY) ops.push({ kind: ' ', line: a[--x] }), y--;
    if (d === 0) break;
    if (x === prevX) ops.push({ kind: '+', line: b[--y] });
    else ops.push({ kind: '-', line: a[--x] });
  }
  return ops.reverse();
}
