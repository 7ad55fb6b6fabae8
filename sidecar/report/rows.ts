// Turns what the ledger holds for one team and period into report rows,
// broken down by nothing, model, job, or model x job. Pure: no I/O.
import type { PeriodWindow } from '../../core/period.js';
import { emptyBreakdown, type Breakdown, type HourUsage, type PeriodTotals } from '../../ledger/reader.js';

export type Dimension = 'model' | 'job';

export interface TeamLedger {
  team: string;
  period: PeriodWindow;
  totals: PeriodTotals;
  /** Hourly buckets within the period; needed only for model x job. */
  hours?: HourUsage[];
}

export interface ReportRow {
  team: string;
  period: PeriodWindow;
  /** Present when the report is broken down by model. */
  model?: string;
  /** Present when the report is broken down by job. */
  job?: string;
  usage: Breakdown;
}

export function parseDimensions(text: string | undefined): Dimension[] {
  if (!text) return [];
  const names = text.split(',').map((name) => name.trim());
  for (const name of names) {
    if (name !== 'model' && name !== 'job')
      throw new Error(`--by takes model, job or model,job; got ${name}`);
  }
  return [...new Set(names as Dimension[])];
}

function addInto(target: Breakdown, source: Breakdown): void {
  target.cost += source.cost;
  target.requests += source.requests;
  target.estimatedRequests += source.estimatedRequests;
  target.unpricedRequests += source.unpricedRequests;
  target.reasoningTokens += source.reasoningTokens;
  for (const type of Object.keys(target.tokens) as (keyof Breakdown['tokens'])[]) {
    target.tokens[type] += source.tokens[type];
  }
}

const byName = <T>(entries: Iterable<[string, T]>) => [...entries].sort(([a], [b]) => a.localeCompare(b));

/**
 * Rows for one team. Model x job comes from the hourly buckets (the period
 * hash keeps model and job apart); if those were trimmed by retention the
 * sum falls short of the period total, and a warning says so.
 */
export function teamRows(ledger: TeamLedger, by: Dimension[]): { rows: ReportRow[]; warnings: string[] } {
  const { team, period, totals } = ledger;
  const base = { team, period };
  if (totals.requests === 0) return { rows: [], warnings: [] };
  if (by.length === 0) return { rows: [{ ...base, usage: totals }], warnings: [] };
  if (by.length === 1 && by[0] === 'model') {
    return {
      rows: byName(totals.byModel).map(([model, usage]) => ({ ...base, model, usage })),
      warnings: [],
    };
  }
  if (by.length === 1) {
    return { rows: byName(totals.byJob).map(([job, usage]) => ({ ...base, job, usage })), warnings: [] };
  }
  const cells = new Map<string, ReportRow>();
  for (const hour of ledger.hours ?? []) {
    const key = `${hour.model}\n${hour.job}`;
    let row = cells.get(key);
    if (!row) cells.set(key, (row = { ...base, model: hour.model, job: hour.job, usage: emptyBreakdown() }));
    addInto(row.usage, hour);
  }
  const rows = byName(cells).map(([, row]) => row);
  const covered = rows.reduce((sum, row) => sum + row.usage.cost, 0n);
  const requests = rows.reduce((sum, row) => sum + row.usage.requests, 0);
  const warnings =
    covered === totals.cost && requests === totals.requests
      ? []
      : [
          `team ${team}, period ${period.id}: hourly buckets cover ${requests} of ${totals.requests} requests ` +
            '(older hours expired); model x job rows are incomplete, the model or job view is not',
        ];
  return { rows, warnings };
}
