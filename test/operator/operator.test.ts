// The operator against the real apiserver and Redis: usage recorded by the
// real ledger writer reaches status, kubectl and metrics; thresholds raise
// Events once each; periods roll into history; leadership hands over without
// double counting; a 409 is retried; lost counters are restored.
import { PRICES_KEY, TEAMS_KEY, UPDATES_CHANNEL, ledgerKeys } from '../../core/ledger-keys.js';
import { parseUsd } from '../../core/money.js';
import { periodWindow } from '../../core/period.js';
import { API_VERSION } from '../../core/types.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { modelPrices, teamBudgets } from '../../operator/kube.js';
import type { OperatorHandle } from '../../operator/operator.js';
import { defaultLeaseName, parseScope } from '../../operator/scope.js';
import { installCrds } from '../crds/crd-files.js';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '../cluster/processes.js';
import { kubectl } from '../support/kube.js';
import { waitFor } from '../support/wait.js';
import {
  CALL_COST,
  LEASE_MS,
  SUITE,
  call,
  clients,
  createBudget,
  deleteBudgets,
  deleteScopedBudgets,
  eventsFor,
  getBudget,
  ledgerWriter,
  redisUrl,
  startTestOperator,
  suiteScope,
} from './harness.js';

const id = `${process.pid}`;
const monthOf = (at: Date) => periodWindow('Monthly', at).id;
let ledger: Awaited<ReturnType<typeof ledgerWriter>>;
const running: OperatorHandle[] = [];
const budgets: string[] = [];

async function operator(options: Parameters<typeof startTestOperator>[0]) {
  const handle = await startTestOperator(options);
  running.push(handle);
  return handle;
}

async function budget(name: string, spec: Parameters<typeof createBudget>[1]) {
  budgets.push(name);
  await createBudget(name, spec);
}

async function record(team: string, calls: number, at = new Date(), periodId = monthOf(at)) {
  for (let i = 0; i < calls; i++) await ledger.writer.record(call(team, at), periodId);
}

const statusOf = async (team: string) => (await getBudget(team)).status;
const waitForSpent = (team: string, spent: string, timeoutMs?: number) =>
  waitFor(
    `${team} status.spent = ${spent}`,
    async () => (await statusOf(team))?.spent === spent && (await statusOf(team))!,
    timeoutMs,
  );

beforeAll(async () => {
  await installCrds();
  ledger = await ledgerWriter();
  await ledger.redis.flushdb();
});

// Each scenario's operators and budgets go away with it: a leftover operator would write too.
afterEach(async () => {
  await Promise.all(running.splice(0).map((handle) => handle.stop()));
  await deleteBudgets(budgets.splice(0));
  // Whatever an operator auto-created carries this file's labels.
  await deleteScopedBudgets();
});

afterAll(async () => {
  await ledger?.close();
});

