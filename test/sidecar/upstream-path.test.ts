// An upstream base URL with a path, as the webhook sets it up when an app had
// its own base URL (operator/webhook/sdk-routing.ts): the sidecar's upstream
// becomes that URL (e.g. http://vllm:8000/v1) and the app's SDK gets the bare
// prefix (http://127.0.0.1:15500/openai). The call must reach the very URL it
// would have reached without Tollgate, and still be metered exactly.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerFields } from '../../core/usage.js';
import { startSimulatedProvider, type SimulatedProvider } from '../upstream/simulated-provider.js';
import { cost, startHarness, USAGE, type Harness } from './harness.js';

const GPT_4O_MINI = { input: 150_000n, cached: 75_000n, output: 600_000n };
const EXPECTED_COST = cost({ input: 1000, cached: 200, output: 300 }, GPT_4O_MINI);

let h: Harness;
let upstream: SimulatedProvider;
let openai: OpenAI;
beforeAll(async () => {
  upstream = await startSimulatedProvider({ usage: () => USAGE });
  h = await startHarness({ env: { TOLLGATE_UPSTREAM_OPENAI: `${upstream.url}/v1` } });
  // What the webhook gives the app: the bare prefix, since the upstream URL already carries /v1.
  openai = new OpenAI({ apiKey: 'sk-test', baseURL: `${h.sidecar.url}/openai`, maxRetries: 0 });
});
afterAll(async () => {
  await h?.close();
  await upstream?.close();
});

describe('an upstream base URL with a path', () => {
  it('forwards /openai/chat/completions to <upstream>/v1/chat/completions and meters it', async () => {
    const before = await h.period();
    await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
    });
    const after = await h.nextRecord(before.requests!);

    expect(upstream.calls.map((c) => `${c.method} ${c.path}`)).toEqual(['POST /v1/chat/completions']);
    expect(after[ledgerFields.cost]! - before[ledgerFields.cost]!).toBe(EXPECTED_COST);
    expect(after[ledgerFields.estimatedRequests]).toBe(0n);
  });

  it('keeps the query string, and streams are metered the same way', async () => {
    const before = await h.period();
    const stream = await openai.chat.completions.create(
      { model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hi' }] },
      { query: { 'api-version': '2024-10-21' } },
    );
    for await (const chunk of stream) void chunk;
    const after = await h.nextRecord(before.requests!);

    expect(upstream.calls.at(-1)?.path).toBe('/v1/chat/completions?api-version=2024-10-21');
    expect(after[ledgerFields.cost]! - before[ledgerFields.cost]!).toBe(EXPECTED_COST);
  });
});
