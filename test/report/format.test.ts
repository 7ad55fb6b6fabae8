// The report's pure parts: CSV quoting, period ids, rows, FOCUS columns.
import { describe, expect, it } from 'vitest';
import { emptyBreakdown, parsePeriodHash, type HourUsage } from '../../ledger/reader.js';
import { toCsv } from '../../sidecar/report/csv.js';
import { focusRow, providerLookup } from '../../sidecar/report/focus.js';
import { formatCsv, formatTable } from '../../sidecar/report/format.js';
import { parsePolicy, resolvePeriod, windowOfId } from '../../sidecar/report/period.js';
import { parseDimensions, teamRows, type TeamLedger } from '../../sidecar/report/rows.js';
import { csvObjects, parseCsv } from './csv-parse.js';

const december = windowOfId('2026-12', 'UTC');

function ledger(hash: Record<string, string>, hours?: HourUsage[]): TeamLedger {
  return { team: 'payments', period: december, totals: parsePeriodHash(hash), hours };
}

describe('toCsv', () => {
  it('quotes commas, quotes and line breaks, and ends every line with CRLF', () => {
    const text = toCsv(
      ['a', 'b'],
      [
        ['ft:x,y', 'say "hi"'],
        ['line\nbreak', null],
      ],
    );
    expect(text).toBe('a,b\r\n"ft:x,y","say ""hi"""\r\n"line\nbreak",\r\n');
    expect(parseCsv(text)).toEqual([
      ['a', 'b'],
      ['ft:x,y', 'say "hi"'],
      ['line\nbreak', ''],
    ]);
  });
});

describe('periods', () => {
  it('finds the window of monthly, ISO weekly and daily ids', () => {
    expect([december.start.toISOString(), december.end.toISOString()]).toEqual([
      '2026-12-01T00:00:00.000Z',
      '2027-01-01T00:00:00.000Z',
    ]);
    expect(windowOfId('2026-W49', 'UTC').start.toISOString()).toBe('2026-11-30T00:00:00.000Z');
    expect(windowOfId('2026-W53', 'UTC').end.toISOString()).toBe('2027-01-04T00:00:00.000Z');
    expect(windowOfId('2026-12-04', 'Pacific/Kiritimati').start.toISOString()).toBe(
      '2026-12-03T10:00:00.000Z',
    );
    expect(windowOfId('2026-12-04', 'America/Los_Angeles').start.toISOString()).toBe(
      '2026-12-04T08:00:00.000Z',
    );
  });

  it('refuses ids that name no period', () => {
    expect(() => windowOfId('2026-13', 'UTC')).toThrow(/not a period id/);
    expect(() => windowOfId('last-month', 'UTC')).toThrow(/not a period id/);
  });

  it('resolves current and previous with the team policy', () => {
    const now = new Date('2026-01-15T12:00:00Z');
    expect(resolvePeriod('current', parsePolicy(null), now).id).toBe('2026-01');
    expect(resolvePeriod('previous', parsePolicy(null), now).id).toBe('2025-12');
    const weekly = parsePolicy(
      JSON.stringify({ version: 3, spec: { period: 'Weekly', enforcement: 'Soft' } }),
    );
    expect(resolvePeriod('previous', weekly, now).id).toBe('2026-W02');
  });
});

