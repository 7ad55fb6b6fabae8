// `tollgate report` end to end: records go in through the ledger writer, the
// report comes out in every format, and parsed back it matches the records.
// Uses its own redis-server so the set of teams (and the price table) is ours alone.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRICES_KEY, ledgerKeys } from '../../core/ledger-keys.js';
import { formatUsd } from '../../core/money.js';
import type { UsageRecord } from '../../core/usage.js';
import { RedisLedgerWriter } from '../../ledger/writer.js';
import { runReport } from '../../sidecar/report/main.js';
import { stopProcess } from '../cluster/processes.js';
import { startRedis } from '../cluster/redis.js';
import { sum, usage } from '../ledger/records.js';
import { csvObjects } from './csv-parse.js';

const dir = mkdtempSync(join(tmpdir(), 'tollgate-report-'));
let server: Awaited<ReturnType<typeof startRedis>>;
let redis: Redis;
const records: UsageRecord[] = [];
const weekly: UsageRecord[] = [];

async function report(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runReport(['--redis', server.url, ...args], {
    out: (text) => (out += text),
    err: (text) => (err += text),
    now: new Date('2026-12-04T20:00:00Z'),
  });
  return { code, out, err };
}

const exact = (cost: bigint) => formatUsd(cost, 12);

beforeAll(async () => {
  server = await startRedis(dir, 'redis-report');
  redis = new Redis(server.url);
  const writer = await RedisLedgerWriter.start({ redis, spoolPath: join(dir, 'spool.jsonl') });
  for (const team of ['payments', 'search']) {
    for (let i = 0; i < 40; i++) records.push(usage(team, i));
  }
  // A weekly team: "current" on 2026-12-04 is ISO week 49 under its policy.
  await redis.set(
    ledgerKeys.policy('weekly-team'),
    JSON.stringify({ version: 1, spec: { period: 'Weekly', enforcement: 'Soft' } }),
  );
  for (let i = 0; i < 5; i++) weekly.push(usage('weekly-team', i));
  await Promise.all(records.map((r) => writer.record(r, '2026-12')));
  await Promise.all(weekly.map((r) => writer.record(r, '2026-W49')));
  await writer.close();
  await redis.set(
    PRICES_KEY,
    JSON.stringify({
      version: 1,
      prices: [
        { provider: 'openai', model: 'gpt-4o', currency: 'USD', prices: { input: '2.5', output: '10' } },
        {
          provider: 'anthropic',
          model: 'claude-sonnet-4',
          currency: 'USD',
          prices: { input: '3', output: '15' },
        },
      ],
    }),
  );
});

afterAll(async () => {
  redis?.disconnect();
  if (server) await stopProcess(server.process.pid);
  rmSync(dir, { recursive: true, force: true });
});

describe('tollgate report', () => {
  it('JSON per team for an explicit period equals the records, to the pico-dollar', async () => {
    const { code, out } = await report(
      '--period',
      '2026-12',
      '--format',
      'json',
      '--team',
      'payments',
      '--team',
      'search',
    );
    expect(code).toBe(0);
    const rows = JSON.parse(out) as Record<string, string | number | null>[];
    expect(rows.map((r) => r.team)).toEqual(['payments', 'search']);
    for (const row of rows) {
      const mine = records.filter((r) => r.team === row.team);
      expect(row.cost_usd).toBe(exact(sum(mine, (r) => r.cost)));
      expect(row.requests).toBe(mine.length);
      expect(row.output_tokens).toBe(Number(sum(mine, (r) => BigInt(r.tokens.output))));
      expect(row.cached_input_tokens).toBe(Number(sum(mine, (r) => BigInt(r.tokens.cached_input))));
      expect(row.estimated_requests).toBe(mine.filter((r) => r.estimated).length);
      expect(row.model).toBeNull();
    }
  });

  it('CSV by model and job (from hourly buckets) parses back to the records', async () => {
    const { code, out, err } = await report('--period', '2026-12', '--format', 'csv', '--by', 'model,job');
    expect(code).toBe(0);
    expect(err).toBe('');
    const rows = csvObjects(out);
    const teams = new Set(rows.map((r) => r.team));
    expect([...teams]).toEqual(['payments', 'search']); // the weekly team has nothing in period 2026-12
    for (const row of rows) {
      const mine = records.filter((r) => r.team === row.team && r.model === row.model && r.job === row.job);
      expect(mine.length).toBeGreaterThan(0);
      expect(row.cost_usd).toBe(exact(sum(mine, (r) => r.cost)));
      expect(row.requests).toBe(String(mine.length));
      expect(row.input_tokens).toBe(sum(mine, (r) => BigInt(r.tokens.input)).toString());
    }
    expect(rows.reduce((n, r) => n + Number(r.requests), 0)).toBe(records.length);
  });

  it('follows each team’s own period for "current", and the table shows it', async () => {
    const { out } = await report('--format', 'json', '--by', 'job');
    const rows = JSON.parse(out) as Record<string, string | number | null>[];
    const weeklyRows = rows.filter((r) => r.team === 'weekly-team');
    expect(new Set(weeklyRows.map((r) => r.period))).toEqual(new Set(['2026-W49']));
    expect(weeklyRows.reduce((n, r) => n + Number(r.requests), 0)).toBe(weekly.length);
    expect(rows.find((r) => r.team === 'payments')?.period).toBe('2026-12');
    const table = (await report('--team', 'weekly-team')).out;
    expect(table).toMatch(/^TEAM\s+PERIOD\s+COST \(USD\)/);
    expect(table).toContain('weekly-team  2026-W49');
  });

  it('exports FOCUS rows per model with providers from the price table', async () => {
    const { code, out } = await report('--period', '2026-12', '--format', 'focus', '--team', 'payments');
    expect(code).toBe(0);
    const rows = csvObjects(out);
    const mine = records.filter((r) => r.team === 'payments');
    expect(rows.map((r) => r.x_Model).sort()).toEqual([...new Set(mine.map((r) => r.model))].sort());
    for (const row of rows) {
      const ofModel = mine.filter((r) => r.model === row.x_Model);
      expect(row.BilledCost).toBe(exact(sum(ofModel, (r) => r.cost)));
      expect(row.EffectiveCost).toBe(row.BilledCost);
      expect(row.ChargeCategory).toBe('Usage');
      expect(row.BillingPeriodStart).toBe('2026-12-01T00:00:00Z');
      expect(row.ServiceCategory).toBe('AI and Machine Learning');
      expect(row.SubAccountId).toBe('payments');
    }
    expect(rows.find((r) => r.x_Model === 'gpt-4o')?.ProviderName).toBe('OpenAI');
    expect(rows.find((r) => r.x_Model === 'claude-sonnet-4')?.ServiceName).toBe('Anthropic API');
    expect(rows.find((r) => r.x_Model?.startsWith('ft:'))?.ProviderName).toBe('Unknown');
  });

  it('explains bad arguments with exit code 2', async () => {
    const { code, err } = await report('--format', 'xml');
    expect(code).toBe(2);
    expect(err).toMatch(/--format must be one of table, json, csv, focus/);
    expect((await report('--by', 'pod')).code).toBe(2);
    const badPeriod = await report('--period', 'someday');
    expect(badPeriod.code).toBe(2);
    expect(badPeriod.err).toMatch(/not a period id/);
  });
});
