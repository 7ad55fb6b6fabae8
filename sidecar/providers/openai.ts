// OpenAI and OpenAI-compatible APIs (vLLM, Azure OpenAI, any /v1 server).
// Usage semantics (OpenAI API reference):
//  - Chat/Completions/Embeddings `usage.prompt_tokens` INCLUDES
//    `prompt_tokens_details.cached_tokens`; `completion_tokens` INCLUDES
//    `completion_tokens_details.reasoning_tokens`.
//  - Responses `usage.input_tokens` INCLUDES `input_tokens_details.cached_tokens`;
//    `output_tokens` INCLUDES `output_tokens_details.reasoning_tokens`.
//  - A chat/completions stream carries usage only with
//    `stream_options.include_usage`: then one extra chunk with `choices: []`
//    precedes `[DONE]`, and every other chunk has `"usage": null`.
import type { TokenCounts } from '../../core/types.js';
import type { Endpoint, ErrorKind, MeteredUsage, ProviderAdapter, StreamMeter } from './provider.js';
import { count, field, isRecord } from './provider.js';
import { eventJson, type SseEvent } from './sse.js';

const ENDPOINTS: [suffix: string, name: string][] = [
  ['/chat/completions', 'chat.completions'],
  ['/completions', 'completions'],
  ['/embeddings', 'embeddings'],
  ['/responses', 'responses'],
];

/** Endpoints whose streams only carry usage when asked via stream_options. */
const NEEDS_INCLUDE_USAGE = new Set(['chat.completions', 'completions']);

function endpointName(method: string, path: string): string | undefined {
  if (method !== 'POST') return undefined;
  return ENDPOINTS.find(([suffix]) => path.endsWith(suffix))?.[1];
}

/** Maps either usage shape (chat/completions/embeddings or responses) to disjoint classes. */
export function openAiUsage(usage: unknown, model?: string): MeteredUsage | undefined {
  if (!isRecord(usage)) return undefined;
  const responsesShape = 'input_tokens' in usage;
  const prompt = count(responsesShape ? usage.input_tokens : usage.prompt_tokens);
  const cached = count(
    responsesShape
      ? field(usage, 'input_tokens_details', 'cached_tokens')
      : field(usage, 'prompt_tokens_details', 'cached_tokens'),
  );
  const output = count(responsesShape ? usage.output_tokens : usage.completion_tokens);
  const reasoning = count(
    responsesShape
      ? field(usage, 'output_tokens_details', 'reasoning_tokens')
      : field(usage, 'completion_tokens_details', 'reasoning_tokens'),
  );
  const tokens: TokenCounts = {
    input: Math.max(prompt - cached, 0),
    cached_input: cached,
    cache_write: 0,
    output,
  };
  return model === undefined
    ? { tokens, reasoningTokens: reasoning }
    : { model, tokens, reasoningTokens: reasoning };
}

const modelOf = (json: unknown): string | undefined => {
  const model = field(json, 'model');
  return typeof model === 'string' ? model : undefined;
};

function generatedChars(json: unknown): number {
  if (field(json, 'type') === 'response.output_text.delta') {
    const delta = field(json, 'delta');
    return typeof delta === 'string' ? delta.length : 0;
  }
  const choices = field(json, 'choices');
  if (!Array.isArray(choices)) return 0;
  let chars = 0;
  for (const choice of choices) {
    const text = field(choice, 'delta', 'content') ?? field(choice, 'text');
    if (typeof text === 'string') chars += text.length;
  }
  return chars;
}

class OpenAiStreamMeter implements StreamMeter {
  textChars = 0;
  private seen: MeteredUsage | undefined;
  private model: string | undefined;

  constructor(private readonly rewrite: boolean) {}

  onEvent(event: SseEvent): string | null | undefined {
    const json = eventJson(event);
    if (!isRecord(json)) return undefined;
    this.textChars += generatedChars(json);
    // Responses API: the final response object carries usage.
    const response = json.response;
    if (isRecord(response) && isRecord(response.usage)) {
      this.seen = openAiUsage(response.usage, modelOf(response));
      return undefined;
    }
    this.model ??= modelOf(json);
    if (!('usage' in json)) return undefined;
    if (json.usage !== null) this.seen = openAiUsage(json.usage, modelOf(json) ?? this.model);
    if (!this.rewrite) return undefined;
    // The client did not ask for usage: drop the usage-only chunk, and the
    // `usage` field every other chunk carries because we asked for it.
    if (Array.isArray(json.choices) && json.choices.length === 0 && json.usage !== null) return null;
    delete json.usage;
    return `data: ${JSON.stringify(json)}${separatorOf(event.raw)}`;
  }

  usage(): MeteredUsage | undefined {
    return this.seen;
  }
}

const separatorOf = (raw: string): string => (raw.endsWith('\r\n\r\n') ? '\r\n\r\n' : '\n\n');

const ERROR_TYPES: Record<ErrorKind, { type: string; code: string | null }> = {
  invalid_request: { type: 'invalid_request_error', code: null },
  too_large: { type: 'invalid_request_error', code: 'request_too_large' },
  upstream_unreachable: { type: 'api_error', code: 'upstream_unreachable' },
  upstream_timeout: { type: 'api_error', code: 'upstream_timeout' },
  // OpenAI's own 429s name the limit hit in `type`: "requests" (RPM) or "tokens" (TPM).
  rate_limited_requests: { type: 'requests', code: 'rate_limit_exceeded' },
  rate_limited_tokens: { type: 'tokens', code: 'rate_limit_exceeded' },
  budget_exceeded: { type: 'insufficient_quota', code: 'insufficient_quota' },
  forbidden: { type: 'invalid_request_error', code: 'model_not_allowed' },
  internal: { type: 'api_error', code: null },
  // OpenAI answers its own 503s (overloaded, not ready) with type "server_error".
  ledger_unavailable: { type: 'server_error', code: 'ledger_unavailable' },
};

export function createOpenAiAdapter(name = 'openai'): ProviderAdapter {
  return {
    name,
    isMeteredPath: (method, path) => endpointName(method, path) !== undefined,
    endpoint(method, path, body) {
      const endpoint = endpointName(method, path);
      if (endpoint === undefined || body === undefined) return undefined;
      const model = typeof body.model === 'string' ? body.model : 'unknown';
      return { name: endpoint, model, streaming: body.stream === true };
    },
    prepare(endpoint: Endpoint, body) {
      if (!endpoint.streaming || !NEEDS_INCLUDE_USAGE.has(endpoint.name)) return { rewriteStream: false };
      const options = isRecord(body.stream_options) ? body.stream_options : {};
      if (options.include_usage === true) return { rewriteStream: false };
      return { body: { ...body, stream_options: { ...options, include_usage: true } }, rewriteStream: true };
    },
    usageFromResponse: (json) => openAiUsage(field(json, 'usage'), modelOf(json)),
    streamMeter: (_endpoint, rewrite) => new OpenAiStreamMeter(rewrite),
    errorBody(_status, kind, message) {
      const { type, code } = ERROR_TYPES[kind];
      return { error: { message, type, param: null, code } };
    },
  };
}
