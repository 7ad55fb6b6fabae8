// The ledger talks to a single Redis or a Redis Cluster through ioredis; both
// share the command API, but Cluster pipelines must stay within one slot.
import type { Cluster, Redis } from 'ioredis';

export type RedisClient = Redis | Cluster;

/** Pipelines on a Cluster may only carry keys of one slot (one {team} hash tag). */
export function isCluster(client: RedisClient): client is Cluster {
  return client.isCluster;
}

/** Runs one pipeline and unwraps each reply, failing on the first command error. */
export async function execPipeline<T>(
  client: RedisClient,
  build: (pipeline: ReturnType<RedisClient['pipeline']>) => void,
): Promise<T[]> {
  const pipeline = client.pipeline();
  build(pipeline);
  const replies = (await pipeline.exec()) ?? [];
  return replies.map(([error, value]) => {
    if (error) throw error;
    return value as T;
  });
}
