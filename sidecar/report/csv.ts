// RFC 4180 CSV: CRLF line ends, a field quoted when it holds a comma, quote
// or line break, quotes inside doubled. What spreadsheets and finance tools import.

export type CsvValue = string | number | bigint | null | undefined;

function field(value: CsvValue): string {
  const text = value === null || value === undefined ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(header: readonly string[], rows: readonly CsvValue[][]): string {
  return [header, ...rows].map((row) => `${row.map(field).join(',')}\r\n`).join('');
}
