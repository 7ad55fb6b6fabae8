// npm run demo [-- --once]: the whole of Tollgate on this machine. A real
// control plane and Redis, the CRDs and price catalog, the operator and one
// sidecar per team (the built binary, as in a pod), a simulated provider, and
// the official SDKs making the calls. --once: a short run that leaves nothing behind.
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TeamBudget } from '../core/types.js';
import { clusterDown, clusterUp, readState, type ClusterEnv } from '../test/cluster/control-plane.js';
import { freePort, isAlive, logTail } from '../test/cluster/processes.js';
import { startSimulatedProvider, type SimulatedProvider } from '../test/upstream/simulated-provider.js';
import { priceCatalog } from './catalog.js';
import { LiveTable, getBudgets } from './live-table.js';
import {
  CLI,
  buildNeeded,
  kubectl,
  runInherited,
  startChild,
  stopChildren,
  waitForHttp,
  type Child,
} from './processes.js';
import { demoUsage, teamBudget, teams } from './scenario.js';
import { driveTraffic, type Tally } from './traffic.js';

const once = process.argv.includes('--once');
const TRAFFIC_MS = once ? 40_000 : 180_000;
const SYNC_SECONDS = 3;
const dir = resolve('.cluster');
const logDir = join(dir, 'demo');

const abort = new AbortController();
const step = (text: string) => console.log(`\n== ${text}`);
const stopIfAsked = () => {
  if (abort.signal.aborted) throw new Error('interrupted');
};

/** The usual shell exit status after a signal: 128 + its number. */
let signalExit = 0;
for (const [signal, number] of [
  ['SIGINT', 2],
  ['SIGTERM', 15],
] as const) {
  process.on(signal, () => {
    // A second Ctrl-C while a slow step (the cluster's start) finishes: give up at once.
    if (signalExit !== 0) process.exit(signalExit);
    signalExit = 128 + number;
    console.log(`\n${signal}: stopping everything the demo started…`);
    abort.abort();
  });
}

let crashed = false;
function onChildExit(child: Child, code: number | null): void {
  if (abort.signal.aborted) return;
  crashed = true;
  console.error(
    `\n${child.name} exited unexpectedly (${code}); last lines of ${child.log}:\n${logTail(child.log)}`,
  );
  abort.abort();
}

/** Polls `done` every second until it holds; false after `timeoutMs` or an interrupt. */
async function waitFor(done: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !abort.signal.aborted) {
    if (await done().catch(() => false)) return true;
    await sleep(1000, undefined, { signal: abort.signal }).catch(() => undefined);
  }
  return false;
}

async function installResources(env: ClusterEnv): Promise<void> {
  step('Installing the CRDs, the price catalog and three TeamBudgets');
  process.stdout.write(await kubectl(env, ['apply', '-f', 'crds/']));
  await kubectl(env, [
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    'crd/teambudgets.tollgate.dev',
    'crd/modelprices.tollgate.dev',
  ]);
  const catalog = await priceCatalog(env);
  await kubectl(env, ['apply', '-f', '-'], catalog.yaml);
  console.log(`price catalog: ${catalog.summary}`);
  const budgets = teams.map((team) => JSON.stringify(teamBudget(team))).join('\n');
  process.stdout.write(await kubectl(env, ['apply', '-f', '-'], budgets));
}

interface Running {
  operatorMetrics: string;
  sidecars: Map<string, { url: string; adminUrl: string }>;
}

async function startTollgate(env: ClusterEnv, provider: SimulatedProvider): Promise<Running> {
  step(`Starting the operator (sync every ${SYNC_SECONDS} s) and a sidecar per team (logs in ${logDir})`);
  const metricsPort = await freePort();
  const operator = startChild(
    'operator',
    ['operator', '--sync-interval', String(SYNC_SECONDS), '--metrics-port', String(metricsPort)],
    { ...env },
    logDir,
    onChildExit,
  );
  const operatorMetrics = `http://127.0.0.1:${metricsPort}/metrics`;
  await waitForHttp(operator, operatorMetrics, (status) => status === 200);

  const sidecars = new Map<string, { url: string; adminUrl: string }>();
  for (const team of teams) {
    const [port, adminPort] = [await freePort(), await freePort()];
    const child = startChild(
      `sidecar-${team.name}`,
      ['sidecar'],
      {
        ...env,
        TOLLGATE_TEAM: team.name,
        TOLLGATE_NAMESPACE: team.name,
        TOLLGATE_JOB: team.job,
        TOLLGATE_POD: `${team.job}-0`,
        TOLLGATE_LISTEN: `127.0.0.1:${port}`,
        TOLLGATE_ADMIN_LISTEN: `127.0.0.1:${adminPort}`,
        TOLLGATE_UPSTREAM_OPENAI: provider.url,
        TOLLGATE_UPSTREAM_ANTHROPIC: provider.url,
        TOLLGATE_UPSTREAM_GEMINI: provider.url,
        TOLLGATE_SPOOL_PATH: join(logDir, `${team.name}.spool`),
      },
      logDir,
      onChildExit,
    );
    const adminUrl = `http://127.0.0.1:${adminPort}`;
    // Ready with prices means the operator has published the catalog to Redis.
    await waitForHttp(child, `${adminUrl}/readyz`, (status, body) => {
      return status === 200 && (JSON.parse(body) as { pricesLoaded?: boolean }).pricesLoaded === true;
    });
    sidecars.set(team.name, { url: `http://127.0.0.1:${port}`, adminUrl });
  }
  const synced = await waitFor(async () => {
    const budgets = await getBudgets(env);
    return teams.every((team) => budgets.some((b) => b.metadata.name === team.name && b.status?.phase));
  }, 60_000);
  stopIfAsked();
  if (!synced) throw new Error(`the operator wrote no TeamBudget status within 60 s; see ${operator.log}`);
  return { operatorMetrics, sidecars };
}

