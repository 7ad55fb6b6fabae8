// The record script on the real Redis from the global setup: exact sums,
// idempotent replays, hourly buckets, the event stream, the settle hook.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEAMS_KEY, ledgerKeys } from '../../core/ledger-keys.js';
import { hourId } from '../../core/period.js';
import { TOKEN_TYPES } from '../../core/types.js';
import { ledgerFields } from '../../core/usage.js';
import { readPeriods } from '../../ledger/reader.js';
import { RedisLedgerWriter } from '../../ledger/writer.js';
import { sum, usage } from './records.js';
import { waitFor } from '../support/wait.js';

/** XRANGE's flat [field, value, ...] list as an object. */
function pairs(flat: string[]): Record<string, string> {
  const result: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) result[flat[i]!] = flat[i + 1]!;
  return result;
}

const redis = new Redis(process.env.TOLLGATE_REDIS_URL!);
const run = `${process.pid}-${Date.now()}`;
let writer: RedisLedgerWriter;
const spoolPath = join(mkdtempSync(join(tmpdir(), 'tollgate-writer-')), 'spool.jsonl');

beforeAll(async () => {
  writer = await RedisLedgerWriter.start({
    redis,
    team: `registered-${run}`,
    spoolPath,
    hourRetentionSeconds: 3600,
    streamMaxLen: 50,
    replayIntervalMs: 50,
    commandTimeoutMs: 2000,
  });
});

afterAll(async () => {
  await writer.close();
  await redis.quit();
});

