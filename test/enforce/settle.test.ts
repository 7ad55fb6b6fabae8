// Settle happens inside the ledger's record script: the same round trip that
// records the real cost releases the reservation and corrects token limits.
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerKeys } from '../../core/ledger-keys.js';
import { parseUsd } from '../../core/money.js';
import type { UsageRecord } from '../../core/usage.js';
import { RedisLedgerWriter } from '../../ledger/writer.js';
import { compilePolicy } from '../../sidecar/enforce/policy.js';
import { reserve, type ReserveRequest } from '../../sidecar/enforce/reserve.js';

const redis = new Redis(process.env.TOLLGATE_REDIS_URL ?? '');
let writer: RedisLedgerWriter;
beforeAll(async () => {
  const spoolPath = join(mkdtempSync(join(tmpdir(), 'tollgate-settle-')), 'spool.jsonl');
  writer = await RedisLedgerWriter.start({ redis, spoolPath });
});
afterAll(async () => {
  await writer.close();
  await redis.quit();
});

const NOW = Date.parse('2026-12-04T12:00:00Z');

function usage(team: string, requestId: string, output: number, cost: bigint): UsageRecord {
  return {
    requestId,
    team,
    namespace: 'ns',
    pod: 'pod',
    job: 'job',
    provider: 'openai',
    model: 'gpt-4o',
    tokens: { input: 50, cached_input: 0, cache_write: 0, output },
    reasoningTokens: 0,
    cost,
    at: NOW,
    estimated: false,
    unpriced: false,
    status: 200,
  };
}

describe('settle in the record script', () => {
  it('releases the reservation and records the real cost in one step', async () => {
    const team = `t-${randomUUID()}`;
    const call: ReserveRequest = {
      team,
      requestId: randomUUID(),
      periodId: '2026-12',
      now: NOW,
      limit: parseUsd('1'),
      worstCase: parseUsd('0.60'),
      estimatedTokens: 0,
      rateLimits: [],
      ttlMs: 60_000,
    };
    expect((await reserve(redis, call)).kind).toBe('admitted');
    expect((await reserve(redis, { ...call, requestId: randomUUID() })).kind).toBe('budget');
    await writer.record(usage(team, call.requestId, 10, parseUsd('0.006')), '2026-12', call.requestId);
    expect(await redis.hexists(ledgerKeys.reservations(team), call.requestId)).toBe(0);
    expect(await redis.hget(ledgerKeys.period(team, '2026-12'), 'cost')).toBe(String(parseUsd('0.006')));
    expect((await reserve(redis, { ...call, requestId: randomUUID() })).kind).toBe('admitted');
  });

  it('corrects tokens per minute from the estimate to the real count, once', async () => {
    const team = `t-${randomUUID()}`;
    const rateLimits = compilePolicy(team, {
      period: 'Monthly',
      enforcement: 'Soft',
      rateLimits: { tokensPerMinute: 1000 },
    }).rateLimitsFor('gpt-4o');
    const call = (requestId: string): ReserveRequest => ({
      team,
      requestId,
      periodId: '2026-12',
      now: NOW,
      limit: undefined,
      worstCase: 0n,
      estimatedTokens: 800,
      rateLimits,
      ttlMs: 60_000,
    });
    const first = randomUUID();
    expect((await reserve(redis, call(first))).kind).toBe('admitted');
    expect((await reserve(redis, call(randomUUID()))).kind).toBe('rate');
    // The call really used 50 + 50 tokens: 700 come back.
    const record = usage(team, first, 50, 1n);
    await writer.record(record, '2026-12', first);
    await writer.record(record, '2026-12', first); // a replay must not refund twice
    const second = await reserve(redis, call(randomUUID()));
    expect(second.kind === 'admitted' && second.limits[0]?.remaining).toBe(100);
  });
});
