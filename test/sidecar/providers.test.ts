// Usage mapping per provider, against bodies from the simulated upstream's encoders.
import { describe, expect, it } from 'vitest';
import { createAnthropicAdapter } from '../../sidecar/providers/anthropic.js';
import { createGeminiAdapter } from '../../sidecar/providers/gemini.js';
import { createOpenAiAdapter } from '../../sidecar/providers/openai.js';
import type { ProviderAdapter } from '../../sidecar/providers/provider.js';
import { SseSplitter } from '../../sidecar/providers/sse.js';
import { anthropicMessage, anthropicStream } from '../upstream/anthropic-wire.js';
import { geminiChunks, geminiResponse } from '../upstream/gemini-wire.js';
import { openAiChat, openAiChatStream, openAiEmbeddings } from '../upstream/openai-wire.js';
import { openAiResponse, openAiResponseStream } from '../upstream/openai-responses-wire.js';
import type { SimulatedUsage } from '../upstream/wire.js';

const usage: SimulatedUsage = { input: 1200, cachedInput: 300, cacheWrite: 45, output: 250, reasoning: 60 };

async function collect(
  produce: (w: { write(t: string): Promise<boolean>; stallAfter: undefined }) => Promise<boolean>,
) {
  let text = '';
  await produce({ write: (t) => Promise.resolve(((text += t), true)), stallAfter: undefined });
  return text;
}

/** Feeds a stream through the meter in small uneven chunks, as a network would. */
function meterStream(
  adapter: ProviderAdapter,
  body: Record<string, unknown>,
  path: string,
  wire: string,
  rewrite = false,
) {
  const endpoint = adapter.endpoint('POST', path, body)!;
  const meter = adapter.streamMeter(endpoint, rewrite);
  const splitter = new SseSplitter();
  const bytes = Buffer.from(wire);
  let client = '';
  for (let i = 0; i < bytes.length; i += 37) {
    for (const event of splitter.push(bytes.subarray(i, i + 37))) {
      const out = meter.onEvent(event);
      if (out !== null) client += out ?? event.raw;
    }
  }
  return { usage: meter.usage(), client, textChars: meter.textChars };
}

describe('OpenAI usage', () => {
  const openai = createOpenAiAdapter();
  it('chat: prompt_tokens includes cached; completion includes reasoning', () => {
    expect(openai.usageFromResponse(openAiChat('gpt-4o', usage))).toEqual({
      model: 'gpt-4o',
      tokens: { input: 1200, cached_input: 300, cache_write: 0, output: 250 },
      reasoningTokens: 60,
    });
  });
  it('responses: input_tokens includes cached', () => {
    expect(openai.usageFromResponse(openAiResponse('o3', usage))?.tokens).toEqual({
      input: 1200,
      cached_input: 300,
      cache_write: 0,
      output: 250,
    });
  });
  it('embeddings: prompt tokens only', () => {
    expect(openai.usageFromResponse(openAiEmbeddings('text-embedding-3-small', usage))?.tokens).toEqual({
      input: 1200,
      cached_input: 0,
      cache_write: 0,
      output: 0,
    });
  });
  it('asks for stream usage and strips it from a client that did not', async () => {
    const request = { model: 'gpt-4o', stream: true, messages: [] };
    const endpoint = openai.endpoint('POST', '/v1/chat/completions', request)!;
    const prepared = openai.prepare(endpoint, request);
    expect(prepared.rewriteStream).toBe(true);
    expect(prepared.body?.stream_options).toEqual({ include_usage: true });
    const upstream = await collect((w) => openAiChatStream(w, prepared.body!, 'gpt-4o', usage, 4));
    const asClientWouldSee = await collect((w) => openAiChatStream(w, request, 'gpt-4o', usage, 4));
    const metered = meterStream(openai, request, '/v1/chat/completions', upstream, true);
    expect(metered.usage?.tokens).toEqual({ input: 1200, cached_input: 300, cache_write: 0, output: 250 });
    expect(metered.client).toBe(asClientWouldSee);
  });
  it('leaves the stream alone when the client asked for usage', async () => {
    const request = { model: 'gpt-4o', stream: true, stream_options: { include_usage: true } };
    expect(
      openai.prepare(openai.endpoint('POST', '/v1/chat/completions', request)!, request).rewriteStream,
    ).toBe(false);
    const wire = await collect((w) => openAiChatStream(w, request, 'gpt-4o', usage, 2));
    const metered = meterStream(openai, request, '/v1/chat/completions', wire);
    expect(metered.client).toBe(wire);
    expect(metered.usage?.reasoningTokens).toBe(60);
  });
  it('responses stream: usage from response.completed', async () => {
    const request = { model: 'o3', stream: true };
    const wire = await collect((w) => openAiResponseStream(w, 'o3', usage, 3));
    const metered = meterStream(openai, request, '/v1/responses', wire);
    expect(metered.usage?.tokens.cached_input).toBe(300);
    expect(metered.textChars).toBeGreaterThan(0);
  });
  it('does not meter other paths', () => {
    expect(openai.endpoint('GET', '/v1/models', undefined)).toBeUndefined();
    expect(openai.isMeteredPath('POST', '/v1/files')).toBe(false);
  });
});

