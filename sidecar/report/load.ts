// Everything the report needs from Redis, read in a handful of round trips:
// the teams, their policies (for the period), the period hashes, the hourly
// buckets (model x job only) and the price table (FOCUS providers only).
import { PRICES_KEY, ledgerKeys } from '../../core/ledger-keys.js';
import type { ModelPriceSpec } from '../../core/types.js';
import type { RedisClient } from '../../ledger/client.js';
import { readHours, readPeriods, readTeams } from '../../ledger/reader.js';
import { DEFAULT_POLICY, parsePolicy, resolvePeriod, type PeriodPolicy } from './period.js';
import type { Dimension, TeamLedger } from './rows.js';

export interface LoadRequest {
  /** Default: every team in the ledger. */
  teams?: string[];
  /** "current", "previous" or a period id. */
  period: string;
  by: Dimension[];
  now: Date;
}

export async function loadLedgers(
  client: RedisClient,
  request: LoadRequest,
): Promise<{ ledgers: TeamLedger[]; warnings: string[] }> {
  const warnings: string[] = [];
  const teams = request.teams?.length ? request.teams : await readTeams(client);
  const policies = await Promise.all(
    teams.map(async (team): Promise<PeriodPolicy> => {
      try {
        return parsePolicy(await client.get(ledgerKeys.policy(team)));
      } catch (error) {
        warnings.push(`team ${team}: unreadable policy (${(error as Error).message}); using Monthly in UTC`);
        return DEFAULT_POLICY;
      }
    }),
  );
  const windows = teams.map((_, i) => resolvePeriod(request.period, policies[i]!, request.now));
  const periods = await readPeriods(
    client,
    teams.map((team, i) => ({ team, periodId: windows[i]!.id })),
  );
  const needHours = request.by.includes('model') && request.by.includes('job');
  const ledgers = await Promise.all(
    periods.map(async ({ team, totals }, i): Promise<TeamLedger> => {
      const period = windows[i]!;
      if (!needHours || totals.requests === 0) return { team, period, totals };
      const hours = await readHours(client, team, period.start, new Date(period.end.getTime() - 1));
      return { team, period, totals, hours };
    }),
  );
  return { ledgers, warnings };
}

/** The price table the operator publishes ({ version, prices }); empty when none is published. */
export async function loadPrices(client: RedisClient): Promise<ModelPriceSpec[]> {
  const json = await client.get(PRICES_KEY);
  if (json === null) return [];
  return (JSON.parse(json) as { prices?: ModelPriceSpec[] }).prices ?? [];
}
