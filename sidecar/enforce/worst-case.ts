// What a call can cost at most, known before it is sent, so a hard budget
// can reserve it. Output is bounded by the request's own cap (clamped to the
// model's real maximum, so an absurd max_tokens cannot pin the budget) times
// the number of choices; input by the request body's size, since a byte-level
// BPE token is never shorter than one byte of the text it encodes.
import type { MicroUsdPerMillion, PicoUsd } from '../../core/money.js';
import type { TokenType } from '../../core/types.js';
import { compileGlob } from './glob.js';

type TokenPrices = Record<TokenType, MicroUsdPerMillion>;

export interface CallEstimate {
  /** Upper bound of input tokens (cost reservation). */
  inputTokensBound: number;
  /** Likely input tokens (rate-limit charge, corrected after the response). */
  inputTokensEstimate: number;
  /** Upper bound of output tokens over all choices. */
  outputTokensCap: number;
}

/**
 * Largest output of each model family, from the providers' model pages; the
 * default applies to models not listed. A request asking for more is clamped
 * to this, which is exact: the model cannot produce more.
 */
const OUTPUT_CEILINGS: [string, number][] = [
  ['gpt-4o*', 16_384],
  ['gpt-4.1*', 32_768],
  ['gpt-5*', 128_000],
  ['o1*', 100_000],
  ['o3*', 100_000],
  ['o4*', 100_000],
  ['claude-opus-4*', 32_000],
  ['claude-sonnet-4*', 64_000],
  ['claude-3-5-haiku*', 8_192],
  ['claude-*', 64_000],
  ['gemini-2.5*', 65_536],
  ['gemini-*', 8_192],
];
const compiledCeilings = OUTPUT_CEILINGS.map(([glob, max]) => ({ glob: compileGlob(glob), max }));

export const DEFAULT_OUTPUT_CEILING = 32_768;
/** Choices per call (OpenAI `n`, Gemini `candidateCount`) beyond this are clamped too. */
const MAX_CHOICES = 16;
/** Typical characters per token, the usual pre-flight estimate for rate limits. */
const CHARS_PER_TOKEN = 4;

export function outputCeiling(model: string, fallback = DEFAULT_OUTPUT_CEILING): number {
  return compiledCeilings.find((entry) => entry.glob.matches(model))?.max ?? fallback;
}

function positive(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : undefined;
}

function field(body: Record<string, unknown>, ...path: string[]): unknown {
  let current: unknown = body;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** The output cap the caller asked for, in any provider's spelling. */
function requestedOutputCap(body: Record<string, unknown>): number | undefined {
  return (
    positive(body.max_completion_tokens) ??
    positive(body.max_tokens) ??
    positive(body.max_output_tokens) ??
    positive(field(body, 'generationConfig', 'maxOutputTokens')) ??
    positive(field(body, 'generation_config', 'max_output_tokens'))
  );
}

function choices(body: Record<string, unknown>): number {
  const n = positive(body.n) ?? positive(field(body, 'generationConfig', 'candidateCount')) ?? 1;
  return Math.min(n, MAX_CHOICES);
}

export function estimateCall(
  model: string,
  body: Record<string, unknown> | undefined,
  bodyBytes: number,
  defaultCeiling = DEFAULT_OUTPUT_CEILING,
): CallEstimate {
  const ceiling = outputCeiling(model, defaultCeiling);
  const requested = body ? requestedOutputCap(body) : undefined;
  const perChoice = Math.min(requested ?? ceiling, ceiling);
  return {
    inputTokensBound: bodyBytes,
    inputTokensEstimate: Math.ceil(bodyBytes / CHARS_PER_TOKEN),
    outputTokensCap: perChoice * (body ? choices(body) : 1),
  };
}

/** Tokens a call is charged against tokens-per-minute before its usage is known. */
export function estimatedTokens(estimate: CallEstimate): number {
  return estimate.inputTokensEstimate + estimate.outputTokensCap;
}

/** Worst case in pico-USD: every input token at the dearest input rate, every output token at the output rate. */
export function worstCaseCost(estimate: CallEstimate, prices: TokenPrices | undefined): PicoUsd {
  if (!prices) return 0n; // an unpriced model is recorded at cost 0, so it reserves nothing
  const inputRate = [prices.input, prices.cached_input, prices.cache_write].reduce((a, b) => (b > a ? b : a));
  return BigInt(estimate.inputTokensBound) * inputRate + BigInt(estimate.outputTokensCap) * prices.output;
}
