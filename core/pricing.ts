// Price lookup: ModelPrice specs compiled into a table answering "what did a
// token of each class cost for (provider, model) at instant t". Pure; the
// sidecar rebuilds the table whenever its price source changes.
import { costOf, parsePricePerMillion, type MicroUsdPerMillion, type PicoUsd } from './money.js';
import type { ModelPriceSpec, TokenCounts, TokenType } from './types.js';
import { TOKEN_TYPES } from './types.js';

/** Price of one token of each class: micro-USD per 1M == pico-USD per token. */
export type TokenPrices = Record<TokenType, MicroUsdPerMillion>;

interface CompiledPrice {
  model: string;
  patterns: RegExp[];
  from: number;
  prices: TokenPrices;
}

export interface PriceTable {
  /** The rate in force at `at` (ms since epoch), or undefined when the model has no price. */
  lookup(provider: string, model: string, at: number): TokenPrices | undefined;
  readonly size: number;
}

/** "gpt-4o-2024-*" -> /^gpt-4o-2024-.*$/ ; only * and ? are special. */
export function globToRegExp(glob: string): RegExp {
  const body = glob
    .split('')
    .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`);
}

/**
 * Missing optional classes fall back to the input rate: billing a cached or
 * cache-write token as a plain input token over-reports rather than hides spend.
 */
function compilePrices(spec: ModelPriceSpec): TokenPrices {
  const input = parsePricePerMillion(spec.prices.input);
  return {
    input,
    output: parsePricePerMillion(spec.prices.output),
    cached_input:
      spec.prices.cachedInput === undefined ? input : parsePricePerMillion(spec.prices.cachedInput),
    cache_write: spec.prices.cacheWrite === undefined ? input : parsePricePerMillion(spec.prices.cacheWrite),
  };
}

function effectiveFrom(spec: ModelPriceSpec): number {
  if (spec.effectiveFrom === undefined) return Number.NEGATIVE_INFINITY;
  const at = Date.parse(spec.effectiveFrom);
  if (Number.isNaN(at))
    throw new Error(`effectiveFrom is not RFC 3339: ${JSON.stringify(spec.effectiveFrom)}`);
  return at;
}

/** Throws on a malformed spec (bad decimal, bad date, other currency) naming the model. */
export function compilePriceTable(specs: readonly ModelPriceSpec[]): PriceTable {
  const byProvider = new Map<string, CompiledPrice[]>();
  for (const spec of specs) {
    try {
      if (spec.currency !== 'USD')
        throw new Error(`currency must be USD, got ${JSON.stringify(spec.currency)}`);
      const entry: CompiledPrice = {
        model: spec.model,
        patterns: (spec.aliases ?? []).map(globToRegExp),
        from: effectiveFrom(spec),
        prices: compilePrices(spec),
      };
      const list = byProvider.get(spec.provider) ?? [];
      list.push(entry);
      byProvider.set(spec.provider, list);
    } catch (error) {
      throw new Error(`price for ${spec.provider}/${spec.model}: ${(error as Error).message}`);
    }
  }
  // Latest schedule first, so the first entry in force is the current rate.
  for (const list of byProvider.values()) list.sort((a, b) => b.from - a.from);

  return {
    size: specs.length,
    lookup(provider, model, at) {
      const list = byProvider.get(provider);
      if (!list) return undefined;
      // An exact model name beats an alias glob, whatever their schedules.
      const exact = list.find((e) => e.model === model && e.from <= at);
      if (exact) return exact.prices;
      return list.find((e) => e.from <= at && e.patterns.some((p) => p.test(model)))?.prices;
    },
  };
}

/** Exact cost of a call: each token class at its own rate. */
export function priceTokens(tokens: TokenCounts, prices: TokenPrices): PicoUsd {
  let total = 0n;
  for (const type of TOKEN_TYPES) total += costOf(tokens[type], prices[type]);
  return total;
}

export const zeroTokens = (): TokenCounts => ({ input: 0, cached_input: 0, cache_write: 0, output: 0 });
