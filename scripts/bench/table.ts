/** The side-by-side tables the benches print: ours, a baseline, and the ratio (above 1 means ours is better). */

export interface Row {
  what: string;
  ours: number;
  baseline: number;
  unit: string;
  higherIsBetter: boolean;
}

export function printTable(title: string, baselineName: string, rows: Row[], oursName = 'ours'): void {
  console.log(`\n${title}`);
  const header = ['measure', oursName, baselineName, 'ratio'];
  const body = rows.map((r) => [
    r.what,
    `${fmt(r.ours)} ${r.unit}`,
    `${fmt(r.baseline)} ${r.unit}`,
    r.baseline > 0 ? (r.higherIsBetter ? r.ours / r.baseline : r.baseline / r.ours).toFixed(2) : 'n/a',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const b of body) console.log(line(b));
}

function fmt(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2);
}
