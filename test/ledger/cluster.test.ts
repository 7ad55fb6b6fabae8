// readPeriods on a real three-node Redis Cluster: teams land on different
// nodes, and each team's keys must stay in one pipeline.
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ledgerKeys } from '../../core/ledger-keys.js';
import { readHours, readPeriods } from '../../ledger/reader.js';
import { startRedisCluster, type RedisCluster } from '../cluster/redis-cluster.js';

let cluster: RedisCluster;
let client: Cluster;
const teams = Array.from({ length: 12 }, (_, i) => `team-${i}`);

beforeAll(async () => {
  cluster = await startRedisCluster();
  client = new Cluster(cluster.nodes);
  for (const [i, team] of teams.entries()) {
    await client.hset(ledgerKeys.period(team, '2026-12'), {
      cost: String(1000 + i),
      'job|api|requests': '1',
    });
    await client.hset(ledgerKeys.hour(team, '2026-12-04T10'), { 'm|api|cost': String(i) });
  }
});

afterAll(async () => {
  await client?.quit();
  await cluster?.stop();
});

it('reads teams spread over several nodes, in request order', async () => {
  // The point of the test: the teams really are spread over more than one node.
  const slots = await Promise.all(teams.map((team) => client.cluster('KEYSLOT', ledgerKeys.policy(team))));
  expect(new Set(slots.map((slot) => client.slots[slot]?.[0])).size).toBeGreaterThan(1);
  const periods = await readPeriods(
    client,
    [...teams].reverse().map((team) => ({ team, periodId: '2026-12' })),
  );
  expect(periods.map((p) => [p.team, p.totals.cost])).toEqual(
    [...teams].reverse().map((team, i) => [team, BigInt(1000 + teams.length - 1 - i)]),
  );
  expect(periods.every((p) => p.totals.byJob.get('api')?.requests === 1)).toBe(true);
});

it('reads one team’s hours in one pipeline', async () => {
  const rows = await readHours(
    client,
    'team-5',
    new Date('2026-12-04T09:00Z'),
    new Date('2026-12-04T11:00Z'),
  );
  expect(rows.map((r) => r.cost)).toEqual([5n]);
});
