// Gemini API (generativelanguage). Usage semantics (Gemini API reference, UsageMetadata):
//  - `promptTokenCount` INCLUDES `cachedContentTokenCount`;
//  - `candidatesTokenCount` EXCLUDES `thoughtsTokenCount`; thoughts are billed as output;
//  - `toolUsePromptTokenCount` (e.g. search results fed back) is apart from the
//    prompt count and billed as input;
//  - each streamGenerateContent chunk carries the usage so far (cumulative):
//    the last one is the call's usage.
import type { ErrorKind, MeteredUsage, ProviderAdapter, StreamMeter } from './provider.js';
import { count, field, isRecord } from './provider.js';
import { eventJson, type SseEvent } from './sse.js';

const GENERATE = /^\/v1(?:alpha|beta)?\/models\/([^/:]+):(generateContent|streamGenerateContent)$/;

export function geminiUsage(metadata: unknown, model?: string): MeteredUsage | undefined {
  if (!isRecord(metadata)) return undefined;
  const prompt = count(metadata.promptTokenCount);
  const cached = count(metadata.cachedContentTokenCount);
  const thoughts = count(metadata.thoughtsTokenCount);
  const tokens = {
    input: Math.max(prompt - cached, 0) + count(metadata.toolUsePromptTokenCount),
    cached_input: cached,
    cache_write: 0,
    output: count(metadata.candidatesTokenCount) + thoughts,
  };
  return model === undefined
    ? { tokens, reasoningTokens: thoughts }
    : { model, tokens, reasoningTokens: thoughts };
}

function responseUsage(json: unknown): MeteredUsage | undefined {
  const version = field(json, 'modelVersion');
  return geminiUsage(field(json, 'usageMetadata'), typeof version === 'string' ? version : undefined);
}

function generatedChars(json: unknown): number {
  const candidates = field(json, 'candidates');
  if (!Array.isArray(candidates)) return 0;
  let chars = 0;
  for (const candidate of candidates) {
    const parts = field(candidate, 'content', 'parts');
    if (!Array.isArray(parts)) continue;
    for (const part of parts) {
      const text = field(part, 'text');
      if (typeof text === 'string') chars += text.length;
    }
  }
  return chars;
}

class GeminiStreamMeter implements StreamMeter {
  textChars = 0;
  private last: MeteredUsage | undefined;

  onEvent(event: SseEvent): undefined {
    const json = eventJson(event);
    this.textChars += generatedChars(json);
    this.last = responseUsage(json) ?? this.last;
    return undefined;
  }

  usage(): MeteredUsage | undefined {
    return this.last;
  }
}

const ERROR_STATUS: Record<ErrorKind, string> = {
  invalid_request: 'INVALID_ARGUMENT',
  too_large: 'INVALID_ARGUMENT',
  upstream_unreachable: 'UNAVAILABLE',
  upstream_timeout: 'DEADLINE_EXCEEDED',
  rate_limited_requests: 'RESOURCE_EXHAUSTED',
  rate_limited_tokens: 'RESOURCE_EXHAUSTED',
  budget_exceeded: 'RESOURCE_EXHAUSTED',
  forbidden: 'PERMISSION_DENIED',
  internal: 'INTERNAL',
  ledger_unavailable: 'UNAVAILABLE', // google.rpc.Code for HTTP 503
};

export function createGeminiAdapter(): ProviderAdapter {
  return {
    name: 'gemini',
    isMeteredPath: (method, path) => method === 'POST' && GENERATE.test(path),
    endpoint(method, path) {
      const match = method === 'POST' ? GENERATE.exec(path) : null;
      if (!match) return undefined;
      return {
        name: match[2]!,
        model: decodeURIComponent(match[1]!),
        streaming: match[2] === 'streamGenerateContent',
      };
    },
    prepare: () => ({ rewriteStream: false }),
    // Without ?alt=sse a stream arrives as one JSON array of responses: the last usage wins.
    usageFromResponse(json) {
      if (!Array.isArray(json)) return responseUsage(json);
      let usage: MeteredUsage | undefined;
      for (const item of json) usage = responseUsage(item) ?? usage;
      return usage;
    },
    streamMeter: () => new GeminiStreamMeter(),
    errorBody: (status, kind, message) => ({ error: { code: status, message, status: ERROR_STATUS[kind] } }),
  };
}
