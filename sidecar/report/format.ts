// The chargeback view as text: an aligned table for people, JSON for tools,
// CSV for finance. Amounts are exact (all 12 decimals of pico-USD) in JSON
// and CSV, rounded for the table only.
import { formatUsd } from '../../core/money.js';
import { toCsv } from './csv.js';
import type { ReportRow } from './rows.js';

const EXACT_DECIMALS = 12;
const TABLE_DECIMALS = 6;

/** DateTime as ISO 8601 in UTC to the second ("2026-12-01T00:00:00Z"). */
export function isoSeconds(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/** The fields of a row in JSON, and the CSV columns in this order. */
export const CSV_HEADER = [
  'team',
  'period',
  'period_start',
  'period_end',
  'model',
  'job',
  'cost_usd',
  'requests',
  'estimated_requests',
  'unpriced_requests',
  'input_tokens',
  'cached_input_tokens',
  'cache_write_tokens',
  'output_tokens',
  'reasoning_tokens',
] as const;

export type FlatRow = Record<(typeof CSV_HEADER)[number], string | number | null>;

export function flatRow(row: ReportRow): FlatRow {
  const { usage } = row;
  return {
    team: row.team,
    period: row.period.id,
    period_start: isoSeconds(row.period.start),
    period_end: isoSeconds(row.period.end),
    model: row.model ?? null,
    job: row.job ?? null,
    cost_usd: formatUsd(usage.cost, EXACT_DECIMALS),
    requests: usage.requests,
    estimated_requests: usage.estimatedRequests,
    unpriced_requests: usage.unpricedRequests,
    input_tokens: usage.tokens.input,
    cached_input_tokens: usage.tokens.cached_input,
    cache_write_tokens: usage.tokens.cache_write,
    output_tokens: usage.tokens.output,
    reasoning_tokens: usage.reasoningTokens,
  };
}

export function formatJson(rows: ReportRow[]): string {
  return `${JSON.stringify(rows.map(flatRow), null, 2)}\n`;
}

export function formatCsv(rows: ReportRow[]): string {
  return toCsv(
    CSV_HEADER,
    rows.map((row) => {
      const flat = flatRow(row);
      return CSV_HEADER.map((column) => flat[column]);
    }),
  );
}

/** Columns aligned with spaces; numbers right-aligned. Model and job columns only when broken down. */
export function formatTable(rows: ReportRow[]): string {
  if (rows.length === 0) return 'no usage recorded for the selected teams and period\n';
  const showModel = rows.some((row) => row.model !== undefined);
  const showJob = rows.some((row) => row.job !== undefined);
  const columns: { title: string; right?: boolean; value: (row: ReportRow) => string }[] = [
    { title: 'TEAM', value: (row) => row.team },
    { title: 'PERIOD', value: (row) => row.period.id },
    ...(showModel ? [{ title: 'MODEL', value: (row: ReportRow) => row.model ?? '' }] : []),
    ...(showJob ? [{ title: 'JOB', value: (row: ReportRow) => row.job ?? '' }] : []),
    { title: 'COST (USD)', right: true, value: (row) => formatUsd(row.usage.cost, TABLE_DECIMALS) },
    { title: 'REQUESTS', right: true, value: (row) => String(row.usage.requests) },
    { title: 'INPUT', right: true, value: (row) => String(row.usage.tokens.input) },
    { title: 'CACHED', right: true, value: (row) => String(row.usage.tokens.cached_input) },
    { title: 'CACHE WRITE', right: true, value: (row) => String(row.usage.tokens.cache_write) },
    { title: 'OUTPUT', right: true, value: (row) => String(row.usage.tokens.output) },
    { title: 'REASONING', right: true, value: (row) => String(row.usage.reasoningTokens) },
    { title: 'ESTIMATED', right: true, value: (row) => String(row.usage.estimatedRequests) },
  ];
  const cells = [columns.map((c) => c.title), ...rows.map((row) => columns.map((c) => c.value(row)))];
  const widths = columns.map((_, i) => Math.max(...cells.map((line) => line[i]!.length)));
  return cells
    .map((line) =>
      line
        .map((cell, i) => (columns[i]!.right ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join('');
}
