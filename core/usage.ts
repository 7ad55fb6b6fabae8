// One metered call, as the sidecar records it. The ledger (sidecar/ledger)
// turns it into counter increments; the spool stores it verbatim while Redis
// is away. Cost is already priced: recorded spend == sum of these costs.
import type { PicoUsd } from './money.js';
import type { TokenCounts } from './types.js';

export interface UsageRecord {
  /** Unique per call; a replay with the same id never counts twice. */
  requestId: string;
  team: string;
  namespace: string;
  pod: string;
  job: string;
  provider: string;
  /** The model the provider reports having served (falls back to the requested one). */
  model: string;
  /** Disjoint token classes, each priced at its own rate. */
  tokens: TokenCounts;
  /** Reasoning/thinking tokens, informational: already inside tokens.output. */
  reasoningTokens: number;
  cost: PicoUsd;
  /** When the call was made (ms since epoch): picks the price in force and the period. */
  at: number;
  /** Counts are estimated (client went away mid-stream, or upstream sent no usage). */
  estimated: boolean;
  /** No price was known for the model: cost is 0. */
  unpriced: boolean;
  /** Upstream HTTP status. */
  status: number;
}

/**
 * Field names inside a period hash (ledgerKeys.period). Totals are plain
 * fields; breakdowns are prefixed with the model or job they belong to,
 * e.g. "model|gpt-4o|cost" or "job|checkout-api|tokens:output"
 * ("|" because model names such as fine-tunes contain ":").
 * Integers only: cost fields are pico-USD.
 */
export const ledgerFields = {
  cost: 'cost',
  requests: 'requests',
  estimatedRequests: 'requests:estimated',
  unpricedRequests: 'requests:unpriced',
  tokens: (type: string) => `tokens:${type}`,
  reasoningTokens: 'tokens:reasoning',
  byModel: (model: string, field: string) => `model|${model}|${field}`,
  byJob: (job: string, field: string) => `job|${job}|${field}`,
};
