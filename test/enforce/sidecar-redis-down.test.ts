// failMode through the sidecar when its Redis really stops: Open serves and
// the ledger's spool replays every call once Redis is back; Closed refuses
// with 503 in the provider's shape and sends nothing upstream.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { ledgerKeys } from '../../core/ledger-keys.js';
import { periodWindow } from '../../core/period.js';
import type { FailMode } from '../../core/types.js';
import { startProcess, stopProcess, waitUntilReady, type Started } from '../cluster/processes.js';
import { startRedis } from '../cluster/redis.js';
import { startHarness, type Harness } from '../sidecar/harness.js';
import { waitFor } from '../support/wait.js';
import { honestUsage, MODEL, picoOf, PRICES, startEnforcingHarness } from './support.js';

interface OwnRedis {
  process: Started;
  url: string;
  dir: string;
}

let h: Harness | undefined;
let redis: OwnRedis | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  if (redis) await stopProcess(redis.process.pid);
  redis = undefined;
});

async function ownRedis(): Promise<OwnRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-redis-down-'));
  return { ...(await startRedis(dir, 'enforce-redis')), dir };
}

/** Stops Redis after it saves its data, as a real restart with persistence would keep it. */
async function stopRedis(own: OwnRedis): Promise<void> {
  const client = new Redis(own.url);
  await client.config('SET', 'save', '3600 1'); // SIGTERM then writes dump.rdb
  client.disconnect();
  await stopProcess(own.process.pid);
}

/** Starts redis-server again on the same port and directory, loading what it saved. */
async function restartRedis(own: OwnRedis): Promise<OwnRedis> {
  const port = new URL(own.url).port;
  const args = ['--bind', '127.0.0.1', '--port', port, '--save', '', '--appendonly', 'no', '--dir', own.dir];
  const started = startProcess('enforce-redis-again', 'redis-server', args, own.dir);
  await waitUntilReady(
    started,
    async () => {
      const client = new Redis(own.url, {
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      client.on('error', () => undefined);
      try {
        await client.connect();
        return (await client.ping()) === 'PONG';
      } finally {
        client.disconnect();
      }
    },
    15_000,
  );
  return { ...own, process: started };
}

/** `failMode` under a hard budget from a policy file; undefined: no TeamBudget at all (metering only). */
async function sidecarOn(
  own: OwnRedis,
  failMode: FailMode | undefined,
): Promise<{ harness: Harness; openai: OpenAI }> {
  const options = { upstream: { usage: honestUsage(1) }, env: { TOLLGATE_REDIS_URL: own.url } };
  const harness = failMode
    ? await startEnforcingHarness({ limit: '100', period: 'Monthly', enforcement: 'Hard', failMode }, options)
    : await startHarness({ ...options, prices: PRICES });
  // A call stuck in the sidecar fails fast and says so, rather than running into the test timeout.
  const openai = new OpenAI({
    apiKey: 'sk-test',
    baseURL: `${harness.sidecar.url}/openai/v1`,
    maxRetries: 0,
    timeout: 10_000,
  });
  return { harness, openai };
}

const ask = (openai: OpenAI) =>
  openai.chat.completions.create({
    model: MODEL,
    max_tokens: 50,
    messages: [{ role: 'user', content: 'hello' }],
  });

// Stopping and restarting redis-server takes seconds on a loaded machine.
describe('Redis stops mid-run', { timeout: 90_000 }, () => {
  // Metering only: no TeamBudget published, so the policy comes from Redis and is tracking-only.
  for (const [name, failMode] of [
    ['under Open', 'Open'],
    ['with no TeamBudget at all (metering only)', undefined],
  ] as const) {
    it(`${name}: every call is served and none is lost`, async () => {
      redis = await ownRedis();
      const { harness, openai } = await sidecarOn(redis, failMode);
      h = harness;
      for (let i = 0; i < 5; i++) await ask(openai);
      await stopRedis(redis);
      for (let i = 0; i < 5; i++) await ask(openai); // served, limits unchecked, usage spooled
      expect(harness.upstream.calls.length).toBe(10);
      redis = await restartRedis(redis);

      const perCall = picoOf(honestUsage(1)({ body: harness.upstream.calls[0]?.body }));
      const key = ledgerKeys.period(harness.team, periodWindow('Monthly', new Date()).id);
      const reader = new Redis(redis.url);
      try {
        const hash = await waitFor('the spool to replay', async () => {
          const now = await reader.hgetall(key);
          return now.requests === '10' ? now : undefined;
        });
        expect(BigInt(hash.cost ?? '0')).toBe(10n * perCall);
      } finally {
        reader.disconnect();
      }
    });
  }

  it('under Closed: calls are refused with 503 and never reach upstream', async () => {
    redis = await ownRedis();
    const { harness, openai } = await sidecarOn(redis, 'Closed');
    h = harness;
    await ask(openai);
    await stopRedis(redis);
    const errors = await Promise.all(Array.from({ length: 5 }, () => ask(openai).catch((e: unknown) => e)));
    for (const error of errors) {
      expect(error).toBeInstanceOf(OpenAI.APIError);
      const refusal = error as InstanceType<typeof OpenAI.APIError>;
      expect(refusal.status).toBe(503);
      expect(refusal.error).toMatchObject({ type: 'server_error', code: 'ledger_unavailable' });
      expect(refusal.message).toContain("Tollgate's usage ledger (Redis) is unreachable");
      expect(refusal.message).toContain('fails closed');
    }
    expect(harness.upstream.calls.length).toBe(1);
    redis = await restartRedis(redis);
    await waitFor('calls served again', () => ask(openai).then(() => true));
    expect(harness.upstream.calls.length).toBe(2);
  });
});
