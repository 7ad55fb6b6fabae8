// `startOperator`: wires the watches, the leader election, the sync loop, the
// metrics server and any extra components (the webhook server) together.
// Runs in-process in tests, with short intervals and an injectable clock.
import { hostname } from 'node:os';
import { KubeConfig } from '@kubernetes/client-node';
import { Redis } from 'ioredis';
import pino, { type Logger } from 'pino';
import { parseUsd } from '../core/money.js';
import { watch } from './informers.js';
import { kubeClients } from './kube.js';
import { LeaderElector } from './leader.js';
import { OperatorMetrics, serveMetrics } from './metrics.js';
import { EventRecorder } from './reconcile/events.js';
import { ConfigPublisher } from './reconcile/publish.js';
import { StatusWriter } from './reconcile/status.js';
import { defaultLeaseName, parseScope } from './scope.js';
import type { RunawayOptions } from './runaway.js';
import type { StatusOptions } from './status.js';
import { sidecarGapsByTeam } from './sidecar-gaps.js';
import { syncOnce, type SyncReport } from './sync.js';

/** A long-running part of the operator process, e.g. the webhook's HTTPS server. */
export interface Component {
  name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface OperatorOptions {
  /** Default: standard resolution (KUBECONFIG, ~/.kube/config, in-cluster). */
  kubeConfig?: KubeConfig;
  /** Default: TOLLGATE_REDIS_URL. */
  redisUrl?: string;
  syncIntervalMs?: number;
  /** false: no metrics server; 0: any free port. */
  metricsPort?: number | false;
  identity?: string;
  lease?: Partial<{
    namespace: string;
    /** Default: `tollgate-operator`, suffixed with a hash of the selector when scoped. */
    name: string;
    durationMs: number;
    renewDeadlineMs: number;
    retryPeriodMs: number;
  }>;
  /** Where Events about (cluster-scoped) TeamBudgets are recorded. */
  eventNamespace?: string;
  status?: { forecastWindowHours?: number; runaway?: Partial<RunawayOptions> };
  /** The clock; tests move it across a period boundary. */
  now?: () => Date;
  components?: Component[];
  logger?: Logger;
  /**
   * Equality label selector (`tollgate.dev/shard=a`): only TeamBudgets carrying
   * these labels are watched, synced, published, restored and counted, and the
   * budgets this operator creates carry them. Default: every TeamBudget.
   */
  selector?: string;
  /** false: never create TeamBudgets for teams seen in traffic or on namespaces. Default true. */
  autoCreate?: boolean;
  /** Test seam: runs right before each status write. */
  beforeStatusWrite?: (name: string) => Promise<void>;
}

export interface OperatorHandle {
  identity: string;
  metrics: OperatorMetrics;
  /** The metrics server's port, when one runs. */
  metricsPort?: number;
  isLeader(): boolean;
  /** The last completed sync, for tests and benchmarks. */
  lastSync(): SyncReport | undefined;
  /** Completed syncs so far (a follower never syncs). */
  syncs(): number;
  /** Graceful by default: releases the lease. `releaseLease: false` behaves like a crash. */
  stop(options?: { releaseLease?: boolean }): Promise<void>;
}

export const DEFAULT_SYNC_INTERVAL_MS = 15_000;

export const defaultStatusOptions: StatusOptions = {
  forecastWindowHours: 6,
  runaway: { factor: 10, trailingHours: 24, minSpend: parseUsd('1') },
};

export async function startOperator(options: OperatorOptions = {}): Promise<OperatorHandle> {
  const log = options.logger ?? pino({ name: 'tollgate-operator' });
  const now = options.now ?? (() => new Date());
  const identity = options.identity ?? `${hostname()}-${process.pid}`;
  const syncIntervalMs = options.syncIntervalMs ?? DEFAULT_SYNC_INTERVAL_MS;
  const redisUrl = options.redisUrl ?? process.env.TOLLGATE_REDIS_URL;
  if (!redisUrl) throw new Error('TOLLGATE_REDIS_URL is not set');
  const scope = parseScope(options.selector);

  let kubeConfig = options.kubeConfig;
  if (!kubeConfig) {
    kubeConfig = new KubeConfig();
    kubeConfig.loadFromDefault();
  }
  const kube = kubeClients(kubeConfig);
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  const metrics = new OperatorMetrics();
  const statusOptions = {
    ...defaultStatusOptions,
    ...options.status,
    runaway: { ...defaultStatusOptions.runaway, ...options.status?.runaway },
  };
  const deps = {
    kube,
    redis,
    metrics,
    statusOptions,
    scopeLabels: scope.labels,
    autoCreate: options.autoCreate ?? true,
    statuses: new StatusWriter(kube, {
      beforeWrite: options.beforeStatusWrite,
      onConflict: () => metrics.statusConflicts.inc(),
      mayWrite: () => leader.isLeader(),
    }),
    events: new EventRecorder(kube, options.eventNamespace ?? 'default', identity),
    publisher: new ConfigPublisher(redis),
  };

  let lastSync: SyncReport | undefined;
  let syncs = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  const leader = new LeaderElector(kube, {
    namespace: options.lease?.namespace ?? process.env.POD_NAMESPACE ?? 'default',
    name: options.lease?.name ?? defaultLeaseName(scope),
    identity,
    leaseDurationMs: options.lease?.durationMs ?? 15_000,
    renewDeadlineMs: options.lease?.renewDeadlineMs ?? 10_000,
    retryPeriodMs: options.lease?.retryPeriodMs ?? 2_000,
    onChange: (leading) => {
      metrics.leader.set(leading ? 1 : 0);
      log.info({ identity, leading }, leading ? 'became leader' : 'lost leadership');
      if (leading) schedule(0);
    },
  });
  const watches = watch(kube, () => schedule(100), scope);

  async function sync(): Promise<void> {
    if (!leader.isLeader() || !watches.ready()) return;
    const end = metrics.syncDuration.startTimer();
    try {
      const budgets = watches.budgets();
      lastSync = await syncOnce(deps, {
        budgets,
        prices: watches.prices(),
        namespaceTeams: watches.namespaceTeams(),
        sidecarGaps: sidecarGapsByTeam(
          watches.uninjectedPods(),
          watches.teamsByNamespace(),
          new Set(budgets.map((budget) => budget.metadata.name)),
        ),
        now: now(),
      });
      syncs++;
      metrics.syncErrors.inc(lastSync.errors.length);
      for (const error of lastSync.errors) log.warn({ err: error }, 'status write failed');
    } catch (error) {
      metrics.syncErrors.inc();
      log.error({ err: error }, 'sync failed');
    } finally {
      end();
    }
  }

  /** Runs a sync after `delayMs` (sooner wins), never two at once, then every interval. */
  function schedule(delayMs: number): void {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      running = running.then(sync).finally(() => schedule(syncIntervalMs));
    }, delayMs);
  }

  const components = options.components ?? [];
  await watches.start();
  leader.start();
  for (const component of components) await component.start();
  const metricsServer =
    options.metricsPort === false ? undefined : await serveMetrics(metrics, options.metricsPort ?? 9090);
  const address = metricsServer?.address();
  schedule(0);

  return {
    identity,
    metrics,
    metricsPort: address && typeof address === 'object' ? address.port : undefined,
    isLeader: () => leader.isLeader(),
    lastSync: () => lastSync,
    syncs: () => syncs,
    async stop({ releaseLease = true } = {}) {
      stopped = true;
      clearTimeout(timer);
      await running;
      await leader.stop({ release: releaseLease });
      for (const component of [...components].reverse()) await component.stop();
      await watches.stop();
      await new Promise<void>((resolve) =>
        metricsServer ? metricsServer.close(() => resolve()) : resolve(),
      );
      redis.disconnect();
    },
  };
}
