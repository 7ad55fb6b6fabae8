// The sidecar's ledger and Redis connection: the writer lives in ledger/, the
// sidecar only wires it to its config, its spool-depth gauge and its log.
import { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { LedgerWriter } from '../core/ledger.js';
import { RedisLedgerWriter } from '../ledger/writer.js';
import type { SidecarConfig } from './config.js';
import type { Metrics } from './metrics.js';

/** One URL: a single Redis. Several: seed nodes of a Redis Cluster. */
export function connectRedis(urls: string[]): Redis | Cluster {
  const options = { maxRetriesPerRequest: 1, connectTimeout: 2000 };
  if (urls.length === 1) return new Redis(urls[0]!, options);
  return new Cluster(
    urls.map((url) => {
      const parsed = new URL(url);
      return { host: parsed.hostname, port: Number(parsed.port || 6379) };
    }),
    { redisOptions: options },
  );
}

export function startLedger(
  config: SidecarConfig,
  redis: Redis | Cluster,
  metrics: Metrics,
  log: Logger,
): Promise<LedgerWriter> {
  return RedisLedgerWriter.start({
    redis,
    team: config.identity.team,
    spoolPath: config.spoolPath,
    onSpoolDepth: (depth) => metrics.spoolDepth.set(depth),
    onError: (error, context) =>
      log.warn({ context, error: error.message }, 'ledger: usage spooled or set aside'),
  });
}
