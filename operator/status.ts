// A TeamBudget's status, computed from its spec, the ledger's totals and the
// previous status. Pure: the status reconciler does the reading and writing.
import { parseUsd, type PicoUsd } from '../core/money.js';
import type { PeriodWindow } from '../core/period.js';
import type { Condition, PeriodRecord, TeamBudget, TeamBudgetStatus } from '../core/types.js';
import type { PeriodTotals } from '../ledger/reader.js';
import { setCondition, type ConditionUpdate } from './conditions.js';
import { forecastAtPeriodEnd } from './forecast.js';
import { appendClosedPeriod } from './history.js';
import type { HourlySpend } from './hourly.js';
import { detectRunaway, type RunawayOptions } from './runaway.js';
import { NO_GAPS, type SidecarGaps } from './sidecar-gaps.js';
import { highestCrossed, percentUsed } from './thresholds.js';
import { topBySpend } from './top.js';
import { estimateUsd, exactUsd } from './usd.js';

export interface StatusOptions {
  forecastWindowHours: number;
  runaway: RunawayOptions;
}

export interface StatusInput {
  budget: TeamBudget;
  /** The period `now` falls in. */
  window: PeriodWindow;
  /** Ledger totals of `window`. */
  totals: PeriodTotals;
  /** Ledger totals of the period the previous status described, when that period has closed. */
  closedTotals?: PeriodTotals;
  hourly: HourlySpend[];
  /** The team's pods running without the sidecar; none when absent. */
  sidecarGaps?: SidecarGaps;
  now: Date;
  options: StatusOptions;
}

export const DEFAULT_THRESHOLDS = [50, 80, 100];

export function limitOf(budget: TeamBudget): PicoUsd | undefined {
  return budget.spec.limit === undefined ? undefined : parseUsd(budget.spec.limit);
}

/** Spend as last recorded in status; 0 for none. */
export function recordedSpent(status: TeamBudgetStatus | undefined): PicoUsd {
  return status?.spent === undefined ? 0n : parseUsd(status.spent);
}

/** The previous status' period as a history record, once it has closed. */
function closedRecord(input: StatusInput): PeriodRecord | undefined {
  const previous = input.budget.status;
  if (!previous?.period || previous.period.id === input.window.id) return undefined;
  // Counters win unless Redis lost them; the status is the fallback record.
  const counted = input.closedTotals?.cost ?? 0n;
  const spent = counted > recordedSpent(previous) ? counted : recordedSpent(previous);
  const requests = Math.max(input.closedTotals?.requests ?? 0, previous.requests ?? 0);
  const record: PeriodRecord = { ...previous.period, spent: exactUsd(spent), requests };
  return input.budget.spec.limit === undefined ? record : { ...record, limit: input.budget.spec.limit };
}

function conditionUpdates(input: StatusInput, spent: PicoUsd, runaway: boolean): ConditionUpdate[] {
  const generation = input.budget.metadata.generation as number | undefined;
  const limit = limitOf(input.budget);
  const thresholds = input.budget.spec.alertThresholds ?? DEFAULT_THRESHOLDS;
  const crossed = limit === undefined ? undefined : highestCrossed(thresholds, limit, spent);
  const exceeded = limit !== undefined && spent >= limit && spent > 0n;
  const base = { observedGeneration: generation };
  return [
    { ...base, type: 'Ready', status: 'True', reason: 'Synced', message: 'Spend read from the ledger' },
    crossed === undefined
      ? {
          ...base,
          type: 'BudgetWarning',
          status: 'False',
          reason: 'BelowThresholds',
          message: 'No alert threshold reached',
        }
      : {
          ...base,
          type: 'BudgetWarning',
          status: 'True',
          reason: 'ThresholdReached',
          message: `Spend reached ${crossed}% of the limit`,
        },
    exceeded
      ? {
          ...base,
          type: 'BudgetExceeded',
          status: 'True',
          reason: 'LimitReached',
          message: `Spent ${exactUsd(spent)} of ${input.budget.spec.limit} USD`,
        }
      : {
          ...base,
          type: 'BudgetExceeded',
          status: 'False',
          reason: limit === undefined ? 'NoLimit' : 'WithinLimit',
          message: limit === undefined ? 'The budget has no limit' : 'Spend is within the limit',
        },
    runaway
      ? {
          ...base,
          type: 'RunawaySpend',
          status: 'True',
          reason: 'HourlySpendSpike',
          message: 'The last hour is far above the trailing hourly mean',
        }
      : {
          ...base,
          type: 'RunawaySpend',
          status: 'False',
          reason: 'NormalRate',
          message: 'Hourly spend is in its usual range',
        },
  ];
}

export function computeStatus(input: StatusInput): TeamBudgetStatus {
  const { budget, window, totals, now } = input;
  const previous = budget.status;
  const gaps = input.sidecarGaps ?? NO_GAPS;
  const spent = totals.cost;
  const limit = limitOf(budget);
  const forecast = forecastAtPeriodEnd({
    spent,
    hourly: input.hourly,
    now,
    periodStart: window.start,
    periodEnd: window.end,
    windowHours: input.options.forecastWindowHours,
  });
  const runaway = detectRunaway(input.hourly, now, input.options.runaway);
  const conditions: Condition[] = conditionUpdates(input, spent, runaway.runaway).map((update) =>
    setCondition(previous?.conditions ?? [], update, now),
  );
  const closed = closedRecord(input);
  const history = closed ? appendClosedPeriod(previous?.history ?? [], closed) : (previous?.history ?? []);
  const exceeded = conditions.some((c) => c.type === 'BudgetExceeded' && c.status === 'True');
  const warning = conditions.some(
    (c) => (c.type === 'BudgetWarning' || c.type === 'RunawaySpend') && c.status === 'True',
  );

  const status: TeamBudgetStatus = {
    period: { id: window.id, start: window.start.toISOString(), end: window.end.toISOString() },
    spent: exactUsd(spent),
    forecast: estimateUsd(forecast),
    requests: totals.requests,
    tokens: {
      input: totals.tokens.input,
      cachedInput: totals.tokens.cached_input,
      cacheWrite: totals.tokens.cache_write,
      output: totals.tokens.output,
      reasoning: totals.reasoningTokens,
    },
    byModel: topBySpend(totals.byModel),
    byJob: topBySpend(totals.byJob),
    phase: exceeded ? 'Exceeded' : warning ? 'Warning' : 'Ok',
    conditions,
    history,
    podsWithoutSidecar: gaps.withoutSidecar,
    podsOptedOut: gaps.optedOut,
    lastSyncTime: now.toISOString(),
    observedGeneration: budget.metadata.generation as number | undefined,
  };
  if (gaps.examples.length > 0) status.podsWithoutSidecarExamples = gaps.examples;
  if (limit !== undefined) {
    status.remaining = exactUsd(limit > spent ? limit - spent : 0n);
    status.percentUsed = percentUsed(limit, spent);
  }
  return status;
}

/** JSON with object keys sorted: the apiserver returns status with its own key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** Whether writing `next` over `previous` would tell a reader anything new (lastSyncTime aside). */
export function statusChanged(previous: TeamBudgetStatus | undefined, next: TeamBudgetStatus): boolean {
  const strip = (status: TeamBudgetStatus | undefined) => canonical({ ...status, lastSyncTime: undefined });
  return strip(previous) !== strip(next);
}