describe('record', () => {
  it('adds up many awkwardly priced records exactly, in totals and per model and job', async () => {
    const team = `exact-${run}`;
    const records = Array.from({ length: 500 }, (_, i) => usage(team, i));
    await Promise.all(records.map((r) => writer.record(r, '2026-12')));
    // On a loaded machine a few calls may outlast the timeout and go through the spool: same sums.
    await waitFor('the spool to drain', () => writer.spoolDepth === 0);

    const expectedCost = sum(records, (r) => r.cost);
    expect(expectedCost).toBeGreaterThan(2n ** 53n);
    const period = ledgerKeys.period(team, '2026-12');
    expect(await redis.hget(period, 'cost')).toBe(expectedCost.toString());
    expect(await redis.hget(period, 'requests')).toBe('500');
    for (const type of TOKEN_TYPES) {
      expect(await redis.hget(period, ledgerFields.tokens(type))).toBe(
        sum(records, (r) => BigInt(r.tokens[type])).toString(),
      );
    }
    const totals = (await readPeriods(redis, [{ team, periodId: '2026-12' }]))[0]!.totals;
    expect(totals.cost).toBe(expectedCost);
    expect(totals.estimatedRequests).toBe(records.filter((r) => r.estimated).length);
    expect(totals.reasoningTokens).toBe(Number(sum(records, (r) => BigInt(r.reasoningTokens))));
    for (const model of new Set(records.map((r) => r.model))) {
      const mine = records.filter((r) => r.model === model);
      expect(totals.byModel.get(model)?.cost).toBe(sum(mine, (r) => r.cost));
      expect(totals.byModel.get(model)?.requests).toBe(mine.length);
    }
    for (const job of new Set(records.map((r) => r.job))) {
      const mine = records.filter((r) => r.job === job);
      expect(totals.byJob.get(job)?.cost).toBe(sum(mine, (r) => r.cost));
      expect(totals.byJob.get(job)?.tokens.output).toBe(Number(sum(mine, (r) => BigInt(r.tokens.output))));
    }
  });

  it('counts a replayed request id once', async () => {
    const team = `replay-${run}`;
    const record = usage(team, 1);
    await writer.record(record, '2026-12');
    await writer.record(record, '2026-12');
    await writer.record({ ...record, cost: 1n }, '2026-12');
    const period = ledgerKeys.period(team, '2026-12');
    expect(await redis.hget(period, 'cost')).toBe(record.cost.toString());
    expect(await redis.hget(period, 'requests')).toBe('1');
    expect(await redis.xlen(ledgerKeys.events(team))).toBe(1);
    const seenTtl = await redis.ttl(ledgerKeys.seen(team, record.requestId));
    expect(seenTtl).toBeGreaterThan(7 * 24 * 3600 - 60);
  });

  it('fills hourly buckets per model and job, with the retention as TTL', async () => {
    const team = `hours-${run}`;
    const records = Array.from({ length: 30 }, (_, i) => usage(team, i));
    for (const r of records) await writer.record(r, '2026-12');
    let estimatedInHours = 0;
    for (const hour of new Set(records.map((r) => hourId(new Date(r.at))))) {
      const key = ledgerKeys.hour(team, hour);
      const ttl = await redis.ttl(key);
      expect(ttl).toBeGreaterThan(3500);
      expect(ttl).toBeLessThanOrEqual(3600);
      const inHour = records.filter((r) => hourId(new Date(r.at)) === hour);
      const hash = await redis.hgetall(key);
      for (const r of inHour) {
        const same = inHour.filter((o) => o.model === r.model && o.job === r.job);
        expect(hash[`${r.model}|${r.job}|cost`]).toBe(sum(same, (o) => o.cost).toString());
        expect(hash[`${r.model}|${r.job}|requests`]).toBe(String(same.length));
        expect(hash[`${r.model}|${r.job}|tokens:input`]).toBe(
          sum(same, (o) => BigInt(o.tokens.input)).toString(),
        );
      }
      for (const [field, value] of Object.entries(hash)) {
        if (field.endsWith('|requests:estimated')) estimatedInHours += Number(value);
      }
    }
    expect(estimatedInHours).toBeGreaterThan(0);
    expect(estimatedInHours).toBe(records.filter((r) => r.estimated).length);
  });

  it('appends one event per call to a capped stream, cost as an exact decimal string', async () => {
    const team = `stream-${run}`;
    const first = usage(team, 4, { unpriced: true, cost: 0n, estimated: true });
    await writer.record(first, '2026-12');
    const [[, fields]] = (await redis.xrange(ledgerKeys.events(team), '-', '+')) as [[string, string[]]];
    const event = pairs(fields);
    expect(event).toMatchObject({
      requestId: first.requestId,
      team,
      model: first.model,
      job: first.job,
      period: '2026-12',
      cost: '0',
      'tokens:output': String(first.tokens.output),
      estimated: '1',
      unpriced: '1',
      status: '200',
    });
    expect(await redis.hget(ledgerKeys.period(team, '2026-12'), 'requests:unpriced')).toBe('1');
    for (let i = 0; i < 400; i++) await writer.record(usage(team, i), '2026-12');
    // MAXLEN ~ 50 trims whole stream nodes (100 entries by default): well below 401.
    expect(await redis.xlen(ledgerKeys.events(team))).toBeLessThan(200);
  });

  it('releases the call’s reservation in the same script, and registers the team', async () => {
    const team = `settle-${run}`;
    const record = usage(team, 2);
    await redis.hset(ledgerKeys.reservations(team), record.requestId, '123', 'other', '456');
    await writer.record(record, '2026-12', record.requestId);
    expect(await redis.hgetall(ledgerKeys.reservations(team))).toEqual({ other: '456' });
    expect(await redis.sismember(TEAMS_KEY, `registered-${run}`)).toBe(1);
    expect(await redis.sismember(TEAMS_KEY, team)).toBe(1);
  });

  it('sets a record aside whole, never half-applied, when the pico-USD total would overflow int64', async () => {
    const team = `overflow-${run}`;
    const period = ledgerKeys.period(team, '2026-12');
    await redis.hset(period, { cost: '9223372036854775000', requests: '1' });
    const record = usage(team, 1, { cost: 1000n });
    await writer.record(record, '2026-12'); // Redis refuses: spooled, then rejected on replay
    await waitFor('the spool to drain', () => writer.spoolDepth === 0);
    expect(await redis.hgetall(period)).toEqual({ cost: '9223372036854775000', requests: '1' });
    expect(await redis.exists(ledgerKeys.seen(team, record.requestId))).toBe(0);
    await waitFor('the rejected file', () => existsSync(`${spoolPath}.rejected`));
    expect(readFileSync(`${spoolPath}.rejected`, 'utf8')).toContain(record.requestId);
  });

  it('refuses a record whose counts are not integers, before touching Redis', async () => {
    const team = `invalid-${run}`;
    const bad = usage(team, 1);
    bad.tokens.output = 1.5;
    await expect(writer.record(bad, '2026-12')).rejects.toThrow(
      /tokens.output must be a non-negative integer/,
    );
    expect(await redis.exists(ledgerKeys.period(team, '2026-12'))).toBe(0);
  });
});
