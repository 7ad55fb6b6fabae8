// One sync cycle over every TeamBudget in scope, run by the leader: read the ledger,
// then let each reconciler apply its one side effect. Redis round trips stay
// constant in the number of teams.
import { periodWindow, type PeriodWindow } from '../core/period.js';
import type { ModelPrice, TeamBudget } from '../core/types.js';
import type { RedisClient } from '../ledger/client.js';
import { readTeams } from '../ledger/reader.js';
import { readSnapshot } from './ledger-snapshot.js';
import type { OperatorMetrics } from './metrics.js';
import { createMissingBudgets, missingTeams } from './reconcile/autocreate.js';
import type { EventRecorder } from './reconcile/events.js';
import type { ConfigPublisher } from './reconcile/publish.js';
import { restoreLostCounters } from './reconcile/restore.js';
import type { StatusWriter } from './reconcile/status.js';
import { NO_GAPS, type SidecarGaps } from './sidecar-gaps.js';
import { computeStatus, limitOf, type StatusOptions } from './status.js';
import { usdNumber } from './usd.js';
import { parseUsd } from '../core/money.js';
import type { KubeClients } from './kube.js';

export interface SyncDeps {
  kube: KubeClients;
  redis: RedisClient;
  metrics: OperatorMetrics;
  statuses: StatusWriter;
  events: EventRecorder;
  publisher: ConfigPublisher;
  statusOptions: StatusOptions;
  /** The labels auto-created budgets carry (the operator's scope); none when unscoped. */
  scopeLabels?: Readonly<Record<string, string>>;
  /** false: never create TeamBudgets (default true). */
  autoCreate?: boolean;
}

export interface SyncInput {
  budgets: TeamBudget[];
  prices: ModelPrice[];
  /** Teams named by labelled namespaces in the operator's scope. */
  namespaceTeams: string[];
  /** Per team, pods running without the sidecar (see sidecar-gaps.ts); none when absent. */
  sidecarGaps?: Map<string, SidecarGaps>;
  now: Date;
}

export interface SyncReport {
  teams: number;
  redisRoundTrips: number;
  statusWrites: number;
  conflicts: number;
  eventsCreated: number;
  restored: string[];
  created: string[];
  published: string[];
  errors: unknown[];
}

/** Hours of history the forecast and the runaway check need. */
export function hoursNeeded(options: StatusOptions): number {
  return Math.max(options.forecastWindowHours, options.runaway.trailingHours + 2);
}

function windowsOf(budgets: TeamBudget[], now: Date): Map<string, PeriodWindow> {
  // Budgets share a handful of (period, zone) pairs; time zone math is costly enough to do once each.
  const byKind = new Map<string, PeriodWindow>();
  const windows = new Map<string, PeriodWindow>();
  for (const budget of budgets) {
    const zone = budget.spec.timezone ?? 'UTC';
    const kind = `${budget.spec.period}|${zone}`;
    let window = byKind.get(kind);
    if (!window) byKind.set(kind, (window = periodWindow(budget.spec.period, now, zone)));
    windows.set(budget.metadata.name, window);
  }
  return windows;
}

export async function syncOnce(deps: SyncDeps, input: SyncInput): Promise<SyncReport> {
  const { budgets, now } = input;
  const windows = windowsOf(budgets, now);
  const windowOf = (budget: TeamBudget) => windows.get(budget.metadata.name)!;
  const gapsOf = (team: string) => input.sidecarGaps?.get(team) ?? NO_GAPS;
  const snapshot = await readSnapshot(
    deps.redis,
    budgets.map((budget) => {
      const periodId = windowOf(budget).id;
      const last = budget.status?.period?.id;
      return {
        team: budget.metadata.name,
        periodId,
        closedPeriodId: last && last !== periodId ? last : undefined,
      };
    }),
    now,
    hoursNeeded(deps.statusOptions),
  );
  let redisRoundTrips = snapshot.roundTrips;

  const restored = await restoreLostCounters(deps.redis, budgets, snapshot.teams, (b) => windowOf(b).id);
  if (restored.length > 0) redisRoundTrips++;

  // A restored team's counters changed under the snapshot; its status waits for the next sync.
  const statusResult = await deps.statuses.reconcile(
    budgets.filter((b) => !restored.includes(b.metadata.name)),
    (budget) => {
      const team = snapshot.teams.get(budget.metadata.name);
      if (!team) return undefined;
      return computeStatus({
        budget,
        window: windowOf(budget),
        ...team,
        sidecarGaps: gapsOf(budget.metadata.name),
        now,
        options: deps.statusOptions,
      });
    },
  );
  const eventsCreated = await deps.events.reconcile(statusResult.writes, now);

  const written = new Map(statusResult.writes.map((w) => [w.budget.metadata.name, w.after]));
  // Rebuilt each sync so a deleted team's series disappears instead of alerting forever;
  // no await in between, so no scrape sees the gauges half-filled.
  deps.metrics.podsWithoutSidecar.reset();
  deps.metrics.podsOptedOut.reset();
  for (const budget of budgets) {
    const team = budget.metadata.name;
    const status = written.get(team) ?? budget.status;
    const limit = limitOf(budget);
    if (limit !== undefined) deps.metrics.budget.set({ team }, usdNumber(limit));
    if (status?.spent) deps.metrics.spent.set({ team }, usdNumber(parseUsd(status.spent)));
    if (status?.forecast) deps.metrics.forecast.set({ team }, usdNumber(parseUsd(status.forecast)));
    // From the pods, not the status: a team whose status write failed is still counted.
    deps.metrics.podsWithoutSidecar.set({ team }, gapsOf(team).withoutSidecar);
    deps.metrics.podsOptedOut.set({ team }, gapsOf(team).optedOut);
  }

  const published = await deps.publisher.reconcile(budgets, input.prices);
  redisRoundTrips += published.length > 0 ? 2 : 1;

  let created: string[] = [];
  if (deps.autoCreate ?? true) {
    // Traffic teams come from this operator's own Redis, so another install's teams never show up here.
    const trafficTeams = await readTeams(deps.redis);
    redisRoundTrips++;
    created = await createMissingBudgets(
      deps.kube,
      missingTeams([...trafficTeams, ...input.namespaceTeams], budgets),
      deps.scopeLabels,
    );
  }

  return {
    teams: budgets.length,
    redisRoundTrips,
    statusWrites: statusResult.writes.length,
    conflicts: statusResult.conflicts,
    eventsCreated,
    restored,
    created,
    published,
    errors: statusResult.errors,
  };
}
