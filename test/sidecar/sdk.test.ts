// The official SDKs, pointed at the sidecar: every call's usage x price lands in
// the team's Redis period hash exactly (bigint pico-USD), per model and per job.
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerFields } from '../../core/usage.js';
import { cost, startHarness, type Harness } from './harness.js';

let h: Harness;
let openai: OpenAI;
let anthropic: Anthropic;
let gemini: GoogleGenAI;

beforeAll(async () => {
  h = await startHarness();
  openai = new OpenAI({ apiKey: 'sk-test-secret', baseURL: `${h.sidecar.url}/openai/v1`, maxRetries: 0 });
  anthropic = new Anthropic({
    apiKey: 'sk-ant-test-secret',
    baseURL: `${h.sidecar.url}/anthropic`,
    maxRetries: 0,
  });
  gemini = new GoogleGenAI({
    apiKey: 'gemini-test-secret',
    httpOptions: { baseUrl: `${h.sidecar.url}/gemini` },
  });
});
afterAll(() => h?.close());

const GPT_4O_MINI = { input: 150_000n, cached: 75_000n, output: 600_000n };
const SONNET = { input: 3_000_000n, cached: 300_000n, write: 3_750_000n, output: 15_000_000n };
const FLASH = { input: 300_000n, cached: 75_000n, output: 2_500_000n };

/** Runs `call`, waits for its record, and returns the change of every period field. */
async function recorded(call: () => Promise<unknown>): Promise<Record<string, bigint>> {
  const before = await h.period();
  await call();
  const after = await h.nextRecord(before.requests!);
  const delta: Record<string, bigint> = {};
  for (const field of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const change = after[field]! - before[field]!;
    if (change !== 0n) delta[field] = change;
  }
  return delta;
}

function expectTotals(
  delta: Record<string, bigint>,
  model: string,
  tokens: Record<string, number>,
  expectedCost: bigint,
) {
  expect(delta[ledgerFields.cost]).toBe(expectedCost);
  expect(delta[ledgerFields.requests]).toBe(1n);
  for (const [type, n] of Object.entries(tokens))
    expect(delta[ledgerFields.tokens(type)] ?? 0n).toBe(BigInt(n));
  expect(delta[ledgerFields.byModel(model, 'cost')]).toBe(expectedCost);
  expect(delta[ledgerFields.byJob(h.job, 'cost')]).toBe(expectedCost);
  expect(delta[ledgerFields.estimatedRequests]).toBeUndefined();
  expect(delta[ledgerFields.unpricedRequests]).toBeUndefined();
}

// Simulated usage: 1000 uncached input, 200 cached, 50 cache writes (Anthropic only), 300 output (40 reasoning).
const OPENAI_TOKENS = { input: 1000, cached_input: 200, cache_write: 0, output: 300 };
const OPENAI_COST = cost({ input: 1000, cached: 200, output: 300 }, GPT_4O_MINI);

describe('openai SDK', () => {
  it('chat completion', async () => {
    const delta = await recorded(async () => {
      const completion = await openai.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hi' }],
      });
      expect(completion.usage?.prompt_tokens).toBe(1200);
    });
    expectTotals(delta, 'gpt-4o-mini', OPENAI_TOKENS, OPENAI_COST);
    expect(delta[ledgerFields.reasoningTokens]).toBe(40n);
  });

  it('chat stream without include_usage: metered, and the client sees no usage it did not ask for', async () => {
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    const delta = await recorded(async () => {
      const stream = await openai.chat.completions.create({
        model: 'gpt-4o-mini',
        stream: true,
        messages: [{ role: 'user', content: 'hi' }],
      });
      for await (const chunk of stream) chunks.push(chunk);
    });
    expectTotals(delta, 'gpt-4o-mini', OPENAI_TOKENS, OPENAI_COST);
    expect(chunks.length).toBe(4); // 3 text pieces + the finish chunk
    expect(chunks.every((c) => !('usage' in c) && c.choices.length === 1)).toBe(true);
    const upstreamBody = h.upstream.calls.at(-1)!.body as { stream_options?: unknown };
    expect(upstreamBody.stream_options).toEqual({ include_usage: true });
  });

  it('chat stream with include_usage: the client gets its usage chunk', async () => {
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    const delta = await recorded(async () => {
      const stream = await openai.chat.completions.create({
        model: 'gpt-4o-mini',
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: 'user', content: 'hi' }],
      });
      for await (const chunk of stream) chunks.push(chunk);
    });
    expectTotals(delta, 'gpt-4o-mini', OPENAI_TOKENS, OPENAI_COST);
    expect(chunks.at(-1)?.usage?.completion_tokens).toBe(300);
    expect(chunks.at(-1)?.choices).toEqual([]);
  });

  it('responses, plain and streamed', async () => {
    const plain = await recorded(() => openai.responses.create({ model: 'gpt-4o-mini', input: 'hi' }));
    expectTotals(plain, 'gpt-4o-mini', OPENAI_TOKENS, OPENAI_COST);
    const streamed = await recorded(async () => {
      const stream = await openai.responses.create({ model: 'gpt-4o-mini', input: 'hi', stream: true });
      const types: string[] = [];
      for await (const event of stream) types.push(event.type);
      expect(types.at(-1)).toBe('response.completed');
    });
    expectTotals(streamed, 'gpt-4o-mini', OPENAI_TOKENS, OPENAI_COST);
  });

  it('embeddings', async () => {
    const delta = await recorded(() =>
      openai.embeddings.create({ model: 'text-embedding-3-small', input: 'hello' }),
    );
    expectTotals(
      delta,
      'text-embedding-3-small',
      { input: 1000, cached_input: 0, output: 0 },
      1000n * 20_000n,
    );
  });

  it('a dated snapshot the response reports is priced through an alias glob', async () => {
    const snapshot = await startHarness({ upstream: { respondModel: (m) => `${m}-2024-07-18` } });
    try {
      const client = new OpenAI({
        apiKey: 'sk-test',
        baseURL: `${snapshot.sidecar.url}/openai/v1`,
        maxRetries: 0,
      });
      const before = await snapshot.period();
      await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hi' }],
      });
      const after = await snapshot.nextRecord(before.requests!);
      expect(after[ledgerFields.byModel('gpt-4o-mini-2024-07-18', 'cost')]).toBe(OPENAI_COST);
    } finally {
      await snapshot.close();
    }
  });
});

