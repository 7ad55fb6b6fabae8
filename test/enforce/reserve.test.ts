// reserve.lua against the real Redis of the global setup.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { ledgerKeys } from '../../core/ledger-keys.js';
import { parseUsd, PICO_PER_USD } from '../../core/money.js';
import { compilePolicy } from '../../sidecar/enforce/policy.js';
import { reserve, type ReserveRequest } from '../../sidecar/enforce/reserve.js';

const redis = new Redis(process.env.TOLLGATE_REDIS_URL ?? '');
afterAll(() => redis.quit());

const NOW = Date.parse('2026-12-04T12:00:00Z');

function request(team: string, overrides: Partial<ReserveRequest> = {}): ReserveRequest {
  return {
    team,
    requestId: randomUUID(),
    periodId: '2026-12',
    now: NOW,
    limit: parseUsd('1'),
    worstCase: parseUsd('0.30'),
    estimatedTokens: 100,
    rateLimits: [],
    ttlMs: 60_000,
    ...overrides,
  };
}

describe('reserve.lua', () => {
  it('admits while spent + reserved + worst case fits, then refuses', async () => {
    const team = `t-${randomUUID()}`;
    await redis.hset(ledgerKeys.period(team, '2026-12'), 'cost', String(parseUsd('0.10')));
    const outcomes = [];
    for (let i = 0; i < 4; i++) outcomes.push(await reserve(redis, request(team)));
    expect(outcomes.map((o) => o.kind)).toEqual(['admitted', 'admitted', 'admitted', 'budget']);
    expect(outcomes[3]).toEqual({
      kind: 'budget',
      spent: parseUsd('0.10'),
      reserved: parseUsd('0.90'),
      worstCase: parseUsd('0.30'),
    });
    expect(await redis.hlen(ledgerKeys.reservations(team))).toBe(3);
  });

  it('compares exactly above 2^53 pico-USD (budgets over $9,007)', async () => {
    const team = `t-${randomUUID()}`;
    const limit = parseUsd('1000000');
    // Spent is $0.000001 short of the limit; a $0.000001 call fits, a $0.000002 one does not.
    await redis.hset(ledgerKeys.period(team, '2026-12'), 'cost', String(limit - 1_000_000n));
    expect((await reserve(redis, request(team, { limit, worstCase: 2_000_000n }))).kind).toBe('budget');
    expect((await reserve(redis, request(team, { limit, worstCase: 1_000_000n }))).kind).toBe('admitted');
  });

  it('rounds a sub-micro spend up, never down', async () => {
    const team = `t-${randomUUID()}`;
    await redis.hset(ledgerKeys.period(team, '2026-12'), 'cost', String(PICO_PER_USD - 1n));
    const outcome = await reserve(redis, request(team, { worstCase: 1n }));
    expect(outcome.kind).toBe('budget');
  });

  it('refuses even a free call once the budget is spent', async () => {
    const team = `t-${randomUUID()}`;
    await redis.hset(ledgerKeys.period(team, '2026-12'), 'cost', String(parseUsd('1')));
    expect((await reserve(redis, request(team, { worstCase: 0n }))).kind).toBe('budget');
  });

  it('drops the expired reservation of a crashed sidecar', async () => {
    const team = `t-${randomUUID()}`;
    expect((await reserve(redis, request(team, { worstCase: parseUsd('1') }))).kind).toBe('admitted');
    expect((await reserve(redis, request(team, { now: NOW + 59_000 }))).kind).toBe('budget');
    expect((await reserve(redis, request(team, { now: NOW + 60_000 }))).kind).toBe('admitted');
    expect(await redis.hlen(ledgerKeys.reservations(team))).toBe(1);
  });

  it('enforces requests per minute with GCRA and says when to retry', async () => {
    const team = `t-${randomUUID()}`;
    const rateLimits = compilePolicy(team, {
      period: 'Monthly',
      enforcement: 'Soft',
      rateLimits: { requestsPerMinute: 6 },
    }).rateLimitsFor('gpt-4o');
    const kinds = [];
    for (let i = 0; i < 7; i++)
      kinds.push((await reserve(redis, request(team, { limit: undefined, rateLimits }))).kind);
    expect(kinds).toEqual(['admitted', 'admitted', 'admitted', 'admitted', 'admitted', 'admitted', 'rate']);
    const refused = await reserve(redis, request(team, { limit: undefined, rateLimits }));
    expect(refused).toMatchObject({ kind: 'rate', retryAfterMs: 10_000 });
    // One emission interval (60 s / 6) later exactly one more fits.
    expect(
      (await reserve(redis, request(team, { limit: undefined, rateLimits, now: NOW + 10_000 }))).kind,
    ).toBe('admitted');
    expect(
      (await reserve(redis, request(team, { limit: undefined, rateLimits, now: NOW + 10_000 }))).kind,
    ).toBe('rate');
  });

  it('charges nothing when any limit refuses, and refuses the budget before the rate', async () => {
    const team = `t-${randomUUID()}`;
    const rateLimits = compilePolicy(team, {
      period: 'Monthly',
      enforcement: 'Hard',
      rateLimits: { requestsPerMinute: 100, tokensPerMinute: 1000 },
    }).rateLimitsFor('gpt-4o');
    const big = request(team, { rateLimits, estimatedTokens: 800, worstCase: parseUsd('0.01') });
    const first = await reserve(redis, big);
    expect(first).toMatchObject({ kind: 'admitted' });
    if (first.kind === 'admitted') {
      expect(first.limits.map((l) => l.remaining)).toEqual([99, 200]);
    }
    expect(await reserve(redis, { ...big, requestId: randomUUID() })).toMatchObject({ kind: 'rate' });
    // The refused call did not consume a request: 99 requests of 10 tokens still fit in the minute.
    const small = await reserve(redis, { ...big, requestId: randomUUID(), estimatedTokens: 10 });
    expect(small.kind === 'admitted' && small.limits[0]?.remaining).toBe(98);
  });
});
