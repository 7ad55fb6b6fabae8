import { describe, expect, it } from 'vitest';
import { parseUsd } from '../../core/money.js';
import { compilePolicy } from '../../sidecar/enforce/policy.js';
import {
  budgetRefusal,
  modelRefusal,
  rateLimitHeaders,
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
      policy,
      window,
      { spent: parseUsd('500'), reserved: 0n, worstCase: parseUsd('0.01') },
      now,
    );
    expect(refusal).toMatchObject({ status: 429, kind: 'budget_exceeded', reason: 'budget' });
    expect(refusal.message).toBe(
      'team catalog has spent $500.00 of its $500.00 Monthly budget; the period resets 2027-01-01T00:00Z',
    );
    expect(refusal.headers['retry-after']).toBe('60');
    expect(refusal.headers['x-should-retry']).toBe('false');
  });

  it('tells a call that is too big for what is left to lower max_tokens', () => {
    const refusal = budgetRefusal(
      policy,
      window,
      { spent: parseUsd('499.99'), reserved: 0n, worstCase: parseUsd('0.05') },
      now,
    );
    expect(refusal.message).toContain('could cost up to $0.0500, more than the $0.0100 left');
    expect(refusal.headers['x-should-retry']).toBe('false');
  });

  it('asks for a quick retry when only calls in flight block the budget', () => {
    const refusal = budgetRefusal(
      policy,
      window,
      { spent: parseUsd('499'), reserved: parseUsd('0.99'), worstCase: parseUsd('0.05') },
      now,
    );
    expect(refusal.headers['retry-after']).toBe('1');
    expect(refusal.headers['x-should-retry']).toBeUndefined();
    expect(refusal.message).toContain('calls in flight have reserved $0.9900');
  });

  it('sets OpenAI-style rate-limit headers', () => {
    const limit = {
      kind: 'tokens' as const,
      perMinute: 1000,
      scope: 'model:gpt-4o*',
      field: 'rl|tokens|model:gpt-4o*',
    };
    const refusal = rateRefusal('catalog', {
      limit,
      retryAfterMs: 1500,
      resetMs: 61_000,
      estimatedTokens: 700,
    });
    expect(refusal).toMatchObject({ status: 429, kind: 'rate_limited_tokens', reason: 'rate_tokens' });
    expect(refusal.headers).toMatchObject({
      'retry-after': '2',
      'retry-after-ms': '1500',
      'x-ratelimit-limit-tokens': '1000',
      'x-ratelimit-remaining-tokens': '0',
      'x-ratelimit-reset-tokens': '1m1s',
      'x-tollgate-ratelimit-limit-tokens': '1000',
      'x-tollgate-ratelimit-remaining-tokens': '0',
      'x-tollgate-ratelimit-reset-tokens': '1m1s',
    });
    expect(refusal.message).toBe(
      'team catalog reached its limit of 1000 tokens per minute for models gpt-4o* (this call is estimated at 700 tokens); retry in 2s',
    );
  });

  it('uses 403 for a forbidden model and 503 when failing closed', () => {
    expect(modelRefusal('catalog', 'gemini-ultra', 'denied')).toMatchObject({
      status: 403,
      kind: 'forbidden',
      message: 'team catalog may not use model gemini-ultra: denied',
    });
    expect(unavailableRefusal('catalog')).toMatchObject({ status: 503, reason: 'redis_unavailable' });
  });

  it('formats reset durations like OpenAI', () => {
    expect(resetDuration(20)).toBe('20ms');
    expect(resetDuration(1000)).toBe('1s');
    expect(resetDuration(360_000)).toBe('6m0s');
  });

  it('reports the tightest admitted limit of each kind', () => {
    const limit = (kind: 'requests' | 'tokens', perMinute: number, scope: string) => ({
      kind,
      perMinute,
      scope,
      field: `rl|${kind}|${scope}`,
    });
    expect(
      rateLimitHeaders([
        { limit: limit('requests', 600, 'team'), remaining: 599, resetMs: 100 },
        { limit: limit('tokens', 100_000, 'team'), remaining: 90_000, resetMs: 6_000 },
        { limit: limit('tokens', 10_000, 'model:gpt-4o*'), remaining: 2_000, resetMs: 48_000 },
      ]),
    ).toEqual({
      'x-ratelimit-limit-requests': '600',
      'x-ratelimit-remaining-requests': '599',
      'x-ratelimit-reset-requests': '100ms',
      'x-ratelimit-limit-tokens': '10000',
      'x-ratelimit-remaining-tokens': '2000',
      'x-ratelimit-reset-tokens': '48s',
    });
  });
});
