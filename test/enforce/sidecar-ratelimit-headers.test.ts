// An admitted call under rate limits tells the app where it stands, like
// OpenAI's x-ratelimit-* but under x-tollgate-ratelimit-*: the upstream's own
// x-ratelimit-* headers (its account limits) are left to the upstream.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Harness } from '../sidecar/harness.js';
import { MODEL, PATIENT_TIMEOUT, startEnforcingHarness } from './support.js';

let h: Harness;
let openai: OpenAI;
beforeAll(async () => {
  h = await startEnforcingHarness(
    {
      period: 'Monthly',
      enforcement: 'Soft',
      rateLimits: {
        requestsPerMinute: 600,
        tokensPerMinute: 1_000_000,
        perModel: [{ model: 'gpt-4o*', requestsPerMinute: 60 }],
      },
    },
    {},
    PATIENT_TIMEOUT,
  );
  openai = new OpenAI({ apiKey: 'sk-test', baseURL: `${h.sidecar.url}/openai/v1`, maxRetries: 0 });
});
afterAll(() => h.close());

const tollgateHeaders = (headers: Headers) =>
  Object.fromEntries([...headers].filter(([name]) => name.startsWith('x-tollgate-ratelimit-')));

describe('rate-limit headers on admitted calls', () => {
  it('carry the tightest limit of each kind, without inventing upstream x-ratelimit-* headers', async () => {
    const ask = { model: MODEL, max_tokens: 20, messages: [{ role: 'user' as const, content: 'hi' }] };
    const first = await openai.chat.completions.create(ask).withResponse();
    const second = await openai.chat.completions.create(ask).withResponse();

    const headers = tollgateHeaders(second.response.headers);
    // The per-model 60/min is tighter than the team's 600/min: two used, 58 left.
    expect(headers['x-tollgate-ratelimit-limit-requests']).toBe('60');
    expect(headers['x-tollgate-ratelimit-remaining-requests']).toBe('58');
    expect(headers['x-tollgate-ratelimit-reset-requests']).toMatch(/^\d+(ms|s)$/);
    expect(headers['x-tollgate-ratelimit-limit-tokens']).toBe('1000000');
    expect(Number(headers['x-tollgate-ratelimit-remaining-tokens'])).toBeLessThan(1_000_000);
    expect(Number(tollgateHeaders(first.response.headers)['x-tollgate-ratelimit-remaining-requests'])).toBe(
      59,
    );
    // The simulated provider sends no x-ratelimit-*; Tollgate must not have added any.
    expect([...second.response.headers.keys()].filter((n) => n.startsWith('x-ratelimit-'))).toEqual([]);
  });

  it('arrive on a stream before its first chunk', async () => {
    const { data: stream, response } = await openai.chat.completions
      .create({ model: MODEL, stream: true, max_tokens: 20, messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    for await (const chunk of stream) void chunk;
    expect(tollgateHeaders(response.headers)['x-tollgate-ratelimit-limit-requests']).toBe('60');
  });
});
