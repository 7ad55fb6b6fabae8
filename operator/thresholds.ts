// Alert thresholds are percent of the limit (0-1000). A threshold is crossed
// once spend reaches it; each crossing is reported once per period.
import type { PicoUsd } from '../core/money.js';

export function isCrossed(threshold: number, limit: PicoUsd, spent: PicoUsd): boolean {
  // Nothing spent crosses nothing, not even a 0% threshold.
  return spent > 0n && spent * 100n >= BigInt(threshold) * limit;
}

/** Thresholds crossed at `after` but not at `before`, ascending. */
export function newlyCrossed(
  thresholds: readonly number[],
  limit: PicoUsd,
  before: PicoUsd,
  after: PicoUsd,
): number[] {
  return [...thresholds]
    .sort((a, b) => a - b)
    .filter((t) => isCrossed(t, limit, after) && !isCrossed(t, limit, before));
}

/** The highest threshold reached, if any. */
export function highestCrossed(
  thresholds: readonly number[],
  limit: PicoUsd,
  spent: PicoUsd,
): number | undefined {
  return [...thresholds].sort((a, b) => b - a).find((t) => isCrossed(t, limit, spent));
}

/** Whole percent of the limit spent, rounded down. */
export function percentUsed(limit: PicoUsd, spent: PicoUsd): number {
  return limit === 0n ? (spent > 0n ? 1000 : 0) : Number((spent * 100n) / limit);
}
