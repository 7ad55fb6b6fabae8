import { describe, expect, it } from 'vitest';
import { costOf, displayUsd, formatUsd, parsePricePerMillion, parseUsd } from '../../core/money.js';

describe('money', () => {
  it('parses prices per million tokens into micro-USD, refusing lost precision', () => {
    expect(parsePricePerMillion('2.50')).toBe(2_500_000n);
    expect(parsePricePerMillion('0.01875')).toBe(18_750n);
    expect(parsePricePerMillion('75')).toBe(75_000_000n);
    expect(() => parsePricePerMillion('0.0000001')).toThrow(/more than 6 decimal places/);
    expect(() => parsePricePerMillion('-1')).toThrow(/non-negative decimal/);
    expect(() => parsePricePerMillion('1e3')).toThrow(/non-negative decimal/);
  });

  it('prices tokens exactly in pico-USD', () => {
    // 1,234,567 tokens at $0.01875 per million is $0.02314813125 exactly.
    const cost = costOf(1_234_567, parsePricePerMillion('0.01875'));
    expect(cost).toBe(23_148_131_250n);
    expect(formatUsd(cost, 11)).toBe('0.02314813125');
    expect(() => costOf(1.5, 1n)).toThrow(/non-negative integer/);
  });

  it('formats for display with half-up rounding', () => {
    expect(formatUsd(parseUsd('500'))).toBe('500.00');
    expect(formatUsd(parseUsd('0.005'))).toBe('0.01');
    expect(formatUsd(parseUsd('0.0049'))).toBe('0.00');
    expect(displayUsd(parseUsd('1234.5'))).toBe('$1234.50');
    expect(displayUsd(-parseUsd('3'))).toBe('-$3.00');
    expect(formatUsd(parseUsd('7'), 0)).toBe('7');
  });
});
