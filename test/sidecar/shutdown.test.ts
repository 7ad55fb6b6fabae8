// Shutdown: a sidecar that closes leaves nothing open on its Redis (the
// ledger's client, the price and policy subscribers all go), and a stalled
// upstream cannot hold it longer than the shutdown grace: the calls still
// running are stopped and billed as estimates, like a client that left.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { Redis } from 'ioredis';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { startRedis } from '../cluster/redis.js';
import { stopProcess, type Started } from '../cluster/processes.js';
import { waitFor } from '../support/wait.js';
import { startHarness, type Harness } from './harness.js';

let h: Harness | undefined;
let own: { process: Started; url: string } | undefined;
let observer: Redis | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  observer?.disconnect();
  observer = undefined;
  if (own) await stopProcess(own.process.pid);
  own = undefined;
});

/** The other clients connected to Redis, as CLIENT LIST lines. */
async function otherClients(redis: Redis): Promise<string[]> {
  const list = (await redis.client('LIST')) as string;
  const self = String(await redis.client('ID'));
  return list.split('\n').filter((line) => line !== '' && !line.startsWith(`id=${self} `));
}

const subscribers = (clients: string[]) => clients.filter((line) => !/ sub=0 /.test(line));

describe('closing the sidecar', () => {
  it('disconnects every Redis connection, the policy subscriber included', async () => {
    // An own redis-server, so no other test's sidecar shows up in CLIENT LIST.
    own = await startRedis(mkdtempSync(join(tmpdir(), 'tollgate-close-')), 'close-redis');
    h = await startHarness({ env: { TOLLGATE_REDIS_URL: own.url } });
    observer = new Redis(own.url);
    const redis = observer;
    // Prices come from a file here, so the one subscriber is the policy source's.
    await waitFor('the policy subscriber to connect', async () =>
      subscribers(await otherClients(redis)).length === 1 ? true : undefined,
    );

    await h.close();
    h = undefined;
    const left = await waitFor('every sidecar connection to close', async () => {
      const clients = await otherClients(redis);
      return clients.length === 0 ? clients : undefined;
    });
    expect(left).toEqual([]);
  });
});

describe('shutdown with a stalled upstream', () => {
  const GRACE_MS = 300;
  /** Upstream timeout far beyond the test's own timeout: only the grace can end these calls. */
  const env = { TOLLGATE_SHUTDOWN_GRACE_MS: String(GRACE_MS), TOLLGATE_UPSTREAM_TIMEOUT_MS: '600000' };
  let closed = false;
  afterEach(async () => {
    if (closed && h) {
      // close() already ran in the test; stop only what the harness started besides the sidecar.
      await h.upstream.close();
      h.redis.disconnect();
      h = undefined;
    }
    closed = false;
  });

  it('stops a stream stalled mid-way after the grace and records an estimate', async () => {
    h = await startHarness({ env, upstream: { streamChunks: 5 } });
    const harness = h;
    harness.upstream.behave({ stallAfterChunks: 2 });
    const openai = new OpenAI({
      apiKey: 'sk-test',
      baseURL: `${harness.sidecar.url}/openai/v1`,
      maxRetries: 0,
    });
    const stream = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      stream: true,
      messages: [{ role: 'user', content: 'tell me a long story' }],
    });
    const received: string[] = [];
    const reading = (async () => {
      for await (const chunk of stream) received.push(chunk.choices[0]?.delta.content ?? '');
    })().catch((error: unknown) => error);
    await waitFor('the first streamed text', () => received.join('').length > 0);

    const before = await harness.period();
    await harness.sidecar.close(); // would wait for the 600 s upstream timeout without the grace
    closed = true;
    expect(await reading).toBeInstanceOf(Error); // the client's stream was cut, not completed

    const after = await harness.period();
    expect(after.requests! - before.requests!).toBe(1n);
    expect(after['requests:estimated']! - before['requests:estimated']!).toBe(1n);
    expect(after.cost).toBeGreaterThan(0n);
    await waitFor('the upstream call to be aborted', () => harness.upstream.calls[0]?.aborted);
    const line = harness.logs.find((l) => l.msg === 'metered call');
    expect(line).toMatchObject({ outcome: 'shutdown', estimated: true });
  });

  it('answers a call whose upstream never sent headers with a 503 in the provider shape', async () => {
    h = await startHarness({ env });
    const harness = h;
    harness.upstream.behave({ hang: true });
    const anthropic = new Anthropic({
      apiKey: 'sk-ant-test',
      baseURL: `${harness.sidecar.url}/anthropic`,
      maxRetries: 0,
    });
    const answer = anthropic.messages
      .create({ model: 'claude-sonnet-4-5', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    await waitFor('the call to reach the upstream', () => harness.upstream.calls.length === 1);

    await harness.sidecar.close();
    closed = true;
    const error = await answer;
    expect(error).toBeInstanceOf(Anthropic.InternalServerError);
    expect((error as InstanceType<typeof Anthropic.InternalServerError>).status).toBe(503);
    expect((error as Error).message).toContain('shutting down');
    // The upstream had the request, so its input is billed as an estimate.
    const period = await harness.period();
    expect(period['requests:estimated']).toBe(1n);
  });
});
