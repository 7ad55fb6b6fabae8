// The scale-out path: the sidecar recording into a three-node Redis Cluster.
// Each team's keys share one hash tag, so the record script runs on one node.
import OpenAI from 'openai';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ledgerFields } from '../../core/usage.js';
import { startRedisCluster, type RedisCluster } from '../cluster/redis-cluster.js';
import { startHarness, type Harness } from './harness.js';

let cluster: RedisCluster;
const harnesses: Harness[] = [];

beforeAll(async () => {
  cluster = await startRedisCluster();
});
afterAll(async () => {
  for (const h of harnesses) await h.close();
  await cluster?.stop();
});

it('records exact spend for teams spread over the cluster nodes', async () => {
  const seeds = cluster.nodes.map((n) => `redis://${n.host}:${n.port}`).join(',');
  for (let i = 0; i < 3; i++) harnesses.push(await startHarness({ env: { TOLLGATE_REDIS_URL: seeds } }));
  for (const h of harnesses) {
    expect(h.redis).toBeInstanceOf(Cluster);
    const client = new OpenAI({ apiKey: 'sk-test', baseURL: `${h.sidecar.url}/openai/v1`, maxRetries: 0 });
    const before = await h.period();
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    });
    for await (const _ of stream) void _;
    const after = await h.nextRecord(before.requests!);
    expect(after[ledgerFields.cost]! - before[ledgerFields.cost]!).toBe(
      1000n * 150_000n + 200n * 75_000n + 300n * 600_000n,
    );
  }
}, 60_000);
