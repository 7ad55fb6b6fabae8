// The reader against hashes laid out exactly as core/usage.ts describes them.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEAMS_KEY, ledgerKeys } from '../../core/ledger-keys.js';
import { parsePeriodHash, readHours, readPeriods, readTeams } from '../../ledger/reader.js';

const redis = new Redis(process.env.TOLLGATE_REDIS_URL!);
const team = `reader-${process.pid}`;

beforeAll(async () => {
  await redis.hset(ledgerKeys.period(team, '2026-12'), {
    cost: '123456789012345678',
    requests: '3',
    'requests:estimated': '1',
    'tokens:input': '100',
    'tokens:output': '40',
    'tokens:reasoning': '7',
    'model|ft:gpt-4o-mini:acme:custom:abc|cost': '123456789012345000',
    'model|ft:gpt-4o-mini:acme:custom:abc|requests': '2',
    'model|ft:gpt-4o-mini:acme:custom:abc|tokens:cached_input': '9',
    'model|claude-x|cost': '678',
    'job|checkout-api|cost': '123456789012345678',
    'job|checkout-api|tokens:output': '40',
    'some-future-field': '5',
  });
  await redis.hset(ledgerKeys.hour(team, '2026-12-04T19'), {
    'gpt-4o|batch|cost': '10',
    'gpt-4o|batch|requests': '1',
    'gpt-4o|batch|tokens:input': '3',
  });
  await redis.hset(ledgerKeys.hour(team, '2026-12-04T21'), {
    'gpt-4o|batch|cost': '5',
    'a:b|api|requests': '2',
  });
  await redis.sadd(TEAMS_KEY, team);
});

afterAll(() => redis.quit());

describe('parsePeriodHash', () => {
  it('splits breakdown fields at the first and last bar, so model names keep their colons', () => {
    const totals = parsePeriodHash({ 'model|a:b|c|tokens:input': '4', 'job|x|requests': '2' });
    expect(totals.byModel.get('a:b|c')?.tokens.input).toBe(4);
    expect(totals.byJob.get('x')?.requests).toBe(2);
    expect(totals.requests).toBe(0);
  });
});

describe('readPeriods', () => {
  it('reads totals, per-model and per-job breakdowns as exact integers', async () => {
    const [result, missing] = await readPeriods(redis, [
      { team, periodId: '2026-12' },
      { team, periodId: '1999-01' },
    ]);
    const totals = result!.totals;
    expect(totals.cost).toBe(123456789012345678n);
    expect(totals.requests).toBe(3);
    expect(totals.estimatedRequests).toBe(1);
    expect(totals.tokens).toEqual({ input: 100, cached_input: 0, cache_write: 0, output: 40 });
    expect(totals.reasoningTokens).toBe(7);
    const fineTune = totals.byModel.get('ft:gpt-4o-mini:acme:custom:abc');
    expect(fineTune?.cost).toBe(123456789012345000n);
    expect(fineTune?.tokens.cached_input).toBe(9);
    expect(totals.byModel.get('claude-x')?.cost).toBe(678n);
    expect(totals.byJob.get('checkout-api')?.tokens.output).toBe(40);
    expect(missing!.totals.requests).toBe(0);
    expect(missing!.totals.byModel.size).toBe(0);
  });
});

describe('readTeams and readHours', () => {
  it('lists the team', async () => {
    expect(await readTeams(redis)).toContain(team);
  });

  it('returns every hour in range, both ends included, with empty hours skipped', async () => {
    const rows = await readHours(
      redis,
      team,
      new Date('2026-12-04T19:59:00Z'),
      new Date('2026-12-04T21:00:00Z'),
    );
    expect(rows.map((r) => [r.hour, r.model, r.job, r.cost, r.requests])).toEqual([
      ['2026-12-04T19', 'gpt-4o', 'batch', 10n, 1],
      ['2026-12-04T21', 'a:b', 'api', 0n, 2],
      ['2026-12-04T21', 'gpt-4o', 'batch', 5n, 0],
    ]);
    expect(rows[0]!.tokens.input).toBe(3);
  });
});
