// The ledger on a real three-node Redis Cluster: the same record script
// (every key of a call in the team's slot), and reads of teams that live on
// different nodes.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ledgerKeys } from '../../core/ledger-keys.js';
import { readHours, readPeriods, readTeams } from '../../ledger/reader.js';
import { RedisLedgerWriter } from '../../ledger/writer.js';
import { runReport } from '../../sidecar/report/main.js';
import { startRedisCluster, type RedisCluster } from '../cluster/redis-cluster.js';
import { sum, usage } from './records.js';

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

it('records with the same script on every node, exactly and once per request id', async () => {
  const writer = await RedisLedgerWriter.start({
    redis: client,
    spoolPath: join(mkdtempSync(join(tmpdir(), 'tollgate-cluster-')), 'spool.jsonl'),
    commandTimeoutMs: 2000,
  });
  const writeTeams = ['alpha', 'bravo', 'charlie', 'delta', 'echo'];
  const records = writeTeams.flatMap((team) => Array.from({ length: 60 }, (_, i) => usage(team, i)));
  await Promise.all(records.map((r) => writer.record(r, '2026-12')));
  await Promise.all(records.slice(0, 20).map((r) => writer.record(r, '2026-12'))); // replays
  await writer.close();
  expect(writer.spoolDepth).toBe(0);

  const periods = await readPeriods(
    client,
    writeTeams.map((team) => ({ team, periodId: '2026-12' })),
  );
  for (const { team, totals } of periods) {
    const mine = records.filter((r) => r.team === team);
    expect(totals.cost).toBe(sum(mine, (r) => r.cost));
    expect(totals.requests).toBe(mine.length);
    expect(await client.xlen(ledgerKeys.events(team))).toBe(mine.length);
  }
  expect(await readTeams(client)).toEqual(expect.arrayContaining(writeTeams));
  let out = '';
  const code = await runReport(
    [
      ...['--redis', `redis://127.0.0.1:${cluster.nodes[0]!.port}`, '--cluster'],
      ...['--period', '2026-12', '--by', 'model,job', '--format', 'json'],
    ],
    { out: (text) => (out += text), err: (text) => (out += text) },
  );
  expect(code).toBe(0);
  const reported = JSON.parse(out) as { team: string; cost_usd: string; requests: number }[];
  for (const team of writeTeams) {
    const mine = records.filter((r) => r.team === team);
    const rows = reported.filter((r) => r.team === team);
    expect(rows.reduce((n, r) => n + r.requests, 0)).toBe(mine.length);
    expect(sum(rows, (r) => BigInt(r.cost_usd.replace('.', '')))).toBe(sum(mine, (r) => r.cost));
  }
  const rows = await readHours(client, 'alpha', new Date('2026-12-04T00:00Z'), new Date('2026-12-04T23:00Z'));
  expect(sum(rows, (r) => r.cost)).toBe(
    sum(
      records.filter((r) => r.team === 'alpha'),
      (r) => r.cost,
    ),
  );
});
