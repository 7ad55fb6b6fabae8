// Hard budgets through the real sidecar: the official OpenAI SDK calls it,
// the simulated provider counts what reaches it, Redis holds the spend.
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { ledgerKeys } from '../../core/ledger-keys.js';
import { parseUsd } from '../../core/money.js';
import { periodWindow } from '../../core/period.js';
import type { Harness } from '../sidecar/harness.js';
import { waitFor } from '../support/wait.js';
import { honestUsage, MODEL, PATIENT_TIMEOUT, picoOf, PRICES, startEnforcingHarness } from './support.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function client(harness: Harness): OpenAI {
  return new OpenAI({ apiKey: 'sk-test', baseURL: `${harness.sidecar.url}/openai/v1`, maxRetries: 0 });
}

const periodKey = (team: string) => ledgerKeys.period(team, periodWindow('Monthly', new Date()).id);

describe('hard budget through the sidecar', () => {
  it('300 concurrent calls racing for the last $1.00 never overspend, and refused calls never reach upstream', async () => {
    const usage = honestUsage(1);
    h = await startEnforcingHarness(
      { limit: '10', period: 'Monthly', enforcement: 'Hard' },
      { upstream: { usage } },
      PATIENT_TIMEOUT,
    );
    const already = parseUsd('9');
    await h.redis.hset(periodKey(h.team), 'cost', already.toString());
    const openai = client(h);

    const results = await Promise.allSettled(
      Array.from({ length: 300 }, () =>
        openai.chat.completions.create({
          model: MODEL,
          max_tokens: 1000, // worst case about $0.0104: about 96 calls fit in $1.00
          messages: [{ role: 'user', content: 'race for the last dollar' }],
        }),
      ),
    );
    const served = results.filter((r) => r.status === 'fulfilled').length;
    const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    for (const error of refused) {
      expect(error).toBeInstanceOf(OpenAI.RateLimitError);
      expect((error as InstanceType<typeof OpenAI.RateLimitError>).code).toBe('insufficient_quota');
    }
    expect(served + refused.length).toBe(300);
    expect(h.upstream.calls.length).toBe(served); // a refused call never went upstream

    const perCall = picoOf(usage({ body: h.upstream.calls[0]?.body }));
    const spent = await waitFor('every served call recorded', async () => {
      const hash = await h!.redis.hgetall(periodKey(h!.team));
      return hash.requests === String(served) ? BigInt(hash.cost ?? '0') : undefined;
    });
    expect(spent).toBe(already + BigInt(served) * perCall); // refused calls cost nothing
    expect(spent).toBeLessThanOrEqual(parseUsd('10'));
    expect(served).toBeGreaterThanOrEqual(90); // and the dollar was actually usable
    expect(await h.redis.hlen(`tg:{${h.team}}:reservations`)).toBe(0); // all settled
  });

  it('admits at least 90% of calls whose real cost is 1% of their reservation', async () => {
    h = await startEnforcingHarness(
      { limit: '25', period: 'Monthly', enforcement: 'Hard' },
      {
        prices: [{ ...PRICES[0]!, prices: { input: '2.50', output: '30' } }],
        upstream: { usage: honestUsage(0.01) },
      },
      PATIENT_TIMEOUT,
    );
    const openai = client(h);
    // 400 calls each reserving ~$0.48 ($192 in all, nearly 8x the budget), 20 at a time.
    const total = 400;
    let next = 0;
    let served = 0;
    const refusedStatuses: number[] = [];
    const worker = async () => {
      while (next < total) {
        next++;
        try {
          await openai.chat.completions.create({
            model: MODEL,
            max_tokens: 16_000,
            messages: [{ role: 'user', content: 'cheap in the end' }],
          });
          served++;
        } catch (error) {
          refusedStatuses.push((error as { status: number }).status);
        }
      }
    };
    await Promise.all(Array.from({ length: 20 }, worker));
    expect(served / total).toBeGreaterThanOrEqual(0.9);
    expect(refusedStatuses.every((status) => status === 429)).toBe(true);
    expect(h.upstream.calls.length).toBe(served);
  });

  it('refuses a denied model with 403 before it reaches upstream', async () => {
    h = await startEnforcingHarness({
      period: 'Monthly',
      enforcement: 'Soft',
      models: { deny: ['gpt-4o*'] },
    });
    const error = await client(h)
      .chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect((error as Error).message).toContain(
      `may not use model ${MODEL}: it matches the deny rule "gpt-4o*"`,
    );
    expect(h.upstream.calls.length).toBe(0);
    const metrics = await (await fetch(`${h.sidecar.adminUrl}/metrics`)).text();
    expect(metrics).toContain(`tollgate_refusals_total{team="${h.team}",reason="model"} 1`);
    expect(h.logs.some((line) => line.msg === 'call refused' && line.reason === 'model')).toBe(true);
  });
});
