// Reconciler (a): the price table and each team's policy, published to Redis
// for the sidecars. Writes only what changed, each with a newer version and a
// notification on UPDATES_CHANNEL so sidecars refresh at once.
import { PRICES_KEY, UPDATES_CHANNEL, ledgerKeys } from '../../core/ledger-keys.js';
import type { ModelPrice, TeamBudget } from '../../core/types.js';
import { execPipeline, type RedisClient } from '../../ledger/client.js';

interface Published {
  version: number;
  [field: string]: unknown;
}

/** Content without the version, for "did anything change". */
const contentOf = (value: Published | undefined) =>
  value === undefined ? undefined : JSON.stringify({ ...value, version: undefined });

/** Versions only grow, even after Redis lost the previous one, so a sidecar can tell newer from older. */
const nextVersion = (previous: Published | undefined) => Math.max((previous?.version ?? 0) + 1, Date.now());

export function desiredConfig(
  budgets: TeamBudget[],
  prices: ModelPrice[],
): Map<string, Omit<Published, 'version'>> {
  const desired = new Map<string, Omit<Published, 'version'>>();
  const sorted = [...prices].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  desired.set(PRICES_KEY, { prices: sorted.map((price) => price.spec) });
  for (const budget of budgets) desired.set(ledgerKeys.policy(budget.metadata.name), { spec: budget.spec });
  return desired;
}

export class ConfigPublisher {
  /** Policies this process published, so a deleted TeamBudget's policy is withdrawn. */
  private readonly published = new Set<string>();

  constructor(private readonly redis: RedisClient) {}

  /** Returns the keys written or deleted. Two round trips whatever the number of teams. */
  async reconcile(budgets: TeamBudget[], prices: ModelPrice[]): Promise<string[]> {
    const desired = desiredConfig(budgets, prices);
    const keys = [...desired.keys()];
    const current = await execPipeline<string | null>(this.redis, (p) => keys.forEach((key) => p.get(key)));
    const writes: [string, string][] = [];
    keys.forEach((key, i) => {
      const previous = current[i] ? (JSON.parse(current[i]) as Published) : undefined;
      const next = { version: 0, ...desired.get(key) };
      if (contentOf(previous) !== contentOf(next))
        writes.push([key, JSON.stringify({ ...next, version: nextVersion(previous) })]);
    });
    const removed = [...this.published].filter((key) => !desired.has(key));
    if (writes.length + removed.length > 0) {
      await execPipeline(this.redis, (p) => {
        for (const [key, value] of writes) p.set(key, value).publish(UPDATES_CHANNEL, key);
        for (const key of removed) p.del(key).publish(UPDATES_CHANNEL, key);
      });
    }
    removed.forEach((key) => this.published.delete(key));
    keys.filter((key) => key !== PRICES_KEY).forEach((key) => this.published.add(key));
    return [...writes.map(([key]) => key), ...removed];
  }
}
