// One operator sync over 1,000 TeamBudgets with traffic, against a real
// apiserver and Redis: wall time, Redis round trips (counted at the client,
// independently of the operator's own report) and status writes.
// Run: npx tsx bench/operator-sync.ts   (appends to bench/RESULTS.md)
import { appendFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { Redis } from 'ioredis';
import { periodWindow } from '../core/period.js';
import { API_VERSION, type ModelPrice, type TeamBudget } from '../core/types.js';
import { RedisLedgerWriter } from '../ledger/writer.js';
import { kubeClients, teamBudgets } from '../operator/kube.js';
import { OperatorMetrics } from '../operator/metrics.js';
import { defaultStatusOptions } from '../operator/operator.js';
import { EventRecorder } from '../operator/reconcile/events.js';
import { ConfigPublisher } from '../operator/reconcile/publish.js';
import { StatusWriter } from '../operator/reconcile/status.js';
import { syncOnce, type SyncReport } from '../operator/sync.js';
import { clusterDown, clusterUp } from '../test/cluster/control-plane.js';
import { call } from '../test/operator/harness.js';
import { describeMachine } from './machine.js';
import { execFileSync } from 'node:child_process';

const TEAMS = 1_000;
const CALLS_PER_TEAM = 3;
const CHANGED_TEAMS = 100;

/** Counts every round trip the client makes: one per pipeline exec, one per plain command. */
function countingRedis(redis: Redis): { client: Redis; roundTrips: () => number } {
  let count = 0;
  const commands = new Set(redis.getBuiltinCommands());
  const client = new Proxy(redis, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      const fn = value as (...args: unknown[]) => unknown;
      if (prop === 'pipeline') {
        return (...args: unknown[]) => {
          const pipeline = fn.apply(target, args) as ReturnType<Redis['pipeline']>;
          const exec = pipeline.exec.bind(pipeline);
          pipeline.exec = (...execArgs: Parameters<typeof exec>) => {
            count++;
            return exec(...execArgs);
          };
          return pipeline;
        };
      }
      if (typeof prop === 'string' && commands.has(prop.toLowerCase())) {
        return (...args: unknown[]) => {
          count++;
          return fn.apply(target, args);
        };
      }
      return fn.bind(target);
    },
  });
  return { client, roundTrips: () => count };
}

async function inBatches<T>(items: T[], size: number, work: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(work));
}

const dir = mkdtempSync(join(tmpdir(), 'tollgate-bench-operator-'));
const cluster = await clusterUp(dir);
try {
  Object.assign(process.env, cluster.env);
  execFileSync('kubectl', ['apply', '-f', 'crds'], { env: process.env });
  execFileSync('kubectl', ['wait', '--for=condition=Established', 'crd/teambudgets.tollgate.dev'], {
    env: process.env,
  });
  const config = new KubeConfig();
  config.loadFromDefault();
  const custom = config.makeApiClient(CustomObjectsApi);
  const teams = Array.from({ length: TEAMS }, (_, i) => `team-${String(i).padStart(4, '0')}`);
  await inBatches(teams, 50, (name) =>
    custom.createClusterCustomObject({
      ...teamBudgets,
      body: { apiVersion: API_VERSION, kind: 'TeamBudget', metadata: { name }, spec: { limit: '100000' } },
    }),
  );

  const redis = new Redis(cluster.env.TOLLGATE_REDIS_URL);
  const writer = await RedisLedgerWriter.start({ redis, spoolPath: join(dir, 'spool.jsonl') });
  const record = (team: string) =>
    writer.record(call(team, new Date()), periodWindow('Monthly', new Date()).id);
  await inBatches(teams, 100, async (team) => {
    for (let i = 0; i < CALLS_PER_TEAM; i++) await record(team);
  });

  const counted = countingRedis(new Redis(cluster.env.TOLLGATE_REDIS_URL));
  const kube = kubeClients(config);
  const deps = {
    kube,
    redis: counted.client,
    metrics: new OperatorMetrics(),
    statusOptions: defaultStatusOptions,
    statuses: new StatusWriter(kube),
    events: new EventRecorder(kube, 'default', 'bench'),
    publisher: new ConfigPublisher(counted.client),
  };
  const list = async () =>
    ((await custom.listClusterCustomObject({ ...teamBudgets })) as { items: TeamBudget[] }).items;

  async function measure(label: string) {
    const budgets = await list();
    const before = counted.roundTrips();
    const start = performance.now();
    const report: SyncReport = await syncOnce(deps, {
      budgets,
      prices: [] as ModelPrice[],
      namespaceTeams: [],
      now: new Date(),
    });
    const ms = performance.now() - start;
    return { label, ms, roundTrips: counted.roundTrips() - before, report };
  }

  const runs = [await measure('first sync: every status new')];
  runs.push(await measure('no new traffic'));
  await inBatches(teams.slice(0, CHANGED_TEAMS), 100, record);
  runs.push(await measure(`traffic on ${CHANGED_TEAMS} teams`));

  const machine = describeMachine(false);
  const rows = runs.map(
    (r) =>
      `| ${r.label} | ${TEAMS} | ${(r.ms / 1000).toFixed(2)} s | ${r.roundTrips} (operator reports ${r.report.redisRoundTrips}) | ${r.report.statusWrites} | ${r.report.errors.length} |`,
  );
  const section = [
    '',
    `## Operator sync over ${TEAMS} TeamBudgets (${machine.date})`,
    '',
    `Machine: ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGiB} GiB, Node ${machine.node}, load ${machine.loadAverage.join(' ')}.`,
    `Local kube-apiserver + etcd + redis-server on loopback; ${CALLS_PER_TEAM} recorded calls per team via the ledger writer. Target: one sync <= 5 s, constant Redis round trips, status writes only for teams that changed.`,
    '',
    '| sync | budgets | time | Redis round trips | status writes | errors |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
  ].join('\n');
  appendFileSync('bench/RESULTS.md', section);
  process.stdout.write(section);
  await writer.close();
  redis.disconnect();
  counted.client.disconnect();
} finally {
  await clusterDown(dir);
}
