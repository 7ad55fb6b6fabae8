// Everything a sync needs from the ledger, for every team, in a constant
// number of round trips: one pipeline of period hashes (current and, after a
// rollover, the period just closed), one pipeline of recent hour hashes.
import { ledgerKeys } from '../core/ledger-keys.js';
import { execPipeline, isCluster, type RedisClient } from '../ledger/client.js';
import { parseHourHash, readPeriods, type PeriodRequest, type PeriodTotals } from '../ledger/reader.js';
import { recentHours, type HourlySpend } from './hourly.js';

export interface SnapshotRequest {
  team: string;
  periodId: string;
  /** The period the last status described, when it is no longer the current one. */
  closedPeriodId?: string;
}

export interface TeamSnapshot {
  totals: PeriodTotals;
  closedTotals?: PeriodTotals;
  /** Contiguous, oldest first, the last bucket containing `now`. */
  hourly: HourlySpend[];
}

export interface Snapshot {
  teams: Map<string, TeamSnapshot>;
  /** Pipelines sent (all at once on a Cluster, one per team). */
  roundTrips: number;
}

async function hashes(
  client: RedisClient,
  keysByTeam: Map<string, string[]>,
): Promise<Map<string, Record<string, string>[]>> {
  const read = (keys: string[]) =>
    execPipeline<Record<string, string>>(client, (pipeline) => keys.forEach((key) => pipeline.hgetall(key)));
  const result = new Map<string, Record<string, string>[]>();
  if (isCluster(client)) {
    // A Cluster pipeline may only touch one slot: one per team, sent together.
    await Promise.all([...keysByTeam].map(async ([team, keys]) => result.set(team, await read(keys))));
    return result;
  }
  const teams = [...keysByTeam.keys()];
  const replies = await read(teams.flatMap((team) => keysByTeam.get(team)!));
  let offset = 0;
  for (const team of teams) {
    const count = keysByTeam.get(team)!.length;
    result.set(team, replies.slice(offset, offset + count));
    offset += count;
  }
  return result;
}

export async function readSnapshot(
  client: RedisClient,
  requests: SnapshotRequest[],
  now: Date,
  hourCount: number,
): Promise<Snapshot> {
  const periodRequests: PeriodRequest[] = requests.flatMap((r) => [
    { team: r.team, periodId: r.periodId },
    ...(r.closedPeriodId ? [{ team: r.team, periodId: r.closedPeriodId }] : []),
  ]);
  const hours = recentHours(now, hourCount);
  const [periods, hourHashes] = await Promise.all([
    readPeriods(client, periodRequests),
    hashes(client, new Map(requests.map((r) => [r.team, hours.map((h) => ledgerKeys.hour(r.team, h.id))]))),
  ]);
  const teams = new Map<string, TeamSnapshot>();
  const periodIndex = new Map(periods.map((p) => [`${p.team}\n${p.periodId}`, p.totals]));
  for (const r of requests) {
    const hourly = hours.map((hour, i) => ({
      start: hour.start,
      cost: parseHourHash(hour.id, hourHashes.get(r.team)?.[i] ?? {}).reduce(
        (sum, row) => sum + row.cost,
        0n,
      ),
    }));
    teams.set(r.team, {
      totals: periodIndex.get(`${r.team}\n${r.periodId}`)!,
      closedTotals: r.closedPeriodId ? periodIndex.get(`${r.team}\n${r.closedPeriodId}`) : undefined,
      hourly,
    });
  }
  const roundTrips = isCluster(client) ? 2 * requests.length : 2;
  return { teams, roundTrips };
}
