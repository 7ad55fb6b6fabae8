import { describe, expect, it } from 'vitest';
import { parseUsd } from '../../core/money.js';
import { forecastAtPeriodEnd } from '../../operator/forecast.js';
import { HOUR_MS, recentHours } from '../../operator/hourly.js';
import { detectRunaway } from '../../operator/runaway.js';

const usd = parseUsd;
const hourlyOf = (now: Date, costs: string[]) =>
  recentHours(now, costs.length).map((h, i) => ({ start: h.start, cost: usd(costs[i]!) }));

describe('forecastAtPeriodEnd', () => {
  const periodStart = new Date('2026-12-01T00:00:00Z');
  const periodEnd = new Date('2027-01-01T00:00:00Z');

  it('carries the recent burn rate to the period end', () => {
    // 10 USD/hour over the last 4 complete hours plus half an hour at the same rate.
    const now = new Date('2026-12-10T04:30:00Z');
    const hourly = hourlyOf(now, ['10', '10', '10', '10', '5']);
    const forecast = forecastAtPeriodEnd({
      spent: usd('100'),
      hourly,
      now,
      periodStart,
      periodEnd,
      windowHours: 5,
    });
    const hoursLeft = (periodEnd.getTime() - now.getTime()) / HOUR_MS;
    expect(forecast).toBe(usd('100') + (usd('10') * BigInt(hoursLeft * 2)) / 2n);
  });

  it('ignores hours before the period started', () => {
    const now = new Date('2026-12-01T01:00:00Z');
    const hourly = hourlyOf(now, ['999', '0', '1']);
    const forecast = forecastAtPeriodEnd({
      spent: usd('1'),
      hourly,
      now,
      periodStart,
      periodEnd,
      windowHours: 3,
    });
    // Only the 00:00 and 01:00 buckets count, over one hour.
    const hoursLeft = BigInt((periodEnd.getTime() - now.getTime()) / HOUR_MS);
    expect(forecast).toBe(usd('1') + usd('1') * hoursLeft);
  });

  it('is the spend itself with no recent traffic or at the period end', () => {
    const now = new Date('2026-12-10T04:30:00Z');
    expect(
      forecastAtPeriodEnd({
        spent: 7n,
        hourly: hourlyOf(now, ['0', '0']),
        now,
        periodStart,
        periodEnd,
        windowHours: 2,
      }),
    ).toBe(7n);
    expect(
      forecastAtPeriodEnd({ spent: 7n, hourly: [], now: periodEnd, periodStart, periodEnd, windowHours: 2 }),
    ).toBe(7n);
  });
});

describe('detectRunaway', () => {
  const options = { factor: 5, trailingHours: 4, minSpend: usd('1') };
  const now = new Date('2026-12-10T10:15:00Z');

  it('flags the last hour far above the trailing hourly mean', () => {
    const verdict = detectRunaway(hourlyOf(now, ['2', '2', '2', '2', '0', '60']), now, options);
    expect(verdict).toEqual({ runaway: true, lastHour: usd('60'), trailingMean: usd('2') });
  });

  it('counts the overlapping part of the previous hour in the rolling last hour', () => {
    // 45 of the previous hour's 60 minutes are inside the last hour: 0.75 x 8 + 2.
    const verdict = detectRunaway(hourlyOf(now, ['2', '2', '2', '2', '8', '2']), now, options);
    expect(verdict.lastHour).toBe(usd('8'));
    expect(verdict.runaway).toBe(false);
  });

  it('does not flag small absolute spend even from zero', () => {
    expect(detectRunaway(hourlyOf(now, ['0', '0', '0', '0', '0', '0.5']), now, options).runaway).toBe(false);
    expect(detectRunaway(hourlyOf(now, ['0', '0', '0', '0', '0', '1.5']), now, options).runaway).toBe(true);
  });

  it('honours a fractional factor exactly', () => {
    const tight = { ...options, factor: 1.5 };
    expect(detectRunaway(hourlyOf(now, ['2', '2', '2', '2', '0', '3']), now, tight).runaway).toBe(false);
    expect(detectRunaway(hourlyOf(now, ['2', '2', '2', '2', '0', '3.01']), now, tight).runaway).toBe(true);
  });
});
