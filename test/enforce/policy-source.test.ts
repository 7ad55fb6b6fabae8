// Policy refresh without a restart, from Redis (operator-published) and from a file.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { ledgerKeys, UPDATES_CHANNEL } from '../../core/ledger-keys.js';
import { parseUsd } from '../../core/money.js';
import { filePolicySource, redisPolicySource } from '../../sidecar/enforce/policy-source.js';
import { waitFor } from '../support/wait.js';

const redis = new Redis(process.env.TOLLGATE_REDIS_URL ?? '');
afterAll(() => redis.quit());
const logger = pino({ level: 'silent' });

describe('policy sources', () => {
  it('follows the operator: a published change applies at once', async () => {
    const team = `t-${randomUUID()}`;
    const key = ledgerKeys.policy(team);
    const publish = async (version: number, limit: string) => {
      await redis.set(
        key,
        JSON.stringify({ version, spec: { limit, period: 'Daily', enforcement: 'Hard' } }),
      );
      await redis.publish(UPDATES_CHANNEL, key);
    };
    const source = await redisPolicySource({ team, redis, logger, refreshMs: 3_600_000 });
    try {
      expect(source.current().limit).toBeUndefined(); // nothing published: tracking only
      await publish(1, '10');
      await waitFor('policy v1', () => source.current().version === '1');
      expect(source.current().limit).toBe(parseUsd('10'));
      await publish(2, '20');
      await waitFor('policy v2', () => source.current().limit === parseUsd('20'));
      // A broken publication keeps the last good policy.
      await redis.set(
        key,
        JSON.stringify({ version: 3, spec: { limit: 'lots', period: 'Daily', enforcement: 'Hard' } }),
      );
      await source.refresh();
      expect(source.current().version).toBe('2');
    } finally {
      await source.close();
    }
  });

  it('re-reads a TeamBudget file when it changes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-policy-'));
    const path = join(dir, 'teambudget.yaml');
    const yaml = (limit: string) =>
      [
        'apiVersion: tollgate.dev/v1alpha1',
        'kind: TeamBudget',
        'metadata: { name: catalog }',
        'spec:',
        `  limit: "${limit}"`,
        '  period: Weekly',
        '  enforcement: Hard',
        '  models: { deny: ["o1*"] }',
        '',
      ].join('\n');
    writeFileSync(path, yaml('5'));
    const source = await filePolicySource({ team: 'catalog', path, logger, pollMs: 20 });
    try {
      expect(source.current().limit).toBe(parseUsd('5'));
      expect(source.current().checkModel('o1-mini').allowed).toBe(false);
      writeFileSync(path, yaml('7.50'));
      await waitFor('file reload', () => source.current().limit === parseUsd('7.50'));
    } finally {
      await source.close();
    }
  });
});
