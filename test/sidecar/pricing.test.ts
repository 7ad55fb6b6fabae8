import { describe, expect, it } from 'vitest';
import { compilePriceTable, globToRegExp, priceTokens } from '../../core/pricing.js';
import type { ModelPriceSpec } from '../../core/types.js';

const spec = (over: Partial<ModelPriceSpec>): ModelPriceSpec => ({
  provider: 'openai',
  model: 'gpt-4o',
  currency: 'USD',
  prices: { input: '2.50', output: '10', cachedInput: '1.25' },
  ...over,
});

describe('price table', () => {
  it('prices each token class at its own rate, exactly', () => {
    const table = compilePriceTable([
      spec({ prices: { input: '2.50', output: '10', cachedInput: '1.25', cacheWrite: '3.125' } }),
    ]);
    const prices = table.lookup('openai', 'gpt-4o', Date.now())!;
    expect(prices).toEqual({
      input: 2_500_000n,
      output: 10_000_000n,
      cached_input: 1_250_000n,
      cache_write: 3_125_000n,
    });
    const cost = priceTokens({ input: 1000, cached_input: 200, cache_write: 3, output: 77 }, prices);
    expect(cost).toBe(1000n * 2_500_000n + 200n * 1_250_000n + 3n * 3_125_000n + 77n * 10_000_000n);
  });

  it('falls back to the input rate for unpriced cache classes', () => {
    const table = compilePriceTable([spec({ prices: { input: '3', output: '15' } })]);
    expect(table.lookup('openai', 'gpt-4o', 0)).toMatchObject({
      cached_input: 3_000_000n,
      cache_write: 3_000_000n,
    });
  });

  it('matches alias globs, and an exact model beats an alias', () => {
    const table = compilePriceTable([
      spec({ model: 'gpt-4o', aliases: ['gpt-4o-*'] }),
      spec({ model: 'gpt-4o-mini', prices: { input: '0.15', output: '0.60' } }),
    ]);
    expect(table.lookup('openai', 'gpt-4o-2024-08-06', 0)?.input).toBe(2_500_000n);
    expect(table.lookup('openai', 'gpt-4o-mini', 0)?.input).toBe(150_000n);
    expect(table.lookup('openai', 'gpt-5', 0)).toBeUndefined();
    expect(table.lookup('anthropic', 'gpt-4o', 0)).toBeUndefined();
  });

  it('uses the price in force at call time (effectiveFrom)', () => {
    const table = compilePriceTable([
      spec({ prices: { input: '5', output: '15' } }),
      spec({ prices: { input: '2.50', output: '10' }, effectiveFrom: '2026-01-01T00:00:00Z' }),
      spec({ prices: { input: '1', output: '4' }, effectiveFrom: '2027-01-01T00:00:00Z' }),
    ]);
    expect(table.lookup('openai', 'gpt-4o', Date.parse('2025-12-31T23:59:59Z'))?.input).toBe(5_000_000n);
    expect(table.lookup('openai', 'gpt-4o', Date.parse('2026-01-01T00:00:00Z'))?.input).toBe(2_500_000n);
    expect(table.lookup('openai', 'gpt-4o', Date.parse('2027-06-01T00:00:00Z'))?.input).toBe(1_000_000n);
  });

  it('rejects malformed specs naming the model', () => {
    expect(() => compilePriceTable([spec({ prices: { input: '1.0000001', output: '1' } })])).toThrow(
      /openai\/gpt-4o/,
    );
    expect(() => compilePriceTable([spec({ effectiveFrom: 'tomorrow' })])).toThrow(/RFC 3339/);
  });

  it('escapes regex characters in globs', () => {
    expect(globToRegExp('a.b*').test('a.b-1')).toBe(true);
    expect(globToRegExp('a.b*').test('axb-1')).toBe(false);
  });
});
