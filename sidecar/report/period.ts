// Which budget period a report covers: "current" and "previous" follow each
// team's own policy (period length and time zone); an explicit id names one.
import { periodWindow, type PeriodWindow } from '../../core/period.js';
import type { BudgetPeriod, TeamBudgetSpec } from '../../core/types.js';

export interface PeriodPolicy {
  period: BudgetPeriod;
  timeZone: string;
}

/** What a team gets when the operator has published no policy for it. */
export const DEFAULT_POLICY: PeriodPolicy = { period: 'Monthly', timeZone: 'UTC' };

/** Reads the period settings out of the policy JSON the operator publishes ({ version, spec }). */
export function parsePolicy(json: string | null): PeriodPolicy {
  if (json === null) return DEFAULT_POLICY;
  const { spec } = JSON.parse(json) as { spec?: Partial<TeamBudgetSpec> };
  return {
    period: spec?.period ?? DEFAULT_POLICY.period,
    timeZone: spec?.timezone ?? DEFAULT_POLICY.timeZone,
  };
}

const DAY_MS = 86_400_000;

/** A date inside the period an id names, as if in UTC; the time zone may shift it by up to a day. */
function probe(id: string): { period: BudgetPeriod; at: number } | undefined {
  let match = /^(\d{4})-(\d{2})$/.exec(id);
  if (match) return { period: 'Monthly', at: Date.UTC(Number(match[1]), Number(match[2]) - 1, 15) };
  match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(id);
  if (match) {
    return { period: 'Daily', at: Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]), 12) };
  }
  match = /^(\d{4})-W(\d{2})$/.exec(id);
  if (match) {
    // ISO week 1 holds January 4th; its Thursday plus whole weeks lands mid-week.
    const jan4 = Date.UTC(Number(match[1]), 0, 4);
    const mondayOfWeek1 = jan4 - ((new Date(jan4).getUTCDay() || 7) - 1) * DAY_MS;
    return { period: 'Weekly', at: mondayOfWeek1 + (3 + 7 * (Number(match[2]) - 1)) * DAY_MS };
  }
  return undefined;
}

/** The window of an explicit period id ("2026-12", "2026-W49", "2026-12-04") in `timeZone`. */
export function windowOfId(id: string, timeZone: string): PeriodWindow {
  const guess = probe(id);
  if (guess) {
    for (const shift of [0, -0.5, 0.5, -1, 1]) {
      const window = periodWindow(guess.period, new Date(guess.at + shift * DAY_MS), timeZone);
      if (window.id === id) return window;
    }
  }
  throw new Error(`not a period id: ${JSON.stringify(id)} (expected e.g. 2026-12, 2026-W49 or 2026-12-04)`);
}

/** Resolves --period ("current", "previous" or an id) for one team's policy at `now`. */
export function resolvePeriod(selection: string, policy: PeriodPolicy, now: Date): PeriodWindow {
  const current = periodWindow(policy.period, now, policy.timeZone);
  if (selection === 'current') return current;
  if (selection === 'previous') {
    return periodWindow(policy.period, new Date(current.start.getTime() - 1), policy.timeZone);
  }
  return windowOfId(selection, policy.timeZone);
}
