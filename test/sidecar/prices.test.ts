// A price change reaches a running sidecar without a restart: from the YAML
// file (edited in place) and from Redis (published by the operator).
import { writeFileSync } from 'node:fs';
import OpenAI from 'openai';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { PRICES_KEY, UPDATES_CHANNEL } from '../../core/ledger-keys.js';
import type { ModelPriceSpec } from '../../core/types.js';
import { ledgerFields } from '../../core/usage.js';
import { waitFor } from '../support/wait.js';
import { PRICES, pricesYaml, startHarness, type Harness } from './harness.js';

const gpt = (input: string, output: string): ModelPriceSpec => ({
  provider: 'openai',
  model: 'gpt-4o-mini',
  currency: 'USD',
  prices: { input, cachedInput: input, output },
});

/** One chat call; returns the cost it added to the period. */
async function callCost(h: Harness): Promise<bigint> {
  const client = new OpenAI({ apiKey: 'sk-test', baseURL: `${h.sidecar.url}/openai/v1`, maxRetries: 0 });
  const before = await h.period();
  await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
  const after = await h.nextRecord(before.requests!);
  return after[ledgerFields.cost]! - before[ledgerFields.cost]!;
}

// 1200 input tokens (1000 + 200 cached, priced alike here) and 300 output.
const expected = (input: bigint, output: bigint) => 1200n * input + 300n * output;

describe('price updates', () => {
  it('re-reads the prices file when it changes', async () => {
    const h = await startHarness({ prices: [gpt('1', '2')] });
    try {
      expect(await callCost(h)).toBe(expected(1_000_000n, 2_000_000n));
      const version = h.sidecar.prices.version;
      writeFileSync(h.pricesFile, pricesYaml([...PRICES.slice(1), gpt('1.5', '7.25')]));
      await waitFor('the new prices', () => h.sidecar.prices.version !== version);
      expect(await callCost(h)).toBe(expected(1_500_000n, 7_250_000n));
    } finally {
      await h.close();
    }
  });

  it('keeps the previous prices when the file turns invalid', async () => {
    const h = await startHarness({ prices: [gpt('1', '2')] });
    try {
      writeFileSync(h.pricesFile, pricesYaml([gpt('not-a-price', '2')]));
      await waitFor('the rejection to be logged', () =>
        h.logs.some((l) => l.msg === 'prices file rejected; keeping the previous prices'),
      );
      expect(await callCost(h)).toBe(expected(1_000_000n, 2_000_000n));
    } finally {
      await h.close();
    }
  });

  it('takes prices from Redis and refreshes on an update message', async () => {
    // A database of its own, so the global price key does not meet other tests'.
    const url = `${process.env.TOLLGATE_REDIS_URL}/9`;
    const admin = new Redis(url);
    await admin.set(PRICES_KEY, JSON.stringify({ version: 1, prices: [gpt('2', '4')] }));
    const h = await startHarness({ prices: null, env: { TOLLGATE_REDIS_URL: url } });
    try {
      expect(h.sidecar.prices.version).toBe('redis:1');
      expect(await callCost(h)).toBe(expected(2_000_000n, 4_000_000n));
      await admin.set(PRICES_KEY, JSON.stringify({ version: 2, prices: [gpt('0.5', '1')] }));
      await admin.publish(UPDATES_CHANNEL, PRICES_KEY);
      await waitFor('the published prices', () => h.sidecar.prices.version === 'redis:2');
      expect(await callCost(h)).toBe(expected(500_000n, 1_000_000n));
    } finally {
      await h.close();
      await admin.del(PRICES_KEY);
      admin.disconnect();
    }
  });
});
