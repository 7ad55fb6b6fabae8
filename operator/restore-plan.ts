// Redis lost data (restart without persistence, failover): a period's counters
// read below what status last recorded. The plan is the increments that bring
// them back up to the recorded totals. Increments, not overwrites, so calls
// recorded by sidecars meanwhile still count.
import { parseUsd } from '../core/money.js';
import type { TeamBudgetStatus } from '../core/types.js';
import { ledgerFields } from '../core/usage.js';
import type { Breakdown, PeriodTotals } from '../ledger/reader.js';

/** Hash field -> increment. Empty when nothing was lost. */
export type RestorePlan = Map<string, bigint>;

const lost = (recorded: bigint, counted: bigint) => (recorded > counted ? recorded - counted : 0n);

function planBreakdowns(
  plan: RestorePlan,
  recorded: TeamBudgetStatus['byModel'],
  counted: ReadonlyMap<string, Breakdown>,
  field: (name: string, sub: string) => string,
): void {
  for (const entry of recorded ?? []) {
    const now = counted.get(entry.name);
    plan.set(field(entry.name, ledgerFields.cost), lost(parseUsd(entry.spent), now?.cost ?? 0n));
    plan.set(
      field(entry.name, ledgerFields.requests),
      lost(BigInt(entry.requests), BigInt(now?.requests ?? 0)),
    );
  }
}

/** Only for the period the status describes; a new period legitimately starts at zero. */
export function restorePlan(
  status: TeamBudgetStatus | undefined,
  periodId: string,
  totals: PeriodTotals,
): RestorePlan {
  const plan: RestorePlan = new Map();
  if (!status?.period || status.period.id !== periodId || status.spent === undefined) return plan;
  const spentLost = lost(parseUsd(status.spent), totals.cost);
  const requestsLost = lost(BigInt(status.requests ?? 0), BigInt(totals.requests));
  // Counters only ever grow; below the record means data loss, not a refund.
  if (spentLost === 0n && requestsLost === 0n) return plan;

  plan.set(ledgerFields.cost, spentLost);
  plan.set(ledgerFields.requests, requestsLost);
  const tokens = status.tokens;
  if (tokens) {
    plan.set(ledgerFields.tokens('input'), lost(BigInt(tokens.input), BigInt(totals.tokens.input)));
    plan.set(
      ledgerFields.tokens('cached_input'),
      lost(BigInt(tokens.cachedInput), BigInt(totals.tokens.cached_input)),
    );
    plan.set(
      ledgerFields.tokens('cache_write'),
      lost(BigInt(tokens.cacheWrite), BigInt(totals.tokens.cache_write)),
    );
    plan.set(ledgerFields.tokens('output'), lost(BigInt(tokens.output), BigInt(totals.tokens.output)));
    plan.set(ledgerFields.reasoningTokens, lost(BigInt(tokens.reasoning), BigInt(totals.reasoningTokens)));
  }
  planBreakdowns(plan, status.byModel, totals.byModel, ledgerFields.byModel);
  planBreakdowns(plan, status.byJob, totals.byJob, ledgerFields.byJob);
  for (const [field, amount] of plan) if (amount === 0n) plan.delete(field);
  return plan;
}
