// Runaway spend: the last hour far above the team's usual hourly spend. The
// question it answers is "which team is driving our growth?", before the invoice.
import type { PicoUsd } from '../core/money.js';
import { HOUR_MS, type HourlySpend } from './hourly.js';

export interface RunawayOptions {
  /** The last hour counts as runaway above `factor` x the trailing hourly mean. */
  factor: number;
  /** Complete hours the mean is taken over. */
  trailingHours: number;
  /** Below this the last hour never counts as runaway (a quiet team's first calls are not a spike). */
  minSpend: PicoUsd;
}

export interface RunawayVerdict {
  runaway: boolean;
  lastHour: PicoUsd;
  trailingMean: PicoUsd;
}

/** Factors are compared in thousandths, so the arithmetic stays integer. */
const FACTOR_SCALE = 1000n;

/**
 * `hourly`: contiguous buckets, oldest first, the last containing `now`.
 * The last hour is a rolling 60 minutes: the current bucket plus the part of
 * the previous bucket that still falls inside the window (assuming an even
 * spread within it). The trailing mean covers the hours before that.
 */
export function detectRunaway(hourly: HourlySpend[], now: Date, options: RunawayOptions): RunawayVerdict {
  const current = hourly.at(-1)?.cost ?? 0n;
  const previous = hourly.at(-2)?.cost ?? 0n;
  const intoHour = BigInt(now.getTime() % HOUR_MS);
  const lastHour = current + (previous * (BigInt(HOUR_MS) - intoHour)) / BigInt(HOUR_MS);

  const trailing = hourly.slice(0, -2).slice(-options.trailingHours);
  const hours = BigInt(Math.max(options.trailingHours, 1));
  const trailingMean = trailing.reduce((sum, bucket) => sum + bucket.cost, 0n) / hours;

  const factor = BigInt(Math.round(options.factor * Number(FACTOR_SCALE)));
  const runaway = lastHour >= options.minSpend && lastHour * FACTOR_SCALE > trailingMean * factor;
  return { runaway, lastHour, trailingMean };
}
