// A rate-limit refusal names the limit hit the way OpenAI's own 429s do:
// error type "requests" for requests per minute, "tokens" for tokens per
// minute, code "rate_limit_exceeded" for both.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Harness } from '../sidecar/harness.js';
import { MODEL, PATIENT_TIMEOUT, PRICES, startEnforcingHarness } from './support.js';

const TOKEN_LIMITED = 'gpt-4o-tpm';
const REQUEST_LIMITED = MODEL;

let h: Harness;
let openai: OpenAI;
beforeAll(async () => {
  h = await startEnforcingHarness(
    {
      period: 'Monthly',
      enforcement: 'Soft',
      rateLimits: {
        perModel: [
          { model: TOKEN_LIMITED, tokensPerMinute: 100 },
          { model: REQUEST_LIMITED, requestsPerMinute: 1 },
        ],
      },
    },
    { prices: [...PRICES, { ...PRICES[0]!, model: TOKEN_LIMITED }] },
    PATIENT_TIMEOUT,
  );
  openai = new OpenAI({ apiKey: 'sk-test', baseURL: `${h.sidecar.url}/openai/v1`, maxRetries: 0 });
});
afterAll(() => h.close());

/** The second of two calls, which its limit refuses. */
async function secondCallError(model: string): Promise<InstanceType<typeof OpenAI.RateLimitError>> {
  // max_tokens above the 100 tokens per minute: the first call takes the whole minute's allowance.
  const ask = () =>
    openai.chat.completions.create({ model, max_tokens: 200, messages: [{ role: 'user', content: 'hi' }] });
  await ask();
  const error = await ask().catch((e: unknown) => e);
  expect(error).toBeInstanceOf(OpenAI.RateLimitError);
  return error as InstanceType<typeof OpenAI.RateLimitError>;
}

describe('rate-limit refusals in OpenAI’s terms', () => {
  it('tokens per minute: type "tokens"', async () => {
    const error = await secondCallError(TOKEN_LIMITED);
    expect(error.error).toMatchObject({ type: 'tokens', code: 'rate_limit_exceeded', param: null });
    expect(error.headers.get('x-ratelimit-limit-tokens')).toBe('100');
  });

  it('requests per minute: type "requests"', async () => {
    const error = await secondCallError(REQUEST_LIMITED);
    expect(error.error).toMatchObject({ type: 'requests', code: 'rate_limit_exceeded', param: null });
    expect(error.headers.get('x-ratelimit-limit-requests')).toBe('1');
  });
});
