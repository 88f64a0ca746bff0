/** One line of the benchmark table: what was measured, the figure, and its context (target, ratio, verdict). */
export type Row = [name: string, value: string, note: string];

export function printTable(title: string, rows: Row[]): void {
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  console.log(`${title}\n`);
  for (const [name, value, note] of rows) console.log(`${name.padEnd(w0)}  ${value.padStart(w1)}  ${note}`);
}
