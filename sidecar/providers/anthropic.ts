// Anthropic Messages API. Usage semantics (Anthropic API reference):
//  - `input_tokens` EXCLUDES `cache_read_input_tokens` and
//    `cache_creation_input_tokens`: the three are disjoint, each billed at its own rate.
//  - `output_tokens` includes extended-thinking tokens (not reported apart).
//  - Streams: `message_start` carries the message's usage (input side, output
//    so far); each `message_delta` carries CUMULATIVE usage, so the last wins.
import type { TokenCounts } from '../../core/types.js';
import type { ErrorKind, MeteredUsage, ProviderAdapter, StreamMeter } from './provider.js';
import { count, field, isRecord } from './provider.js';
import { eventJson, type SseEvent } from './sse.js';

const MESSAGES = /^\/v1\/messages$/;

function tokensOf(usage: Record<string, unknown>, into: TokenCounts): void {
  // A message_delta may omit input-side counts; keep what message_start said.
  if ('input_tokens' in usage && usage.input_tokens !== null) into.input = count(usage.input_tokens);
  if ('cache_read_input_tokens' in usage && usage.cache_read_input_tokens !== null)
    into.cached_input = count(usage.cache_read_input_tokens);
  if ('cache_creation_input_tokens' in usage && usage.cache_creation_input_tokens !== null)
    into.cache_write = count(usage.cache_creation_input_tokens);
  if ('output_tokens' in usage && usage.output_tokens !== null) into.output = count(usage.output_tokens);
}

export function anthropicUsage(usage: unknown, model?: string): MeteredUsage | undefined {
  if (!isRecord(usage)) return undefined;
  const tokens: TokenCounts = { input: 0, cached_input: 0, cache_write: 0, output: 0 };
  tokensOf(usage, tokens);
  return model === undefined ? { tokens, reasoningTokens: 0 } : { model, tokens, reasoningTokens: 0 };
}

class AnthropicStreamMeter implements StreamMeter {
  textChars = 0;
  private tokens: TokenCounts | undefined;
  private model: string | undefined;

  onEvent(event: SseEvent): undefined {
    const json = eventJson(event);
    switch (field(json, 'type')) {
      case 'message_start': {
        const message = field(json, 'message');
        const model = field(message, 'model');
        if (typeof model === 'string') this.model = model;
        const usage = field(message, 'usage');
        if (isRecord(usage))
          tokensOf(usage, (this.tokens ??= { input: 0, cached_input: 0, cache_write: 0, output: 0 }));
        break;
      }
      case 'message_delta': {
        const usage = field(json, 'usage');
        if (isRecord(usage))
          tokensOf(usage, (this.tokens ??= { input: 0, cached_input: 0, cache_write: 0, output: 0 }));
        break;
      }
      case 'content_block_delta': {
        const text =
          field(json, 'delta', 'text') ??
          field(json, 'delta', 'thinking') ??
          field(json, 'delta', 'partial_json');
        if (typeof text === 'string') this.textChars += text.length;
        break;
      }
    }
    return undefined;
  }

  usage(): MeteredUsage | undefined {
    if (!this.tokens) return undefined;
    const tokens = { ...this.tokens };
    return this.model === undefined
      ? { tokens, reasoningTokens: 0 }
      : { model: this.model, tokens, reasoningTokens: 0 };
  }
}

const ERROR_TYPES: Record<ErrorKind, string> = {
  invalid_request: 'invalid_request_error',
  too_large: 'request_too_large',
  upstream_unreachable: 'api_error',
  upstream_timeout: 'timeout_error',
  rate_limited_requests: 'rate_limit_error',
  rate_limited_tokens: 'rate_limit_error',
  budget_exceeded: 'rate_limit_error',
  forbidden: 'permission_error',
  internal: 'api_error',
  // Not "overloaded_error": Anthropic keeps that for its own capacity (HTTP 529), and
  // clients read it as "try another provider", which would meet the same refusal here.
  ledger_unavailable: 'api_error',
};

export function createAnthropicAdapter(): ProviderAdapter {
  return {
    name: 'anthropic',
    isMeteredPath: (method, path) => method === 'POST' && MESSAGES.test(path),
    endpoint(method, path, body) {
      if (method !== 'POST' || !MESSAGES.test(path) || body === undefined) return undefined;
      const model = typeof body.model === 'string' ? body.model : 'unknown';
      return { name: 'messages', model, streaming: body.stream === true };
    },
    prepare: () => ({ rewriteStream: false }),
    usageFromResponse(json) {
      const model = field(json, 'model');
      return anthropicUsage(field(json, 'usage'), typeof model === 'string' ? model : undefined);
    },
    streamMeter: () => new AnthropicStreamMeter(),
    errorBody: (_status, kind, message) => ({ type: 'error', error: { type: ERROR_TYPES[kind], message } }),
  };
}
