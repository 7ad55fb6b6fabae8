// What the pipeline needs from each provider: which calls are metered, how
// to read their usage (whole JSON bodies and SSE streams), and how the
// provider spells an error. One module per provider implements this.
import type { TokenCounts } from '../../core/types.js';
import type { SseEvent } from './sse.js';

/** Token usage as read from a response, already mapped to disjoint classes. */
export interface MeteredUsage {
  /** The model the response says served the call, if it says. */
  model?: string;
  tokens: TokenCounts;
  /** Reasoning/thinking tokens, informational: already inside tokens.output. */
  reasoningTokens: number;
}

/** A metered call, recognised from method, path and request body. */
export interface Endpoint {
  /** e.g. "chat.completions", "messages", "generateContent". */
  name: string;
  /** The model the request asks for (the response may name a more exact one). */
  model: string;
  streaming: boolean;
}

export type ErrorKind =
  | 'invalid_request'
  | 'too_large'
  | 'upstream_unreachable'
  | 'upstream_timeout'
  /** A requests-per-minute limit. */
  | 'rate_limited_requests'
  /** A tokens-per-minute limit (OpenAI tells the two apart in its error type). */
  | 'rate_limited_tokens'
  | 'budget_exceeded'
  | 'forbidden'
  /** Tollgate's own Redis is unreachable and the team fails closed: 503, nothing sent upstream. */
  | 'ledger_unavailable'
  | 'internal';

/** Reads usage from a stream one event at a time and may rewrite what the client sees. */
export interface StreamMeter {
  /**
   * Sees one event. Returns undefined to pass it through byte for byte, null
   * to drop it, or the replacement text (a whole event, separator included).
   */
  onEvent(event: SseEvent): string | null | undefined;
  /** Usage reported so far (cumulative where the provider reports it so). */
  usage(): MeteredUsage | undefined;
  /** Characters of generated text streamed so far, for an estimate when usage never arrives. */
  readonly textChars: number;
}

export interface PreparedRequest {
  /** Replacement upstream body, when the sidecar must change the request. */
  body?: Record<string, unknown>;
  /** The stream needs rewriting (see StreamMeter.onEvent) so the client sees what it asked for. */
  rewriteStream: boolean;
}

export interface ProviderAdapter {
  /** The provider name used in records, metrics and price lookups. */
  readonly name: string;
  /** The metered endpoint `path` (below the route prefix) is, or undefined to pass it through unmetered. */
  endpoint(method: string, path: string, body: Record<string, unknown> | undefined): Endpoint | undefined;
  /** Whether `path` carries a JSON body the sidecar must parse (so malformed JSON is a 400). */
  isMeteredPath(method: string, path: string): boolean;
  prepare(endpoint: Endpoint, body: Record<string, unknown>): PreparedRequest;
  usageFromResponse(json: unknown): MeteredUsage | undefined;
  streamMeter(endpoint: Endpoint, rewrite: boolean): StreamMeter;
  errorBody(status: number, kind: ErrorKind, message: string): unknown;
}

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A non-negative integer field, or 0: providers omit counts that are zero. */
export function count(value: unknown): number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : 0;
}

export function field(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (!isRecord(current)) return undefined;
    current = current[key];
  }
  return current;
}