describe('rows', () => {
  const hash = {
    cost: '300',
    requests: '3',
    'tokens:input': '30',
    'model|b-model|cost': '100',
    'model|b-model|requests': '1',
    'model|a:model|cost': '200',
    'model|a:model|requests': '2',
    'job|api|cost': '300',
    'job|api|requests': '3',
  };

  it('breaks down by model, sorted, or by job', () => {
    expect(teamRows(ledger(hash), parseDimensions('model')).rows.map((r) => [r.model, r.usage.cost])).toEqual(
      [
        ['a:model', 200n],
        ['b-model', 100n],
      ],
    );
    expect(teamRows(ledger(hash), parseDimensions('job')).rows.map((r) => [r.job, r.usage.requests])).toEqual(
      [['api', 3]],
    );
    expect(teamRows(ledger(hash), []).rows[0]!.usage.tokens.input).toBe(30);
  });

  it('builds model x job from hours and warns when expired hours leave a gap', () => {
    const hour = (h: string, model: string, cost: bigint, requests: number): HourUsage => ({
      ...emptyBreakdown(),
      hour: h,
      model,
      job: 'api',
      cost,
      requests,
    });
    const complete = teamRows(
      ledger(hash, [
        hour('2026-12-01T00', 'a:model', 150n, 1),
        hour('2026-12-02T00', 'a:model', 50n, 1),
        hour('2026-12-02T00', 'b-model', 100n, 1),
      ]),
      ['model', 'job'],
    );
    expect(complete.rows.map((r) => [r.model, r.job, r.usage.cost])).toEqual([
      ['a:model', 'api', 200n],
      ['b-model', 'api', 100n],
    ]);
    expect(complete.warnings).toEqual([]);
    const partial = teamRows(ledger(hash, [hour('2026-12-02T00', 'b-model', 100n, 1)]), ['model', 'job']);
    expect(partial.warnings[0]).toMatch(/cover 1 of 3 requests/);
  });

  it('rejects unknown dimensions', () => {
    expect(() => parseDimensions('model,pod')).toThrow(/--by/);
  });
});

describe('formats', () => {
  const rows = teamRows(
    ledger({
      cost: '1234567890123',
      requests: '2',
      'model|gpt-4o|cost': '1234567890123',
      'model|gpt-4o|requests': '2',
    }),
    ['model'],
  ).rows;

  it('writes exact 12-decimal USD in CSV', () => {
    const [row] = csvObjects(formatCsv(rows));
    expect(row).toMatchObject({
      team: 'payments',
      period: '2026-12',
      model: 'gpt-4o',
      job: '',
      cost_usd: '1.234567890123',
    });
    expect(row!.period_start).toBe('2026-12-01T00:00:00Z');
  });

  it('aligns the table and rounds for people only', () => {
    const lines = formatTable(rows).trimEnd().split('\n');
    expect(lines[0]).toMatch(/^TEAM\s+PERIOD\s+MODEL\s+COST \(USD\)/);
    expect(lines[1]).toMatch(/^payments\s+2026-12\s+gpt-4o\s+1\.234568\s+2\b/);
    expect(formatTable([])).toMatch(/no usage/);
  });

  it('fills the FOCUS columns from the row and the price table', () => {
    const providerOf = providerLookup([
      {
        provider: 'openai',
        model: 'gpt-4o',
        aliases: ['gpt-4o-2024-*'],
        currency: 'USD',
        prices: { input: '2.5', output: '10' },
      },
    ]);
    expect(providerOf('gpt-4o-2024-08-06')).toBe('openai');
    expect(providerOf('gpt-4oX')).toBeUndefined();
    const row = { ...rows[0]!, job: 'checkout-api' };
    row.usage = {
      ...row.usage,
      tokens: { input: 1_500_000, cached_input: 250_000, cache_write: 0, output: 7 },
    };
    const focus = focusRow(row, { billingAccount: 'acme-openai', providerOf });
    expect(focus).toMatchObject({
      BilledCost: '1.234567890123',
      EffectiveCost: '1.234567890123',
      ListCost: '1.234567890123',
      ContractedCost: '1.234567890123',
      BillingCurrency: 'USD',
      BillingAccountId: 'acme-openai',
      BillingPeriodStart: '2026-12-01T00:00:00Z',
      BillingPeriodEnd: '2027-01-01T00:00:00Z',
      ChargeCategory: 'Usage',
      ConsumedQuantity: 1_750_007,
      ConsumedUnit: 'Tokens',
      PricingQuantity: '1.750007',
      PricingUnit: '1000000 Tokens',
      ProviderName: 'OpenAI',
      ServiceName: 'OpenAI API',
      ServiceCategory: 'AI and Machine Learning',
      SkuId: 'openai/gpt-4o',
      SubAccountId: 'payments',
      ResourceId: 'payments/checkout-api',
    });
    expect(JSON.parse(focus.Tags as string)).toEqual({
      'tollgate.dev/team': 'payments',
      'tollgate.dev/job': 'checkout-api',
    });
  });
});
