// A sidecar that closes leaves nothing open on its Redis: the ledger's
// client, the price and policy subscribers all go (a subscriber left behind
// would keep the process alive and hold a connection per restarted pod).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
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
