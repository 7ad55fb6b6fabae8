// Where the period ends at the current rate: what was spent so far plus the
// recent burn rate carried to the period's end. Integer pico-USD throughout.
import type { PicoUsd } from '../core/money.js';
import { HOUR_MS, type HourlySpend } from './hourly.js';

export interface ForecastInput {
  spent: PicoUsd;
  /** Contiguous hourly buckets, oldest first, the last one containing `now`. */
  hourly: HourlySpend[];
  now: Date;
  periodStart: Date;
  periodEnd: Date;
  /** How many recent hours make "the recent burn rate". */
  windowHours: number;
}

/** Shortest span a rate is measured over, so one call in the first minute does not project to infinity. */
const MIN_ELAPSED_MS = 10 * 60_000;

/**
 * The clock the forecast sees moves in 15-minute steps: a month-end projection
 * gains nothing from finer ones, and a status rewritten every sync for every
 * active team would load the apiserver for no new information.
 */
const TICK_MS = 15 * 60_000;

export function forecastAtPeriodEnd(input: ForecastInput): PicoUsd {
  const now = Math.floor(input.now.getTime() / TICK_MS) * TICK_MS;
  const remainingMs = input.periodEnd.getTime() - now;
  if (remainingMs <= 0) return input.spent;
  const currentHour = Math.floor(now / HOUR_MS) * HOUR_MS;
  // The rate is measured from the window's start, but never from before the period began.
  const windowStart = Math.max(currentHour - (input.windowHours - 1) * HOUR_MS, input.periodStart.getTime());
  const firstBucket = Math.floor(windowStart / HOUR_MS) * HOUR_MS;
  const windowSpend = input.hourly
    .filter((bucket) => bucket.start >= firstBucket && bucket.start <= currentHour)
    .reduce((sum, bucket) => sum + bucket.cost, 0n);
  const elapsedMs = Math.max(now - windowStart, MIN_ELAPSED_MS);
  return input.spent + (windowSpend * BigInt(remainingMs)) / BigInt(elapsedMs);
}
