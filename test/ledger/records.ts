// Usage records for ledger tests, with prices chosen to be awkward: odd
// micro-dollar rates and totals far past 2^53, where a double would round.
import { costOf } from '../../core/money.js';
import type { TokenCounts } from '../../core/types.js';
import type { UsageRecord } from '../../core/usage.js';

const PRICES = { input: 2_500_001n, cached_input: 1_234_567n, cache_write: 3_750_003n, output: 10_000_019n };
let sequence = 0;

export function priced(tokens: TokenCounts): bigint {
  return (Object.keys(PRICES) as (keyof TokenCounts)[]).reduce(
    (sum, type) => sum + costOf(tokens[type], PRICES[type]),
    0n,
  );
}

/** The i-th record of a deterministic series; `overrides` wins. */
export function usage(team: string, i: number, overrides: Partial<UsageRecord> = {}): UsageRecord {
  const tokens: TokenCounts = {
    input: 1000 + ((i * 7919) % 5000),
    cached_input: (i * 104729) % 3000,
    cache_write: i % 3 === 0 ? 0 : (i * 31) % 777,
    output: 1 + ((i * 6007) % 900_001),
  };
  return {
    requestId: `req-${process.pid}-${++sequence}`,
    team,
    namespace: `${team}-ns`,
    pod: `pod-${i % 4}`,
    job: ['checkout-api', 'batch:nightly', 'search'][i % 3]!,
    provider: i % 2 ? 'openai' : 'anthropic',
    model: ['gpt-4o', 'ft:gpt-4o-mini:acme:v2:abc123', 'claude-sonnet-4'][i % 3]!,
    tokens,
    reasoningTokens: i % 5,
    // Scaled so totals pass 2^53 pico-USD (a double would round) yet stay under int64.
    cost: priced(tokens) * 1_003n,
    at: Date.UTC(2026, 11, 4, 10 + (i % 3), 17),
    estimated: i % 11 === 0,
    unpriced: false,
    status: 200,
    ...overrides,
  };
}

export function sum<T>(items: T[], pick: (item: T) => bigint): bigint {
  return items.reduce((total, item) => total + pick(item), 0n);
}
