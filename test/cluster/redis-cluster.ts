// A throwaway three-node Redis Cluster (three masters, no replicas) on
// loopback, for tests of the scale-out path. Each node is a real redis-server;
// redis-cli assigns the slots, as an operator would.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort, startProcess, stopProcess, waitUntilReady, type Started } from './processes.js';

const run = promisify(execFile);

export interface RedisCluster {
  nodes: { host: string; port: number }[];
  stop(): Promise<void>;
}

async function clusterState(port: number): Promise<string> {
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
  client.on('error', () => undefined); // a node still starting refuses connections; the poll retries
  try {
    await client.connect();
    const info = await client.cluster('INFO');
    return /cluster_state:(\w+)/.exec(info)?.[1] ?? 'unknown';
  } finally {
    client.disconnect();
  }
}

export async function startRedisCluster(): Promise<RedisCluster> {
  const stateDir = mkdtempSync(join(tmpdir(), 'tollgate-redis-cluster-'));
  const started: Started[] = [];
  const ports: number[] = [];
  const stop = async () => {
    for (const process of started) await stopProcess(process.pid);
    rmSync(stateDir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < 3; i++) {
      // The cluster bus port is chosen too: the default (port + 10000) may not be free or valid.
      const [port, busPort] = [await freePort(), await freePort()];
      const process = startProcess(
        `redis-cluster-${i}`,
        'redis-server',
        [
          ...['--bind', '127.0.0.1', '--port', String(port), '--cluster-port', String(busPort)],
          ...['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${i}.conf`],
          ...['--save', '', '--appendonly', 'no', '--dir', stateDir],
        ],
        stateDir,
      );
      started.push(process);
      ports.push(port);
      await waitUntilReady(process, async () => (await clusterState(port)) !== 'unknown', 15_000);
    }
    await run('redis-cli', [
      '--cluster',
      'create',
      ...ports.map((port) => `127.0.0.1:${port}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    for (const [i, port] of ports.entries()) {
      await waitUntilReady(started[i]!, async () => (await clusterState(port)) === 'ok', 30_000);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { nodes: ports.map((port) => ({ host: '127.0.0.1', port })), stop };
}
