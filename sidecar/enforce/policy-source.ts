// Where the sidecar's policy comes from, refreshed without a restart:
//  - Redis: the operator writes { version, spec } at ledgerKeys.policy(team)
//    and PUBLISHes the key on UPDATES_CHANNEL; a slow periodic re-read covers
//    a message lost while the subscription was reconnecting;
//  - a TeamBudget YAML file (TOLLGATE_POLICY_FILE), re-read when it changes.
// A policy that fails to compile is logged and the previous one kept.
import { readFile, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import type { Logger } from 'pino';
import { parse as parseYaml } from 'yaml';
import { ledgerKeys, UPDATES_CHANNEL } from '../../core/ledger-keys.js';
import type { TeamBudget, TeamBudgetSpec } from '../../core/types.js';
import type { RedisClient } from '../../ledger/client.js';
import { compilePolicy, trackingOnlyPolicy, type Policy } from './policy.js';
import { withTimeout } from './timeout.js';

export interface PolicySource {
  current(): Policy;
  /** Re-reads now; resolves once the new policy (or the error) is in place. */
  refresh(): Promise<void>;
  close(): Promise<void>;
}

interface PublishedPolicy {
  version?: string | number;
  spec?: TeamBudgetSpec;
}

export interface RedisPolicyOptions {
  team: string;
  redis: RedisClient;
  logger: Logger;
  timeoutMs?: number;
  refreshMs?: number;
}

export async function redisPolicySource(options: RedisPolicyOptions): Promise<PolicySource> {
  const { team, redis, logger, timeoutMs = 250, refreshMs = 30_000 } = options;
  const key = ledgerKeys.policy(team);
  let policy = trackingOnlyPolicy(team);

  const refresh = async (): Promise<void> => {
    try {
      const text = await withTimeout(redis.get(key), timeoutMs, `reading ${key}`);
      if (text === null) {
        policy = trackingOnlyPolicy(team);
        return;
      }
      const published = JSON.parse(text) as PublishedPolicy;
      if (!published.spec) throw new Error('published policy has no spec');
      const version = String(published.version ?? '');
      if (version !== policy.version) {
        policy = compilePolicy(team, published.spec, version);
        logger.info({ team, version }, 'policy loaded');
      }
    } catch (error) {
      logger.warn({ team, err: (error as Error).message }, 'policy not refreshed; keeping the previous one');
    }
  };

  const subscriber = redis.duplicate();
  subscriber.on('error', () => undefined); // reconnects on its own; refresh() logs what matters
  subscriber.on('message', (channel: string, message: string) => {
    if (channel === UPDATES_CHANNEL && message === key) void refresh();
  });
  await subscriber.subscribe(UPDATES_CHANNEL).catch((error: Error) => {
    logger.warn({ team, err: error.message }, 'policy updates not subscribed; relying on periodic refresh');
  });
  await refresh();
  const timer = setInterval(() => void refresh(), refreshMs);
  timer.unref();

  return {
    current: () => policy,
    refresh,
    async close() {
      clearInterval(timer);
      subscriber.disconnect();
      return Promise.resolve();
    },
  };
}

export interface FilePolicyOptions {
  team: string;
  path: string;
  logger: Logger;
  pollMs?: number;
}

/** Throws at start-up if the file is unreadable: a standalone sidecar without its policy must not serve. */
export async function filePolicySource(options: FilePolicyOptions): Promise<PolicySource> {
  const { team, path, logger, pollMs = 1_000 } = options;
  /** Identifies the file version a policy was read from (stat follows the ConfigMap's symlinks). */
  const signature = (info: Stats) => `${info.ino}:${info.mtimeMs}:${info.size}`;

  // Stat before reading: a write in between leaves an older signature, so the next poll reads again.
  const load = async (): Promise<{ policy: Policy; from: string }> => {
    const info = await stat(path);
    const doc = parseYaml(await readFile(path, 'utf8')) as Partial<TeamBudget> | null;
    if (doc?.kind !== 'TeamBudget' || !doc.spec) throw new Error(`${path} is not a TeamBudget`);
    return { policy: compilePolicy(team, doc.spec, `file@${info.mtimeMs}`), from: signature(info) };
  };

  let { policy, from } = await load();
  const refresh = async (): Promise<void> => {
    try {
      ({ policy, from } = await load());
      logger.info({ team, version: policy.version }, 'policy reloaded from file');
    } catch (error) {
      logger.warn(
        { team, err: (error as Error).message },
        'policy file not reloaded; keeping the previous one',
      );
    }
  };
  // Polling against the signature of what was loaded (not fs.watch, not watchFile): it survives
  // the symlink swap a mounted ConfigMap does on update, and cannot miss a write made between the
  // first load and the watcher's own first look at the file.
  let polling = false;
  const timer = setInterval(() => {
    if (polling) return;
    polling = true;
    void stat(path)
      .then((info) => (signature(info) === from ? undefined : refresh()))
      .catch(() => undefined) // briefly missing during a swap; the next poll looks again
      .finally(() => (polling = false));
  }, pollMs);
  timer.unref();

  return {
    current: () => policy,
    refresh,
    close() {
      clearInterval(timer);
      return Promise.resolve();
    },
  };
}