describe('Anthropic usage', () => {
  const anthropic = createAnthropicAdapter();
  it('input_tokens excludes cache reads and writes', () => {
    expect(anthropic.usageFromResponse(anthropicMessage('claude-sonnet-4-5', usage))?.tokens).toEqual({
      input: 1200,
      cached_input: 300,
      cache_write: 45,
      output: 250,
    });
  });
  it('stream: input side from message_start, cumulative output from message_delta', async () => {
    const wire = await collect((w) => anthropicStream(w, 'claude-sonnet-4-5', usage, 5));
    const metered = meterStream(
      anthropic,
      { model: 'claude-sonnet-4-5', stream: true },
      '/v1/messages',
      wire,
    );
    expect(metered.usage).toEqual({
      model: 'claude-sonnet-4-5',
      tokens: { input: 1200, cached_input: 300, cache_write: 45, output: 250 },
      reasoningTokens: 0,
    });
    expect(metered.client).toBe(wire);
  });
});

describe('Gemini usage', () => {
  const gemini = createGeminiAdapter();
  it('promptTokenCount includes cached; thoughts are output', () => {
    expect(gemini.usageFromResponse(geminiResponse('gemini-2.5-flash', usage))).toEqual({
      model: 'gemini-2.5-flash',
      tokens: { input: 1200, cached_input: 300, cache_write: 0, output: 250 },
      reasoningTokens: 60,
    });
  });
  it('stream: the last cumulative usageMetadata wins', () => {
    const wire = geminiChunks('gemini-2.5-flash', usage, 4)
      .map((c) => `data: ${JSON.stringify(c.body)}\r\n\r\n`)
      .join('');
    const metered = meterStream(gemini, {}, '/v1beta/models/gemini-2.5-flash:streamGenerateContent', wire);
    expect(metered.usage?.tokens).toEqual({ input: 1200, cached_input: 300, cache_write: 0, output: 250 });
  });
  it('takes the model from the path', () => {
    expect(gemini.endpoint('POST', '/v1beta/models/gemini-2.5-pro:generateContent', {})).toEqual({
      name: 'generateContent',
      model: 'gemini-2.5-pro',
      streaming: false,
    });
  });
});

describe('error shapes', () => {
  it("Tollgate's own Redis down under failMode Closed: each provider's 503 body", () => {
    const message = "Tollgate's usage ledger (Redis) is unreachable";
    expect(createOpenAiAdapter().errorBody(503, 'ledger_unavailable', message)).toEqual({
      error: { message, type: 'server_error', param: null, code: 'ledger_unavailable' },
    });
    expect(createAnthropicAdapter().errorBody(503, 'ledger_unavailable', message)).toEqual({
      type: 'error',
      error: { type: 'api_error', message },
    });
    expect(createGeminiAdapter().errorBody(503, 'ledger_unavailable', message)).toEqual({
      error: { code: 503, message, status: 'UNAVAILABLE' },
    });
  });

  it('OpenAI names the rate limit hit: requests or tokens', () => {
    const openai = createOpenAiAdapter();
    expect(openai.errorBody(429, 'rate_limited_requests', 'm')).toMatchObject({
      error: { type: 'requests', code: 'rate_limit_exceeded' },
    });
    expect(openai.errorBody(429, 'rate_limited_tokens', 'm')).toMatchObject({
      error: { type: 'tokens', code: 'rate_limit_exceeded' },
    });
  });
});
