// Reconciler (e): Redis lost data, so counters read below the last recorded
// status; bring them back up so spend never goes backwards.
import { ledgerKeys } from '../../core/ledger-keys.js';
import type { TeamBudget } from '../../core/types.js';
import { execPipeline, type RedisClient } from '../../ledger/client.js';
import type { TeamSnapshot } from '../ledger-snapshot.js';
import { restorePlan } from '../restore-plan.js';

/** Restores every team that lost data, in one round trip; returns the teams restored. */
export async function restoreLostCounters(
  redis: RedisClient,
  budgets: TeamBudget[],
  snapshot: Map<string, TeamSnapshot>,
  periodIdOf: (budget: TeamBudget) => string,
): Promise<string[]> {
  const plans = budgets
    .map((budget) => {
      const team = budget.metadata.name;
      const totals = snapshot.get(team)?.totals;
      const periodId = periodIdOf(budget);
      return {
        team,
        periodId,
        plan: totals ? restorePlan(budget.status, periodId, totals) : new Map<string, bigint>(),
      };
    })
    .filter(({ plan }) => plan.size > 0);
  if (plans.length === 0) return [];
  await execPipeline(redis, (p) => {
    for (const { team, periodId, plan } of plans) {
      const key = ledgerKeys.period(team, periodId);
      for (const [field, amount] of plan) p.hincrby(key, field, amount.toString());
    }
  });
  return plans.map(({ team }) => team);
}
