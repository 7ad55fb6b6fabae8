// Reading `kubectl get` the way a person does: by column header. Columns start
// where a header follows two or more spaces (a header such as "USED %" holds one).

/** The cells of the row whose first column is `name`, keyed by header; undefined when absent. */
export function tableRow(output: string, name: string): Record<string, string> | undefined {
  const [header = '', ...rows] = output.trimEnd().split('\n');
  const starts = [0, ...[...header.matchAll(/ {2,}(?=\S)/g)].map((m) => m.index + m[0].length)];
  const cells = (line: string) => starts.map((start, i) => line.slice(start, starts[i + 1]).trim());
  const row = rows.map(cells).find((cellsOfRow) => cellsOfRow[0] === name);
  if (!row) return undefined;
  return Object.fromEntries(cells(header).map((title, i) => [title, row[i] ?? '']));
}
