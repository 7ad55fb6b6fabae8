import { describe, expect, it } from 'vitest';
import { parseUsd } from '../../core/money.js';
import { periodWindow } from '../../core/period.js';
import type { TeamBudget, TeamBudgetStatus } from '../../core/types.js';
import { emptyBreakdown, type PeriodTotals } from '../../ledger/reader.js';
import { appendClosedPeriod } from '../../operator/history.js';
import { computeStatus, statusChanged, type StatusOptions } from '../../operator/status.js';
import { newlyCrossed, percentUsed } from '../../operator/thresholds.js';
import { topBySpend } from '../../operator/top.js';
import { budgetEvents } from '../../operator/transitions.js';
import { estimateUsd, exactUsd } from '../../operator/usd.js';

const options: StatusOptions = {
  forecastWindowHours: 6,
  runaway: { factor: 10, trailingHours: 24, minSpend: parseUsd('1') },
};

function totals(cost: string, requests = 1, models: Record<string, string> = {}): PeriodTotals {
  const byModel = new Map(
    Object.entries(models).map(([name, spent]) => [
      name,
      { ...emptyBreakdown(), cost: parseUsd(spent), requests: 1 },
    ]),
  );
  return { ...emptyBreakdown(), cost: parseUsd(cost), requests, byModel, byJob: new Map() };
}

function budget(limit: string | undefined, status?: TeamBudgetStatus): TeamBudget {
  return {
    apiVersion: 'tollgate.dev/v1alpha1',
    kind: 'TeamBudget',
    metadata: { name: 'search', generation: 3 },
    spec: { period: 'Monthly', enforcement: 'Hard', limit, alertThresholds: [50, 80, 100] },
    status,
  };
}

const at = (iso: string) => new Date(iso);
function statusAt(b: TeamBudget, t: PeriodTotals, now: Date, closedTotals?: PeriodTotals) {
  return computeStatus({
    budget: b,
    window: periodWindow('Monthly', now),
    totals: t,
    closedTotals,
    hourly: [],
    now,
    options,
  });
}

describe('computeStatus', () => {
  it('derives spend, remaining, percent, phase and conditions from the ledger', () => {
    const status = statusAt(budget('100'), totals('85.000000000001', 7), at('2026-12-10T10:00:00Z'));
    expect(status).toMatchObject({
      period: { id: '2026-12', start: '2026-12-01T00:00:00.000Z', end: '2027-01-01T00:00:00.000Z' },
      spent: '85.000000000001',
      remaining: '14.999999999999',
      percentUsed: 85,
      requests: 7,
      phase: 'Warning',
      observedGeneration: 3,
    });
    const byType = Object.fromEntries(status.conditions!.map((c) => [c.type, c.status]));
    expect(byType).toEqual({
      Ready: 'True',
      BudgetWarning: 'True',
      BudgetExceeded: 'False',
      RunawaySpend: 'False',
    });
  });

  it('reports Exceeded at the limit and tracking-only budgets as Ok with no remaining', () => {
    expect(statusAt(budget('100'), totals('100'), at('2026-12-10T10:00:00Z')).phase).toBe('Exceeded');
    const untracked = statusAt(budget(undefined), totals('5000'), at('2026-12-10T10:00:00Z'));
    expect(untracked.phase).toBe('Ok');
    expect(untracked.remaining).toBeUndefined();
    expect(untracked.percentUsed).toBeUndefined();
  });

  it('keeps lastTransitionTime while a condition holds and moves it when it flips', () => {
    const first = statusAt(budget('100'), totals('10'), at('2026-12-10T10:00:00Z'));
    const same = statusAt(budget('100', first), totals('20'), at('2026-12-10T11:00:00Z'));
    const flipped = statusAt(budget('100', same), totals('60'), at('2026-12-10T12:00:00Z'));
    const warning = (s: TeamBudgetStatus) => s.conditions!.find((c) => c.type === 'BudgetWarning')!;
    expect(warning(same).lastTransitionTime).toBe('2026-12-10T10:00:00.000Z');
    expect(warning(flipped)).toMatchObject({
      status: 'True',
      lastTransitionTime: '2026-12-10T12:00:00.000Z',
    });
  });

  it('moves the closed period into history, preferring counters over the stale status', () => {
    const november = statusAt(budget('100'), totals('40', 4), at('2026-11-30T23:59:00Z'));
    const december = statusAt(
      budget('100', november),
      totals('0', 0),
      at('2026-12-01T00:00:10Z'),
      totals('41', 5),
    );
    expect(december.spent).toBe('0.00');
    expect(december.history).toEqual([
      {
        id: '2026-11',
        start: '2026-11-01T00:00:00.000Z',
        end: '2026-12-01T00:00:00.000Z',
        spent: '41.00',
        requests: 5,
        limit: '100',
      },
    ]);
  });

  it('top-10 lists are ordered by spend', () => {
    const models = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`m${i}`, String(i + 1)]));
    const top = topBySpend(totals('0', 0, models).byModel);
    expect(top).toHaveLength(10);
    expect(top.map((t) => t.name).slice(0, 3)).toEqual(['m11', 'm10', 'm9']);
  });

  it('sees no change when only lastSyncTime moved, whatever the key order', () => {
    const status = statusAt(budget('100'), totals('10'), at('2026-12-10T10:00:00Z'));
    const reordered = JSON.parse(
      JSON.stringify(Object.fromEntries(Object.entries(status).reverse())),
    ) as TeamBudgetStatus;
    expect(statusChanged(reordered, { ...status, lastSyncTime: '2030-01-01T00:00:00Z' })).toBe(false);
    expect(statusChanged(reordered, { ...status, spent: '10.01' })).toBe(true);
  });
});

