// The ledger's read side, shared by the operator (status, forecasts) and
// `tollgate report`. Turns the integer fields of the period and hour hashes
// (written by ledger/record.lua) back into typed totals.
import { TEAMS_KEY, ledgerKeys } from '../core/ledger-keys.js';
import type { PicoUsd } from '../core/money.js';
import { hourId } from '../core/period.js';
import { TOKEN_TYPES, type TokenCounts } from '../core/types.js';
import { ledgerFields } from '../core/usage.js';
import { execPipeline, isCluster, type RedisClient } from './client.js';

export interface Breakdown {
  cost: PicoUsd;
  requests: number;
  estimatedRequests: number;
  unpricedRequests: number;
  tokens: TokenCounts;
  /** Informational: already counted inside tokens.output. */
  reasoningTokens: number;
}

export interface PeriodTotals extends Breakdown {
  byModel: Map<string, Breakdown>;
  byJob: Map<string, Breakdown>;
}

export interface PeriodRequest {
  team: string;
  periodId: string;
}

export interface TeamPeriod extends PeriodRequest {
  totals: PeriodTotals;
}

/** One hour's usage of one model by one job. */
export interface HourUsage extends Breakdown {
  hour: string;
  model: string;
  job: string;
}

export function emptyTokens(): TokenCounts {
  return Object.fromEntries(TOKEN_TYPES.map((type) => [type, 0])) as TokenCounts;
}

export function emptyBreakdown(): Breakdown {
  return {
    cost: 0n,
    requests: 0,
    estimatedRequests: 0,
    unpricedRequests: 0,
    tokens: emptyTokens(),
    reasoningTokens: 0,
  };
}

const TOKEN_PREFIX = ledgerFields.tokens('');

/** Adds one integer field (e.g. "cost", "tokens:output") into a breakdown; unknown fields are ignored. */
function addField(target: Breakdown, field: string, value: string): void {
  if (field === ledgerFields.cost) target.cost += BigInt(value);
  else if (field === ledgerFields.requests) target.requests += Number(value);
  else if (field === ledgerFields.estimatedRequests) target.estimatedRequests += Number(value);
  else if (field === ledgerFields.unpricedRequests) target.unpricedRequests += Number(value);
  else if (field === ledgerFields.reasoningTokens) target.reasoningTokens += Number(value);
  else if (field.startsWith(TOKEN_PREFIX)) {
    const type = field.slice(TOKEN_PREFIX.length);
    if ((TOKEN_TYPES as readonly string[]).includes(type))
      target.tokens[type as keyof TokenCounts] += Number(value);
  }
}

/**
 * Splits "a|b|c" at the first and the last "|": names in the middle may
 * contain anything but the outer parts never do.
 */
function splitOuter(field: string): [string, string, string] | undefined {
  const first = field.indexOf('|');
  const last = field.lastIndexOf('|');
  if (first < 0 || last === first) return undefined;
  return [field.slice(0, first), field.slice(first + 1, last), field.slice(last + 1)];
}

function entry(map: Map<string, Breakdown>, name: string): Breakdown {
  let breakdown = map.get(name);
  if (!breakdown) map.set(name, (breakdown = emptyBreakdown()));
  return breakdown;
}

/** Parses a period hash (HGETALL reply) into totals. */
export function parsePeriodHash(hash: Record<string, string>): PeriodTotals {
  const totals: PeriodTotals = { ...emptyBreakdown(), byModel: new Map(), byJob: new Map() };
  for (const [field, value] of Object.entries(hash)) {
    const parts = splitOuter(field);
    if (!parts) {
      addField(totals, field, value);
      continue;
    }
    const [kind, name, subfield] = parts;
    if (kind === 'model') addField(entry(totals.byModel, name), subfield, value);
    else if (kind === 'job') addField(entry(totals.byJob, name), subfield, value);
  }
  return totals;
}

/** Parses an hour hash ("<model>|<job>|<field>") into rows sorted by model then job. */
export function parseHourHash(hour: string, hash: Record<string, string>): HourUsage[] {
  const rows = new Map<string, Breakdown>();
  for (const [field, value] of Object.entries(hash)) {
    const parts = splitOuter(field);
    if (parts) addField(entry(rows, `${parts[0]}|${parts[1]}`), parts[2], value);
  }
  return [...rows.entries()]
    .map(([key, breakdown]) => {
      const [model, job] = splitOuter(`${key}|`)!;
      return { hour, model, job, ...breakdown };
    })
    .sort((a, b) => a.model.localeCompare(b.model) || a.job.localeCompare(b.job));
}

async function hgetallMany(client: RedisClient, keys: string[]): Promise<Record<string, string>[]> {
  return execPipeline<Record<string, string>>(client, (pipeline) => {
    for (const key of keys) pipeline.hgetall(key);
  });
}

/**
 * Reads many teams' period totals. One pipelined round trip on a single
 * Redis; on a Cluster one pipeline per team (each team's keys share a slot),
 * all sent at once. Results come back in request order.
 */
export async function readPeriods(client: RedisClient, requests: PeriodRequest[]): Promise<TeamPeriod[]> {
  const keyOf = (r: PeriodRequest) => ledgerKeys.period(r.team, r.periodId);
  let hashes: Record<string, string>[];
  if (!isCluster(client)) {
    hashes = await hgetallMany(client, requests.map(keyOf));
  } else {
    const byTeam = new Map<string, number[]>();
    requests.forEach((r, index) => byTeam.set(r.team, [...(byTeam.get(r.team) ?? []), index]));
    hashes = new Array<Record<string, string>>(requests.length);
    await Promise.all(
      [...byTeam.values()].map(async (indexes) => {
        const replies = await hgetallMany(
          client,
          indexes.map((i) => keyOf(requests[i]!)),
        );
        indexes.forEach((requestIndex, i) => (hashes[requestIndex] = replies[i]!));
      }),
    );
  }
  return requests.map((r, i) => ({ ...r, totals: parsePeriodHash(hashes[i] ?? {}) }));
}

/** Every team that has ever sent traffic, sorted. */
export async function readTeams(client: RedisClient): Promise<string[]> {
  return (await client.smembers(TEAMS_KEY)).sort();
}

const HOUR_MS = 3_600_000;
/** Guards against a pipeline of unbounded size from a careless range. */
const MAX_HOURS = 24 * 93;

/** Usage per hour between two instants, both hours included, oldest first; one round trip. */
export async function readHours(
  client: RedisClient,
  team: string,
  from: Date,
  to: Date,
): Promise<HourUsage[]> {
  const first = Math.floor(from.getTime() / HOUR_MS);
  const last = Math.floor(to.getTime() / HOUR_MS);
  if (last < first) return [];
  if (last - first + 1 > MAX_HOURS) throw new Error(`readHours: at most ${MAX_HOURS} hours per call`);
  const hours = Array.from({ length: last - first + 1 }, (_, i) => hourId(new Date((first + i) * HOUR_MS)));
  const hashes = await hgetallMany(
    client,
    hours.map((hour) => ledgerKeys.hour(team, hour)),
  );
  return hours.flatMap((hour, i) => parseHourHash(hour, hashes[i] ?? {}));
}
