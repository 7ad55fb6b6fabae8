import { describe, expect, it } from 'vitest';
import { parseUsd } from '../../core/money.js';
import { compilePolicy } from '../../sidecar/enforce/policy.js';
import {
  budgetRefusal,
  modelRefusal,
  rateRefusal,
  resetDuration,
  unavailableRefusal,
} from '../../sidecar/enforce/refusal.js';

const policy = compilePolicy('catalog', { limit: '500', period: 'Monthly', enforcement: 'Hard' });
const now = Date.parse('2026-12-31T23:59:00Z');
const window = policy.window(new Date(now));

describe('refusals', () => {
  it('says what was spent, of what, and when it resets', () => {
    const refusal = budgetRefusal(
      'openai',
      policy,
      window,
      { spent: parseUsd('500'), reserved: 0n, worstCase: parseUsd('0.01') },
      now,
    );
    expect(refusal.status).toBe(429);
    expect(refusal.message).toBe(
      'team catalog has spent $500.00 of its $500.00 Monthly budget; the period resets 2027-01-01T00:00Z',
    );
    expect(refusal.body).toEqual({
      error: {
        message: refusal.message,
        type: 'insufficient_quota',
        param: null,
        code: 'insufficient_quota',
      },
    });
    expect(refusal.headers['retry-after']).toBe('60');
    expect(refusal.headers['x-should-retry']).toBe('false');
  });

  it('tells a call that is too big for what is left to lower max_tokens', () => {
    const refusal = budgetRefusal(
      'anthropic',
      policy,
      window,
      { spent: parseUsd('499.99'), reserved: 0n, worstCase: parseUsd('0.05') },
      now,
    );
    expect(refusal.message).toContain('could cost up to $0.0500, more than the $0.0100 left');
    expect(refusal.body).toEqual({
      type: 'error',
      error: { type: 'rate_limit_error', message: refusal.message },
    });
  });

  it('asks for a quick retry when only calls in flight block the budget', () => {
    const refusal = budgetRefusal(
      'gemini',
      policy,
      window,
      { spent: parseUsd('499'), reserved: parseUsd('0.99'), worstCase: parseUsd('0.05') },
      now,
    );
    expect(refusal.headers['retry-after']).toBe('1');
    expect(refusal.headers['x-should-retry']).toBeUndefined();
    expect(refusal.body).toEqual({
      error: { code: 429, message: refusal.message, status: 'RESOURCE_EXHAUSTED' },
    });
  });

  it('sets OpenAI-style rate-limit headers', () => {
    const limit = {
      kind: 'tokens' as const,
      perMinute: 1000,
      scope: 'model:gpt-4o*',
      field: 'rl|tokens|model:gpt-4o*',
    };
    const refusal = rateRefusal('openai', 'catalog', {
      limit,
      retryAfterMs: 1500,
      resetMs: 61_000,
      estimatedTokens: 700,
    });
    expect(refusal.reason).toBe('rate_tokens');
    expect(refusal.headers).toMatchObject({
      'retry-after': '2',
      'x-ratelimit-limit-tokens': '1000',
      'x-ratelimit-remaining-tokens': '0',
      'x-ratelimit-reset-tokens': '1m1s',
    });
    expect(refusal.message).toContain('1000 tokens per minute for models gpt-4o*');
  });

  it('uses 403 for a forbidden model and 503 when failing closed', () => {
    expect(modelRefusal('gemini', 'catalog', 'gemini-ultra', 'denied').body).toEqual({
      error: {
        code: 403,
        message: 'team catalog may not use model gemini-ultra: denied',
        status: 'PERMISSION_DENIED',
      },
    });
    expect(unavailableRefusal('anthropic', 'catalog').status).toBe(503);
  });

  it('formats reset durations like OpenAI', () => {
    expect(resetDuration(20)).toBe('20ms');
    expect(resetDuration(1000)).toBe('1s');
    expect(resetDuration(360_000)).toBe('6m0s');
  });
});
