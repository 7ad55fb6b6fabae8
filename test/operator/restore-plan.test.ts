import { describe, expect, it } from 'vitest';
import { parseUsd } from '../../core/money.js';
import type { TeamBudgetStatus } from '../../core/types.js';
import { emptyBreakdown, type PeriodTotals } from '../../ledger/reader.js';
import { restorePlan } from '../../operator/restore-plan.js';

const recorded: TeamBudgetStatus = {
  period: { id: '2026-12', start: '', end: '' },
  spent: '12.50',
  requests: 10,
  tokens: { input: 1000, cachedInput: 0, cacheWrite: 0, output: 500, reasoning: 0 },
  byModel: [{ name: 'gpt-4o', spent: '12.50', requests: 10 }],
  byJob: [],
};
const counted = (cost: string, requests: number): PeriodTotals => ({
  ...emptyBreakdown(),
  cost: parseUsd(cost),
  requests,
  byModel: new Map(),
  byJob: new Map(),
});

describe('restorePlan', () => {
  it('brings lost counters back up to the recorded totals, by increments', () => {
    const plan = restorePlan(recorded, '2026-12', counted('2.50', 2));
    expect(Object.fromEntries(plan)).toEqual({
      cost: parseUsd('10'),
      requests: 8n,
      'tokens:input': 1000n,
      'tokens:output': 500n,
      'model|gpt-4o|cost': parseUsd('12.5'),
      'model|gpt-4o|requests': 10n,
    });
  });

  it('does nothing when counters are at or above the record, or for another period', () => {
    expect(restorePlan(recorded, '2026-12', counted('12.50', 10)).size).toBe(0);
    expect(restorePlan(recorded, '2026-12', counted('20', 11)).size).toBe(0);
    expect(restorePlan(recorded, '2027-01', counted('0', 0)).size).toBe(0);
  });
});
