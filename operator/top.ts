// The top spenders inside a team (models, jobs), for status.
import type { SpendBreakdown } from '../core/types.js';
import type { Breakdown } from '../ledger/reader.js';
import { exactUsd } from './usd.js';

export const TOP_N = 10;

/** By spend, then by requests, then by name, so the order is stable between syncs. */
export function topBySpend(breakdowns: ReadonlyMap<string, Breakdown>, n = TOP_N): SpendBreakdown[] {
  return [...breakdowns.entries()]
    .sort(
      ([nameA, a], [nameB, b]) =>
        (a.cost === b.cost ? 0 : a.cost > b.cost ? -1 : 1) ||
        b.requests - a.requests ||
        nameA.localeCompare(nameB),
    )
    .slice(0, n)
    .map(([name, b]) => ({ name, spent: exactUsd(b.cost), requests: b.requests }));
}
