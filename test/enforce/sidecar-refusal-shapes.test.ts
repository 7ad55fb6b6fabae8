// A refusal reads like the provider's own error to each official SDK: the
// SDK raises its usual error class, with the status, type and message.
import Anthropic from '@anthropic-ai/sdk';
import { ApiError, GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerKeys } from '../../core/ledger-keys.js';
import { parseUsd } from '../../core/money.js';
import { periodWindow } from '../../core/period.js';
import { PRICES as HARNESS_PRICES, type Harness } from '../sidecar/harness.js';
import { PATIENT_TIMEOUT, startEnforcingHarness } from './support.js';

let h: Harness;
let resets: string;
beforeAll(async () => {
  h = await startEnforcingHarness(
    { limit: '2', period: 'Monthly', enforcement: 'Hard' },
    { prices: HARNESS_PRICES },
    PATIENT_TIMEOUT,
  );
  const window = periodWindow('Monthly', new Date());
  resets = `${window.end.toISOString().slice(0, 16)}Z`;
  await h.redis.hset(ledgerKeys.period(h.team, window.id), 'cost', parseUsd('2').toString());
});
afterAll(() => h?.close());

const spentMessage = () =>
  `team ${h.team} has spent $2.00 of its $2.00 Monthly budget; the period resets ${resets}`;

describe('budget refusals in each provider language', () => {
  it('OpenAI: 429 insufficient_quota, not retried', async () => {
    const openai = new OpenAI({ apiKey: 'sk-test', baseURL: `${h.sidecar.url}/openai/v1` }); // default retries on
    const error = await openai.chat.completions
      .create({ model: 'gpt-4o-mini', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    const refusal = error as InstanceType<typeof OpenAI.RateLimitError>;
    expect(refusal.error).toEqual({
      message: spentMessage(),
      type: 'insufficient_quota',
      param: null,
      code: 'insufficient_quota',
    });
    expect(refusal.headers.get('x-should-retry')).toBe('false');
    expect(Number(refusal.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('Anthropic: 429 rate_limit_error', async () => {
    const anthropic = new Anthropic({
      apiKey: 'sk-ant-test',
      baseURL: `${h.sidecar.url}/anthropic`,
      maxRetries: 0,
    });
    const error = await anthropic.messages
      .create({ model: 'claude-sonnet-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
    expect((error as InstanceType<typeof Anthropic.RateLimitError>).error).toEqual({
      type: 'error',
      error: { type: 'rate_limit_error', message: spentMessage() },
    });
  });

  it('Gemini: 429 RESOURCE_EXHAUSTED', async () => {
    const gemini = new GoogleGenAI({
      apiKey: 'gemini-test',
      httpOptions: { baseUrl: `${h.sidecar.url}/gemini`, retryOptions: { attempts: 1 } },
    });
    const error = await gemini.models
      .generateContent({ model: 'gemini-2.5-flash', contents: 'hi', config: { maxOutputTokens: 5 } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(429);
    expect((error as ApiError).message).toContain('RESOURCE_EXHAUSTED');
    expect((error as ApiError).message).toContain(spentMessage());
  });

  it('sent nothing upstream, and each refusal was counted once (the OpenAI SDK did not retry)', async () => {
    expect(h.upstream.calls.length).toBe(0);
    const metrics = await (await fetch(`${h.sidecar.adminUrl}/metrics`)).text();
    expect(metrics).toContain(`tollgate_refusals_total{team="${h.team}",reason="budget"} 3`);
  });
});
