// Prices from Redis, where the operator publishes them under PRICES_KEY. A
// message on UPDATES_CHANNEL triggers a refresh at once; a slow poll covers
// missed messages (pub/sub is fire-and-forget).
import type { Cluster, Redis } from 'ioredis';
import { PRICES_KEY, UPDATES_CHANNEL } from '../../core/ledger-keys.js';
import type { ModelPriceSpec } from '../../core/types.js';
import type { PriceBook, PriceLog, PriceSource } from './price-book.js';

interface PublishedPrices {
  version: string | number;
  prices: ModelPriceSpec[];
}

export async function startRedisPriceSource(
  redis: Redis | Cluster,
  book: PriceBook,
  log: PriceLog,
  pollMs = 30_000,
): Promise<PriceSource> {
  const load = async () => {
    try {
      const text = await redis.get(PRICES_KEY);
      if (text === null) {
        // Nothing published yet: every call is recorded as unpriced until it is.
        if (!book.loaded) book.replace([], 'none');
        return;
      }
      const published = JSON.parse(text) as PublishedPrices;
      const version = `redis:${published.version}`;
      if (version === book.version) return;
      book.replace(published.prices, version);
      log('info', 'prices loaded', {
        source: PRICES_KEY,
        version: published.version,
        models: book.table.size,
      });
    } catch (error) {
      log('error', 'prices from Redis rejected; keeping the previous prices', {
        error: (error as Error).message,
      });
    }
  };

  const subscriber = redis.duplicate();
  subscriber.on('error', () => undefined); // reconnects by itself; load() logs the outage
  subscriber.on('message', (_channel: string, message: string) => {
    if (message === PRICES_KEY) void load();
  });
  subscriber
    .subscribe(UPDATES_CHANNEL)
    .catch((error: Error) => log('warn', 'price updates subscription failed', { error: error.message }));
  await load();
  const timer = setInterval(() => void load(), pollMs);
  timer.unref();
  return {
    async close() {
      clearInterval(timer);
      subscriber.disconnect();
      await Promise.resolve();
    },
  };
}