describe('an extra OpenAI-compatible upstream (TOLLGATE_UPSTREAMS)', () => {
  it('is served under its own prefix and priced as its own provider', async () => {
    const vllm = new OpenAI({ apiKey: 'none', baseURL: `${h.sidecar.url}/vllm/v1`, maxRetries: 0 });
    const delta = await recorded(() =>
      vllm.chat.completions.create({ model: 'llama-3.1-8b', messages: [{ role: 'user', content: 'hi' }] }),
    );
    // No ModelPrice for provider "vllm": tokens recorded, cost 0, flagged unpriced.
    expect(delta[ledgerFields.byModel('llama-3.1-8b', ledgerFields.tokens('input'))]).toBe(1000n);
    expect(delta[ledgerFields.unpricedRequests]).toBe(1n);
    expect(delta[ledgerFields.cost]).toBeUndefined();
    expect(h.upstream.calls.at(-1)!.path).toBe('/v1/chat/completions');
  });
});

describe('anthropic SDK', () => {
  const tokens = { input: 1000, cached_input: 200, cache_write: 50, output: 300 };
  const expected = cost({ input: 1000, cached: 200, write: 50, output: 300 }, SONNET);

  it('message with cache reads and writes', async () => {
    const delta = await recorded(async () => {
      const message = await anthropic.messages.create({
        model: 'claude-sonnet-4-5',
        max_tokens: 512,
        messages: [{ role: 'user', content: 'hi' }],
      });
      expect(message.usage.cache_read_input_tokens).toBe(200);
    });
    expectTotals(delta, 'claude-sonnet-4-5', tokens, expected);
  });

  it('streamed message', async () => {
    const delta = await recorded(async () => {
      const stream = await anthropic.messages.create({
        model: 'claude-sonnet-4-5',
        max_tokens: 512,
        stream: true,
        messages: [{ role: 'user', content: 'hi' }],
      });
      let text = '';
      for await (const event of stream)
        if (event.type === 'content_block_delta' && event.delta.type === 'text_delta')
          text += event.delta.text;
      expect(text).toContain('piece 2');
    });
    expectTotals(delta, 'claude-sonnet-4-5', tokens, expected);
  });
});

describe('@google/genai SDK', () => {
  const tokens = { input: 1000, cached_input: 200, cache_write: 0, output: 300 };
  const expected = cost({ input: 1000, cached: 200, output: 300 }, FLASH);

  it('generateContent', async () => {
    const delta = await recorded(async () => {
      const response = await gemini.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi' });
      expect(response.usageMetadata?.thoughtsTokenCount).toBe(40);
    });
    expectTotals(delta, 'gemini-2.5-flash', tokens, expected);
    expect(delta[ledgerFields.reasoningTokens]).toBe(40n);
  });

  it('generateContentStream', async () => {
    const delta = await recorded(async () => {
      const stream = await gemini.models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'hi' });
      let pieces = 0;
      for await (const chunk of stream) pieces += chunk.text ? 1 : 0;
      expect(pieces).toBe(3);
    });
    expectTotals(delta, 'gemini-2.5-flash', tokens, expected);
  });
});
