// Hourly spend of one team, the input of burn-rate forecasts and runaway
// detection. Buckets are UTC hours, as the ledger writes them.
import type { PicoUsd } from '../core/money.js';
import { hourId } from '../core/period.js';

export const HOUR_MS = 3_600_000;

export interface HourlySpend {
  /** Start of the UTC hour, ms since epoch. */
  start: number;
  cost: PicoUsd;
}

/** The hour ids of the `count` hours ending with the one containing `now`, oldest first. */
export function recentHours(now: Date, count: number): { id: string; start: number }[] {
  const current = Math.floor(now.getTime() / HOUR_MS) * HOUR_MS;
  return Array.from({ length: count }, (_, i) => {
    const start = current - (count - 1 - i) * HOUR_MS;
    return { id: hourId(new Date(start)), start };
  });
}
