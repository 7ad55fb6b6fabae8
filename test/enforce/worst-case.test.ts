import { describe, expect, it } from 'vitest';
import { parsePricePerMillion } from '../../core/money.js';
import {
  estimateCall,
  estimatedTokens,
  outputCeiling,
  worstCaseCost,
} from '../../sidecar/enforce/worst-case.js';

const prices = {
  input: parsePricePerMillion('2.50'),
  cached_input: parsePricePerMillion('1.25'),
  cache_write: parsePricePerMillion('3.125'),
  output: parsePricePerMillion('10'),
};

describe('worst-case cost of a call', () => {
  it('reads the output cap in every provider spelling', () => {
    expect(estimateCall('gpt-4o', { max_tokens: 100 }, 400).outputTokensCap).toBe(100);
    expect(estimateCall('gpt-4o', { max_completion_tokens: 200 }, 400).outputTokensCap).toBe(200);
    expect(estimateCall('gpt-4o', { max_output_tokens: 300 }, 400).outputTokensCap).toBe(300);
    expect(
      estimateCall('gemini-2.5-flash', { generationConfig: { maxOutputTokens: 400 } }, 400).outputTokensCap,
    ).toBe(400);
  });

  it('clamps an absurd max_tokens to what the model can produce, and applies it when absent', () => {
    expect(estimateCall('gpt-4o', { max_tokens: 1e12 }, 10).outputTokensCap).toBe(outputCeiling('gpt-4o'));
    expect(estimateCall('gpt-4o', {}, 10).outputTokensCap).toBe(16_384);
    expect(estimateCall('my-local-model', {}, 10, 1000).outputTokensCap).toBe(1000);
  });

  it('multiplies output by the number of choices', () => {
    expect(estimateCall('gpt-4o', { max_tokens: 100, n: 3 }, 10).outputTokensCap).toBe(300);
  });

  it('bounds input by body bytes at the dearest input rate, exactly in pico-USD', () => {
    const estimate = estimateCall('gpt-4o', { max_tokens: 1000 }, 4000);
    expect(estimate.inputTokensBound).toBe(4000);
    expect(estimatedTokens(estimate)).toBe(1000 + 1000);
    // 4000 x 3.125 USD/M + 1000 x 10 USD/M = 0.0125 + 0.01 USD
    expect(worstCaseCost(estimate, prices)).toBe(22_500_000_000n);
    expect(worstCaseCost(estimate, undefined)).toBe(0n);
  });
});