/** True once every team's status counts every call that got through. */
async function caughtUp(env: ClusterEnv, tallies: Map<string, Tally>): Promise<boolean> {
  const budgets = await getBudgets(env);
  const requests = (name: string) =>
    budgets.find((b: TeamBudget) => b.metadata.name === name)?.status?.requests ?? 0;
  return [...tallies].every(([team, tally]) => requests(team) >= tally.ok);
}

function explore(env: ClusterEnv, running: Running): void {
  const metrics = [...running.sidecars].map(([team, s]) => `    ${team.padEnd(8)} ${s.adminUrl}/metrics`);
  console.log(`
== Explore (the operator and sidecars keep running until Ctrl-C; the control plane stays up after)
  source .cluster/env                  # KUBECONFIG, TOLLGATE_REDIS_URL, and the pinned kubectl/helm on PATH
  kubectl get teambudgets
  kubectl describe teambudget catalog  # status: spend by model and job, forecast, conditions
  kubectl get events                   # threshold crossings, budget exceeded, runaway spend
  node ${CLI} report --redis $TOLLGATE_REDIS_URL --by model,job
  curl -s ${running.operatorMetrics}   # operator
  sidecar metrics:
${metrics.join('\n')}
  logs: ${logDir}/
  npm run cluster:down                 # stops the control plane and Redis when you are done
  (KUBECONFIG=${env.KUBECONFIG})`);
}

async function main(): Promise<void> {
  let provider: SimulatedProvider | undefined;
  let startedCluster = false;
  try {
    if (buildNeeded()) {
      step('Building (npm run build)');
      await runInherited('npm', ['run', 'build']);
    }
    stopIfAsked();

    const existing = readState(dir);
    const reused = existing !== undefined && existing.processes.every((p) => isAlive(p.pid));
    step(
      reused
        ? `Reusing the control plane in ${dir}`
        : `Starting etcd, kube-apiserver, kube-controller-manager and Redis in ${dir}`,
    );
    if (!reused)
      console.log(
        '(the first run on a machine builds the pinned Kubernetes binaries from source: be patient)',
      );
    startedCluster = !reused;
    const { env } = await clusterUp(dir);
    if (reused)
      console.log(
        '(spend from earlier runs this month is still in its Redis: `npm run cluster:down` for a fresh start)',
      );
    stopIfAsked();

    await installResources(env);
    stopIfAsked();
    provider = await startSimulatedProvider({ usage: demoUsage, streamChunks: 5 });
    const running = await startTollgate(env, provider);

    const tallies = new Map<string, Tally>(teams.map((t) => [t.name, { ok: 0, refused: 0, failed: 0 }]));
    step(
      `Traffic for ${TRAFFIC_MS / 1000} s: catalog runs into its hard budget, search bursts, support stays steady`,
    );
    const live = new LiveTable(env, tallies);
    live.start(once ? 2000 : 5000);
    await driveTraffic(
      teams,
      new Map([...running.sidecars].map(([t, s]) => [t, s.url])),
      tallies,
      TRAFFIC_MS,
      abort.signal,
    );
    stopIfAsked();
    // The last calls reach the table at the operator's next sync.
    if (!(await waitFor(() => caughtUp(env, tallies), 30_000)))
      console.warn('  (the status did not catch up within 30 s)');
    await live.stop();
    await live.print();
    stopIfAsked();

    step('Chargeback: node dist/cli.js report --by model,job');
    await runInherited(process.execPath, [
      CLI,
      'report',
      '--redis',
      env.TOLLGATE_REDIS_URL,
      '--by',
      'model,job',
    ]);

    if (once) return;
    explore(env, running);
    await new Promise((resolve) => abort.signal.addEventListener('abort', resolve, { once: true }));
  } finally {
    await stopChildren();
    await provider?.close();
    if (once && startedCluster) {
      await clusterDown(dir);
      console.log('control plane stopped');
    } else if (once) {
      console.log(`left the control plane in ${dir} running, as it was before the demo`);
    }
  }
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    // After Ctrl-C, whatever the interrupted step threw is no news.
    if (signalExit !== 0 && !crashed) process.exit(signalExit);
    console.error(`\ndemo failed: ${error.message}`);
    process.exit(1);
  },
);