describe('thresholds, history and money', () => {
  it('reports each threshold once, at the exact boundary', () => {
    const limit = parseUsd('200');
    expect(newlyCrossed([50, 80, 100], limit, 0n, parseUsd('159.999999999999'))).toEqual([50]);
    expect(newlyCrossed([50, 80, 100], limit, parseUsd('100'), parseUsd('200'))).toEqual([80, 100]);
    expect(newlyCrossed([0], limit, 0n, 0n)).toEqual([]);
    expect(percentUsed(limit, parseUsd('199.99'))).toBe(99);
  });

  it('keeps the last 12 closed periods, newest first, each once', () => {
    const record = (i: number) => ({ id: `p${i}`, start: '', end: '', spent: '1.00', requests: 1 });
    let history = Array.from({ length: 12 }, (_, i) => record(11 - i));
    history = appendClosedPeriod(history, record(12));
    expect(history.map((r) => r.id)).toEqual([
      'p12',
      'p11',
      'p10',
      'p9',
      'p8',
      'p7',
      'p6',
      'p5',
      'p4',
      'p3',
      'p2',
      'p1',
    ]);
    expect(appendClosedPeriod(history, record(12))).toHaveLength(12);
  });

  it('formats money exactly', () => {
    expect(exactUsd(parseUsd('1.5'))).toBe('1.50');
    expect(exactUsd(123n)).toBe('0.000000000123');
    expect(exactUsd(parseUsd('1000'))).toBe('1000.00');
    expect(estimateUsd(parseUsd('856.72'))).toBe('857.00');
    expect(estimateUsd(parseUsd('1234.56'))).toBe('1230.00');
    expect(estimateUsd(parseUsd('7.354'))).toBe('7.35');
    expect(estimateUsd(parseUsd('999.5'))).toBe('1000.00');
  });
});

describe('budgetEvents', () => {
  const now = at('2026-12-10T10:00:00Z');
  it('raises one event per newly crossed threshold and one for exceeding', () => {
    const before = statusAt(budget('100'), totals('40'), now);
    const after = statusAt(budget('100', before), totals('120'), now);
    const events = budgetEvents(budget('100'), before, after, now);
    expect(events.map((e) => e.key)).toEqual([
      '2026-12.threshold-50',
      '2026-12.threshold-80',
      '2026-12.threshold-100',
      '2026-12.exceeded',
    ]);
    expect(budgetEvents(budget('100'), after, { ...after }, now)).toEqual([]);
  });

  it('raises PeriodClosed when a period enters history', () => {
    const before = statusAt(budget('100'), totals('10'), at('2026-11-30T23:00:00Z'));
    const after = statusAt(budget('100', before), totals('0', 0), at('2026-12-01T00:01:00Z'));
    expect(budgetEvents(budget('100'), before, after, now).map((e) => e.reason)).toEqual(['PeriodClosed']);
  });
});
