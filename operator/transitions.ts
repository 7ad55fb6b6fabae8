// What happened between two statuses of one TeamBudget, as Events to raise.
// Each event carries a key unique to its occurrence (threshold and period,
// closed period, runaway hour), so raising it twice is detectably a repeat.
import { hourId } from '../core/period.js';
import type { TeamBudget, TeamBudgetStatus } from '../core/types.js';
import { conditionIsTrue } from './conditions.js';
import { DEFAULT_THRESHOLDS, limitOf, recordedSpent } from './status.js';
import { newlyCrossed } from './thresholds.js';

export interface BudgetEvent {
  /** Unique per occurrence; lowercase DNS-label characters and dots. */
  key: string;
  reason: 'ThresholdCrossed' | 'BudgetExceeded' | 'PeriodClosed' | 'RunawaySpend';
  type: 'Normal' | 'Warning';
  message: string;
}

const keyPart = (text: string) => text.toLowerCase().replace(/[^a-z0-9.-]/g, '-');

export function budgetEvents(
  budget: TeamBudget,
  before: TeamBudgetStatus | undefined,
  after: TeamBudgetStatus,
  now: Date,
): BudgetEvent[] {
  const events: BudgetEvent[] = [];
  const periodId = after.period?.id ?? '';
  const samePeriod = before?.period?.id === periodId;
  const limit = limitOf(budget);

  if (limit !== undefined) {
    const spentBefore = samePeriod ? recordedSpent(before) : 0n;
    const crossed = newlyCrossed(
      budget.spec.alertThresholds ?? DEFAULT_THRESHOLDS,
      limit,
      spentBefore,
      recordedSpent(after),
    );
    for (const threshold of crossed) {
      events.push({
        key: `${keyPart(periodId)}.threshold-${threshold}`,
        reason: 'ThresholdCrossed',
        type: threshold >= 100 ? 'Warning' : 'Normal',
        message: `Spend reached ${threshold}% of the ${budget.spec.limit} USD limit in period ${periodId} (spent ${after.spent} USD)`,
      });
    }
  }
  const exceededBefore = samePeriod && conditionIsTrue(before?.conditions, 'BudgetExceeded');
  if (conditionIsTrue(after.conditions, 'BudgetExceeded') && !exceededBefore) {
    events.push({
      key: `${keyPart(periodId)}.exceeded`,
      reason: 'BudgetExceeded',
      type: 'Warning',
      message: `Spent ${after.spent} USD of the ${budget.spec.limit} USD limit in period ${periodId}`,
    });
  }
  const closed = after.history?.[0];
  if (closed && closed.id !== before?.history?.[0]?.id) {
    events.push({
      key: `${keyPart(closed.id)}.closed`,
      reason: 'PeriodClosed',
      type: 'Normal',
      message: `Period ${closed.id} closed: spent ${closed.spent} USD over ${closed.requests} requests`,
    });
  }
  if (
    conditionIsTrue(after.conditions, 'RunawaySpend') &&
    !conditionIsTrue(before?.conditions, 'RunawaySpend')
  ) {
    events.push({
      key: `${keyPart(hourId(now))}.runaway`,
      reason: 'RunawaySpend',
      type: 'Warning',
      message: `Spend in the last hour is far above the team's trailing hourly mean (forecast ${after.forecast} USD for period ${periodId})`,
    });
  }
  return events;
}