describe('operator', () => {
  it(
    'publishes prices and policy, and shows usage in status, kubectl, events and metrics',
    { timeout: 60_000 },
    async () => {
      const team = `alpha-${id}`;
      const priceName = `gpt-4o-${id}`;
      await budget(team, { limit: '10', alertThresholds: [50, 80, 100] });
      await clients().custom.createClusterCustomObject({
        ...modelPrices,
        body: {
          apiVersion: API_VERSION,
          kind: 'ModelPrice',
          metadata: { name: priceName },
          spec: { provider: 'openai', model: 'gpt-4o', prices: { input: '2.50', output: '10' } },
        },
      });
      try {
        // A new team's first calls would also count as runaway spend; that has its own scenario.
        const op = await operator({
          leaseName: `op-alpha-${id}`,
          status: { runaway: { minSpend: parseUsd('1000') } },
        });

        const policy = await waitFor('policy in Redis', async () => {
          const text = await ledger.redis.get(ledgerKeys.policy(team));
          return text ? (JSON.parse(text) as { version: number; spec: { limit?: string } }) : undefined;
        });
        expect(policy.spec).toMatchObject({ limit: '10', period: 'Monthly', enforcement: 'Hard' });
        const prices = JSON.parse((await ledger.redis.get(PRICES_KEY))!) as { prices: { model: string }[] };
        expect(prices.prices.map((p) => p.model)).toContain('gpt-4o');

        // A spec edit reaches Redis with a newer version, and sidecars hear of it at once.
        const subscriber = ledger.redis.duplicate();
        const notices: string[] = [];
        subscriber.on('message', (_channel: string, key: string) => notices.push(key));
        await subscriber.subscribe(UPDATES_CHANNEL);
        const current = await getBudget(team);
        await clients().custom.replaceClusterCustomObject({
          ...teamBudgets,
          name: team,
          body: { ...current, spec: { ...current.spec, limit: '10.00' } },
        });
        await waitFor('update notice', () => notices.includes(ledgerKeys.policy(team)));
        subscriber.disconnect();
        const updated = JSON.parse((await ledger.redis.get(ledgerKeys.policy(team)))!) as typeof policy;
        expect(updated.spec.limit).toBe('10.00');
        expect(updated.version).toBeGreaterThan(policy.version);

        await record(team, 2);
        const status = await waitForSpent(team, '7.00');
        expect(status).toMatchObject({
          remaining: '3.00',
          percentUsed: 70,
          requests: 2,
          phase: 'Warning',
          tokens: { input: 2_000_000, output: 200_000, cachedInput: 0, cacheWrite: 0 },
          byModel: [{ name: 'gpt-4o', spent: '7.00', requests: 2 }],
          byJob: [{ name: 'checkout-api', spent: '7.00', requests: 2 }],
        });

        const row = (await kubectl(['get', 'teambudgets', team, '--no-headers'])).trim().split(/\s+/);
        expect(row.slice(0, 5)).toEqual([team, 'Monthly', '10.00', '7.00', '70']);
        // The forecast moves with the clock; that it is projected from the burn rate is unit-tested.
        expect(parseUsd(row[5]!)).toBeGreaterThan(parseUsd('7'));
        expect(row[6]).toBe('Warning');

        await record(team, 1);
        await waitForSpent(team, '10.50');
        const expected = [
          'BudgetExceeded',
          'ThresholdCrossed 100%',
          'ThresholdCrossed 50%',
          'ThresholdCrossed 80%',
        ];
        const describeEvents = async () =>
          (await eventsFor(team))
            .map((e) =>
              e.reason === 'ThresholdCrossed'
                ? `${e.reason} ${/reached (\d+%)/.exec(e.message)![1]}`
                : e.reason,
            )
            .sort();
        await waitFor('threshold events', async () => (await describeEvents()).length >= expected.length);
        // Later syncs must not repeat them.
        const syncsSoFar = op.syncs();
        await waitFor('three more syncs', () => op.syncs() >= syncsSoFar + 3);
        expect(await describeEvents()).toEqual(expected);

        const metrics = await (await fetch(`http://127.0.0.1:${op.metricsPort}/metrics`)).text();
        expect(metrics).toContain(`tollgate_team_spent_usd{team="${team}"} 10.5`);
        expect(metrics).toContain(`tollgate_team_budget_usd{team="${team}"} 10`);
        expect(metrics).toMatch(/tollgate_operator_leader 1/);
        expect(metrics).toMatch(/tollgate_operator_sync_duration_seconds_count [1-9]/);
      } finally {
        await clients().custom.deleteClusterCustomObject({ ...modelPrices, name: priceName });
      }
    },
  );

  it('moves a closed period into history on rollover', { timeout: 60_000 }, async () => {
    const team = `roll-${id}`;
    await budget(team, { limit: '100', period: 'Daily' });
    let clock = new Date('2026-03-10T23:50:00Z');
    await operator({ leaseName: `op-roll-${id}`, now: () => clock });

    await record(team, 1, clock, '2026-03-10');
    await waitForSpent(team, '3.50');
    clock = new Date('2026-03-11T00:00:30Z');
    const rolled = await waitFor('rollover', async () => {
      const status = await statusOf(team);
      return status?.period?.id === '2026-03-11' && status;
    });
    expect(rolled.spent).toBe('0.00');
    expect(rolled.history).toEqual([
      {
        id: '2026-03-10',
        start: '2026-03-10T00:00:00.000Z',
        end: '2026-03-11T00:00:00.000Z',
        spent: '3.50',
        requests: 1,
        limit: '100',
      },
    ]);
    await waitFor('PeriodClosed event', async () =>
      (await eventsFor(team)).some((e) => e.reason === 'PeriodClosed'),
    );
  });

  it('flags runaway spend once', { timeout: 60_000 }, async () => {
    const team = `spike-${id}`;
    await budget(team, {});
    const op = await operator({ leaseName: `op-spike-${id}`, status: { runaway: { factor: 5 } } });
    await record(team, 2);
    const status = await waitFor('RunawaySpend', async () => {
      const s = await statusOf(team);
      return s?.conditions?.some((c) => c.type === 'RunawaySpend' && c.status === 'True') && s;
    });
    expect(status.phase).toBe('Warning');
    const syncsSoFar = op.syncs();
    await waitFor('three more syncs', () => op.syncs() >= syncsSoFar + 3);
    expect((await eventsFor(team)).filter((e) => e.reason === 'RunawaySpend')).toHaveLength(1);
  });

  it('lets only the leader write, and hands over without double counting', { timeout: 60_000 }, async () => {
    const team = `lead-${id}`;
    await budget(team, { limit: '100' });
    const leaseName = `op-lead-${id}`;
    const a = await operator({ leaseName, identity: 'replica-a' });
    const b = await operator({ leaseName, identity: 'replica-b' });
    const [leader, follower] = await waitFor('one leader', () =>
      a.isLeader() !== b.isLeader() ? (a.isLeader() ? [a, b] : [b, a]) : undefined,
    );
    await record(team, 2);
    await waitForSpent(team, '7.00');
    await waitFor('leader syncing', () => leader.syncs() >= 3);
    expect(follower.syncs()).toBe(0);

    // A crash: the lease is not released, so the follower waits it out.
    const crashedAt = Date.now();
    await leader.stop({ releaseLease: false });
    await waitFor('follower takes over', () => follower.isLeader(), LEASE_MS + 3_000);
    expect(Date.now() - crashedAt).toBeLessThan(LEASE_MS + 3_000);

    await record(team, 2);
    await waitForSpent(team, '14.00');
    const period = await ledger.redis.hget(ledgerKeys.period(team, monthOf(new Date())), 'cost');
    expect(BigInt(period!)).toBe(4n * CALL_COST);

    // A graceful stop releases the lease: a new replica takes over without waiting it out.
    const c = await operator({ leaseName, identity: 'replica-c' });
    await follower.stop();
    const lease = await clients().coordination.readNamespacedLease({ name: leaseName, namespace: 'default' });
    expect(lease.spec?.holderIdentity ?? '').not.toBe(follower.identity);
    await waitFor('replica-c leads', () => c.isLeader());
  });

  it('retries a status write that hit a 409', { timeout: 60_000 }, async () => {
    const team = `conflict-${id}`;
    await budget(team, { limit: '100' });
    let provoked = false;
    let hookError: unknown;
    const op = await operator({
      leaseName: `op-conflict-${id}`,
      // Someone else updates the object between the operator's read and its write: a real 409.
      beforeStatusWrite: async (name) => {
        if (name !== team || provoked) return;
        provoked = true;
        const current = await getBudget(team);
        await clients()
          .custom.replaceClusterCustomObject({
            ...teamBudgets,
            name: team,
            body: {
              ...current,
              metadata: {
                ...current.metadata,
                labels: { ...(current.metadata.labels as object), touched: 'yes' },
              },
            },
          })
          .catch((error: unknown) => (hookError = error));
      },
    });
    await record(team, 1);
    await waitForSpent(team, '3.50');
    expect(provoked).toBe(true);
    expect(hookError).toBeUndefined();
    expect((await op.metrics.statusConflicts.get()).values[0]?.value).toBeGreaterThanOrEqual(1);
    expect((await getBudget(team)).metadata.labels).toEqual({ ...SUITE.labels, touched: 'yes' });
  });

  it('restores counters Redis lost, so spend never goes backwards', { timeout: 60_000 }, async () => {
    const team = `loss-${id}`;
    await budget(team, {});
    await operator({ leaseName: `op-loss-${id}` });
    await record(team, 2);
    await waitForSpent(team, '7.00');

    const key = ledgerKeys.period(team, monthOf(new Date()));
    await ledger.redis.del(key);
    await waitFor(
      'counters restored',
      async () => (await ledger.redis.hget(key, 'cost')) === String(2n * CALL_COST),
    );
    expect(await ledger.redis.hget(key, 'requests')).toBe('2');
    expect(await ledger.redis.hget(key, 'model|gpt-4o|cost')).toBe(String(2n * CALL_COST));

    await record(team, 1);
    await waitForSpent(team, '10.50');
    expect(await ledger.redis.hget(key, 'cost')).toBe(String(3n * CALL_COST));
  });

  it(
    'creates a tracking-only TeamBudget, in its own scope, for teams in its Redis or on its labelled namespaces',
    { timeout: 60_000 },
    async () => {
      const seen = `seen-${id}`;
      const labelled = `label-${id}`;
      const foreign = `foreign-${id}`;
      const { core } = clients();
      // Only this scenario's team in this file's ledger: earlier scenarios' teams would be created too.
      await ledger.redis.del(TEAMS_KEY);
      await ledger.redis.sadd(TEAMS_KEY, seen);
      // The selector's labels make a namespace this operator's; a team label alone is another install's.
      const namespaces = {
        [`ns-${id}`]: { 'tollgate.dev/team': labelled, ...SUITE.labels },
        [`ns-foreign-${id}`]: { 'tollgate.dev/team': foreign },
      };
      for (const [name, labels] of Object.entries(namespaces))
        await core.createNamespace({ body: { metadata: { name, labels } } });
      budgets.push(foreign);
      try {
        const op = await operator({ leaseName: `op-auto-${id}`, autoCreate: true });
        for (const team of [seen, labelled]) {
          const created = await waitFor(`TeamBudget ${team}`, () => getBudget(team).catch(() => undefined));
          expect(created.spec.limit).toBeUndefined();
          // Stamped with the selector: the creating operator syncs it, no other does.
          expect(created.metadata.labels).toEqual({ ...SUITE.labels, 'tollgate.dev/auto-created': 'true' });
          await waitFor(`${team} synced`, async () => (await getBudget(team)).status?.spent === '0.00');
        }
        const syncsSoFar = op.syncs();
        await waitFor('three more syncs', () => op.syncs() >= syncsSoFar + 3);
        await expect(getBudget(foreign)).rejects.toMatchObject({ code: 404 });
      } finally {
        for (const name of Object.keys(namespaces)) await core.deleteNamespace({ name });
      }
    },
  );

  it('counts pods in team namespaces that run without the sidecar', { timeout: 60_000 }, async () => {
    const team = `pods-${id}`;
    const namespace = `pods-ns-${id}`;
    const { core } = clients();
    await budget(team, {});
    await core.createNamespace({
      body: { metadata: { name: namespace, labels: { 'tollgate.dev/team': team } } },
    });
    try {
      // The ServiceAccount admission plugin refuses pods until the controller manager makes "default".
      await waitFor('the default ServiceAccount', () =>
        core.readNamespacedServiceAccount({ name: 'default', namespace }).then(() => true),
      );
      // No webhook selects this namespace: the pods are stored as created (and, with no kubelet, stay Pending).
      const createPod = (name: string, labels: Record<string, string> = {}) =>
        core.createNamespacedPod({
          namespace,
          body: {
            metadata: { name, labels },
            spec: { containers: [{ name: 'app', image: 'registry.invalid/app:1' }] },
          },
        });
      await createPod('injected', { 'tollgate.dev/injected': 'true' });
      await createPod('opted-out', { 'tollgate.dev/inject': 'false' });
      await createPod('plain-a');
      await createPod('plain-b');
      const op = await operator({ leaseName: `op-pods-${id}` });
      const metricsText = async () => (await fetch(`http://127.0.0.1:${op.metricsPort}/metrics`)).text();
      const waitForCount = (count: number) =>
        waitFor(`${team} status.podsWithoutSidecar = ${count}`, async () => {
          const status = await statusOf(team);
          return status?.podsWithoutSidecar === count && status;
        });

      const two = await waitForCount(2);
      expect(two.podsWithoutSidecarExamples).toEqual([`${namespace}/plain-a`, `${namespace}/plain-b`]);
      expect(two.podsOptedOut).toBe(1);

      // A pod that finished no longer runs unmetered: the watch drops it.
      const finished = await core.readNamespacedPod({ name: 'plain-b', namespace });
      await core.replaceNamespacedPodStatus({
        name: 'plain-b',
        namespace,
        body: { ...finished, status: { ...finished.status, phase: 'Failed' } },
      });
      const one = await waitForCount(1);
      expect(one.podsWithoutSidecarExamples).toEqual([`${namespace}/plain-a`]);
      // A column only in the wide view, so the default `kubectl get teambudgets` keeps its columns.
      const [header, row] = (await kubectl(['get', 'teambudgets', team, '-o', 'wide'])).trim().split('\n');
      // Cells may be blank (no limit), so the column is found by its offset in the header.
      const offset = header!.indexOf('NO SIDECAR');
      expect(offset).toBeGreaterThan(0);
      expect(row!.slice(offset).split(/\s+/)[0]).toBe('1');
      await waitFor('the metrics at 1', async () => {
        const text = await metricsText();
        return (
          text.includes(`tollgate_pods_without_sidecar{team="${team}"} 1`) &&
          text.includes(`tollgate_pods_sidecar_opted_out{team="${team}"} 1`)
        );
      });

      // Unchanged counts write nothing: the object's resourceVersion holds across syncs.
      const version = (await getBudget(team)).metadata.resourceVersion;
      const syncsSoFar = op.syncs();
      await waitFor('three more syncs', () => op.syncs() >= syncsSoFar + 3);
      expect((await getBudget(team)).metadata.resourceVersion).toBe(version);

      await core.deleteNamespacedPod({ name: 'plain-a', namespace, gracePeriodSeconds: 0 });
      const none = await waitForCount(0);
      expect(none.podsWithoutSidecarExamples).toBeUndefined();
      await waitFor('the metric at 0', async () =>
        (await metricsText()).includes(`tollgate_pods_without_sidecar{team="${team}"} 0`),
      );
    } finally {
      await core.deleteNamespace({ name: namespace });
    }
  });

  it('runs as `tollgate operator` and releases its lease on SIGTERM', { timeout: 60_000 }, async () => {
    // Scoped: its lease is its selector's own, so a shard beside it in the namespace elects apart.
    const leaseName = defaultLeaseName(parseScope(SUITE.selector));
    expect(leaseName).toMatch(/^tollgate-operator-[0-9a-f]{10}$/);
    const metricsPort = await freePort();
    const child = spawn(
      join('node_modules', '.bin', 'tsx'),
      [
        'cli.ts',
        'operator',
        '--sync-interval',
        '0.5',
        '--metrics-port',
        String(metricsPort),
        '--lease-namespace',
        'default',
        // Scoped to this file and creating nothing, as every test operator is.
        '--selector',
        SUITE.selector,
      ],
      {
        env: { ...process.env, TOLLGATE_REDIS_URL: redisUrl(), TOLLGATE_AUTO_CREATE: 'false' },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      await waitFor(
        'the CLI operator leads',
        async () => {
          const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
          return /tollgate_operator_leader 1/.test(text);
        },
        30_000,
      );
      const held = await clients().coordination.readNamespacedLease({
        name: leaseName,
        namespace: 'default',
      });
      expect(held.spec?.holderIdentity).toBeTruthy();
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    const released = await clients().coordination.readNamespacedLease({
      name: leaseName,
      namespace: 'default',
    });
    expect(released.spec?.holderIdentity ?? '').toBe('');
  });

  it('`tollgate operator` refuses a set-based selector before touching anything', async () => {
    const child = spawn(
      join('node_modules', '.bin', 'tsx'),
      ['cli.ts', 'operator', '--metrics-port', String(await freePort()), '--selector', 'tier in (gold)'],
      { env: { ...process.env, TOLLGATE_REDIS_URL: redisUrl() }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).not.toBe(0);
    expect(stderr).toContain('"tier in (gold)" is not key=value: only equality selectors are supported');
  });

  it(
    'two operators with their own selectors and Redis databases each write only their own budgets',
    { timeout: 60_000 },
    async () => {
      const other = suiteScope('operator-other');
      const otherDb = redisUrl(13);
      const mine = `iso-mine-${id}`;
      const theirs = `iso-theirs-${id}`;
      const newcomer = `iso-new-${id}`;
      await budget(mine, { limit: '100' });
      budgets.push(theirs, newcomer);
      await createBudget(theirs, { limit: '100' }, other.labels);
      const otherLedger = await ledgerWriter(otherDb);
      await otherLedger.redis.flushdb();
      await ledger.redis.del(TEAMS_KEY);
      // A fixed clock: the forecast cannot tick over, so an unchanged status really means "not written".
      const clock = new Date();
      const periodId = monthOf(clock);
      const recordIn = async (target: typeof ledger, team: string, calls: number) => {
        for (let i = 0; i < calls; i++) await target.writer.record(call(team, clock), periodId);
      };
      try {
        // Each database also holds traffic for the other's budget, so a cross-write would show:
        // mine in B's database at a different total, theirs nowhere in A's (A would restore it from status).
        await recordIn(ledger, mine, 2);
        await recordIn(otherLedger, theirs, 1);
        await recordIn(otherLedger, mine, 5);
        await recordIn(otherLedger, newcomer, 1);
        const quiet = {
          now: () => clock,
          autoCreate: true,
          status: { runaway: { minSpend: parseUsd('1000') } },
        };
        const a = await operator({ leaseName: `op-iso-a-${id}`, ...quiet });
        const b = await operator({
          leaseName: `op-iso-b-${id}`,
          redisUrl: otherDb,
          selector: other.selector,
          ...quiet,
        });
        await waitForSpent(mine, '7.00');
        await waitForSpent(theirs, '3.50');
        // B creates the team only its database knows, stamped into B's scope, so B syncs it.
        const created = await waitForSpent(newcomer, '3.50').then(() => getBudget(newcomer));
        expect(created.metadata.labels).toEqual({ ...other.labels, 'tollgate.dev/auto-created': 'true' });

        const versions = async () =>
          Promise.all(
            [mine, theirs, newcomer].map(async (name) => (await getBudget(name)).metadata.resourceVersion),
          );
        const before = await versions();
        const [syncsA, syncsB] = [a.syncs(), b.syncs()];
        await waitFor('three more syncs of each', () => a.syncs() >= syncsA + 3 && b.syncs() >= syncsB + 3);
        expect(await versions()).toEqual(before);
        expect((await statusOf(mine))?.spent).toBe('7.00');
        expect((await statusOf(theirs))?.spent).toBe('3.50');
        // Neither restored, published nor auto-created across: each database holds only its own.
        expect(await ledger.redis.exists(ledgerKeys.period(theirs, periodId))).toBe(0);
        expect(await ledger.redis.exists(ledgerKeys.policy(theirs))).toBe(0);
        expect(await otherLedger.redis.exists(ledgerKeys.policy(mine))).toBe(0);
        expect(await otherLedger.redis.hget(ledgerKeys.period(mine, periodId), 'cost')).toBe(
          String(5n * CALL_COST),
        );
        expect((await getBudget(mine)).metadata.labels).toEqual(SUITE.labels);

        // Not vacuous: B does write its own budget when its own ledger moves, and A still leaves it alone.
        await recordIn(otherLedger, theirs, 1);
        await waitForSpent(theirs, '7.00');
        expect((await getBudget(mine)).metadata.resourceVersion).toBe(before[0]);
      } finally {
        await deleteScopedBudgets(other);
        await otherLedger.redis.flushdb();
        await otherLedger.close();
      }
    },
  );
});
