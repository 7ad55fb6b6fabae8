// The operator's policy changes apply to a running sidecar at once: it
// publishes { version, spec } at the team's policy key and the key's name on
// UPDATES_CHANNEL; no restart, no waiting for a periodic refresh.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerKeys, UPDATES_CHANNEL } from '../../core/ledger-keys.js';
import type { TeamBudgetSpec } from '../../core/types.js';
import { startHarness, type Harness } from '../sidecar/harness.js';
import { waitFor } from '../support/wait.js';
import { MODEL, PRICES } from './support.js';

let h: Harness;
let openai: OpenAI;
beforeAll(async () => {
  h = await startHarness({ prices: PRICES }); // no policy file: the policy comes from Redis
  openai = new OpenAI({ apiKey: 'sk-test', baseURL: `${h.sidecar.url}/openai/v1`, maxRetries: 0 });
});
afterAll(() => h?.close());

async function publish(version: number, spec: TeamBudgetSpec): Promise<void> {
  const key = ledgerKeys.policy(h.team);
  await h.redis.set(key, JSON.stringify({ version, spec }));
  await h.redis.publish(UPDATES_CHANNEL, key);
}

const ask = () =>
  openai.chat.completions
    .create({ model: MODEL, max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] })
    .then(() => 'served' as const)
    .catch((error: { status?: number }) => error.status);

describe('policy published by the operator', () => {
  it('applies without a restart', async () => {
    expect(await ask()).toBe('served'); // nothing published: tracking only
    await publish(1, { period: 'Monthly', enforcement: 'Soft', models: { deny: ['gpt-4o*'] } });
    await waitFor('the deny rule to apply', async () => (await ask()) === 403);
    await publish(2, { period: 'Monthly', enforcement: 'Soft', models: { allow: ['gpt-4o'] } });
    await waitFor('the allow rule to apply', async () => (await ask()) === 'served');
  });
});
