// The enforcer against real Redis: period rollover (injected clock), and
// failMode when its Redis stops (a private redis-server, stopped for real).
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePricePerMillion, parseUsd } from '../../core/money.js';
import type { TeamBudgetSpec } from '../../core/types.js';
import { RedisLedgerWriter } from '../../ledger/writer.js';
import { createEnforcer, type CallToAdmit } from '../../sidecar/enforce/enforcer.js';
import { compilePolicy } from '../../sidecar/enforce/policy.js';
import { startRedis } from '../cluster/redis.js';
import { stopProcess, type Started } from '../cluster/processes.js';

const logger = pino({ level: 'silent' });
// $1 per 1M tokens both ways: a token costs exactly 1 micro-USD.
const prices = { input: 1_000_000n, cached_input: 1_000_000n, cache_write: 1_000_000n, output: 1_000_000n };

function enforcerFor(redis: Redis, spec: TeamBudgetSpec, registry = new Registry()) {
  const team = `t-${randomUUID()}`;
  const policy = compilePolicy(team, spec, '1');
  return {
    team,
    policy,
    registry,
    enforcer: createEnforcer({ team, redis, policy: () => policy, logger, registry }),
  };
}

const call = (at: number, maxTokens: number): CallToAdmit => ({
  model: 'gpt-4o',
  requestId: randomUUID(),
  at,
  body: { model: 'gpt-4o', max_tokens: maxTokens },
  bodyBytes: 100,
  prices: { ...prices, output: parsePricePerMillion('1') },
});

describe('period rollover', () => {
  const redis = new Redis(process.env.TOLLGATE_REDIS_URL ?? '');
  let writer: RedisLedgerWriter;
  beforeAll(async () => {
    writer = await RedisLedgerWriter.start({
      redis,
      spoolPath: join(mkdtempSync(join(tmpdir(), 'tollgate-rollover-')), 'spool.jsonl'),
    });
  });
  afterAll(async () => {
    await writer.close();
    await redis.quit();
  });

  it('starts a new period from zero', async () => {
    const { team, policy, enforcer } = enforcerFor(redis, {
      limit: '1',
      period: 'Daily',
      timezone: 'America/New_York',
      enforcement: 'Hard',
    });
    const lastSecond = Date.parse('2026-12-05T04:59:59Z'); // 23:59:59 on Dec 4 in New York
    const periodId = policy.window(new Date(lastSecond)).id;
    expect(periodId).toBe('2026-12-04');
    const first = call(lastSecond, 100);
    expect((await enforcer.admit(first)).admitted).toBe(true);
    await writer.record(
      {
        requestId: first.requestId,
        team,
        namespace: 'ns',
        pod: 'pod',
        job: 'job',
        provider: 'openai',
        model: 'gpt-4o',
        tokens: { input: 0, cached_input: 0, cache_write: 0, output: 1 },
        reasoningTokens: 0,
        cost: parseUsd('1'), // the whole day's budget
        at: lastSecond,
        estimated: false,
        unpriced: false,
        status: 200,
      },
      periodId,
      first.requestId,
    );
    const refused = await enforcer.admit(call(lastSecond, 100));
    expect(refused.admitted === false && refused.refusal.message).toBe(
      `team ${team} has spent $1.00 of its $1.00 Daily budget; the period resets 2026-12-05T05:00Z`,
    );
    expect((await enforcer.admit(call(lastSecond + 1000, 100))).admitted).toBe(true);
  });
});

describe('failMode when Redis stops', () => {
  let server: { process: Started; url: string };
  let redis: Redis;
  beforeAll(async () => {
    server = await startRedis(mkdtempSync(join(tmpdir(), 'tollgate-failmode-')), 'failmode-redis');
    redis = new Redis(server.url, { maxRetriesPerRequest: 1 });
    redis.on('error', () => undefined);
  });
  afterAll(async () => {
    redis.disconnect();
    await stopProcess(server.process.pid);
  });

  it('serves unchecked under Open and refuses with 503 under Closed', async () => {
    const spec: TeamBudgetSpec = { limit: '10', period: 'Monthly', enforcement: 'Hard' };
    const open = enforcerFor(redis, { ...spec, failMode: 'Open' });
    const registry = new Registry();
    const closed = enforcerFor(redis, { ...spec, failMode: 'Closed' }, registry);
    const now = Date.now();
    expect(await open.enforcer.admit(call(now, 10))).toMatchObject({ admitted: true, unchecked: false });
    expect(await closed.enforcer.admit(call(now, 10))).toMatchObject({ admitted: true, unchecked: false });

    await stopProcess(server.process.pid);
    expect(await open.enforcer.admit(call(now, 10))).toMatchObject({ admitted: true, unchecked: true });
    const refused = await closed.enforcer.admit(call(now, 10));
    expect(refused).toMatchObject({ admitted: false, refusal: { status: 503, reason: 'redis_unavailable' } });
    const counted = await registry.getSingleMetric('tollgate_refusals_total')?.get();
    expect(counted?.values).toEqual([
      { value: 1, labels: { team: closed.team, reason: 'redis_unavailable' } },
    ]);
  });
});
