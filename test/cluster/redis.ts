// A throwaway redis-server on a loopback port, no persistence.
import { Redis } from 'ioredis';
import { freePort, startProcess, waitUntilReady, type Started } from './processes.js';

export async function startRedis(
  stateDir: string,
  name = 'redis',
): Promise<{ process: Started; url: string }> {
  const port = await freePort();
  const started = startProcess(
    name,
    'redis-server',
    ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', stateDir],
    stateDir,
  );
  const url = `redis://127.0.0.1:${port}`;
  await waitUntilReady(started, () => ping(url), 15_000);
  return { process: started, url };
}

async function ping(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => {}); // connect() rejects; the event would only repeat it
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } finally {
    client.disconnect();
  }
}
