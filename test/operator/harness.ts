// Running the operator in-process against the real apiserver and Redis, with
// short intervals, plus the few kube/ledger moves the scenarios need.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoordinationV1Api, CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { Redis } from 'ioredis';
import pino from 'pino';
import { costOf, type PicoUsd } from '../../core/money.js';
import { API_VERSION, type TeamBudget, type TeamBudgetSpec } from '../../core/types.js';
import type { UsageRecord } from '../../core/usage.js';
import { RedisLedgerWriter } from '../../ledger/writer.js';
import { teamBudgets } from '../../operator/kube.js';
import { startOperator, type OperatorHandle, type OperatorOptions } from '../../operator/operator.js';
import { kubeConfig } from '../support/kube.js';

/** A Redis database of its own: other suites' sidecars share the server, not these keys. */
export const redisUrl = (database = 7) => `${process.env.TOLLGATE_REDIS_URL}/${database}`;
export const LEASE_MS = 2_000;

export const SUITE_LABEL = 'test.tollgate.dev/suite';

export interface SuiteScope {
  labels: Record<string, string>;
  /** For OperatorOptions.selector and `kubectl -l`. */
  selector: string;
}

/**
 * A label no other test file (or run) carries. Test files run in parallel on
 * one apiserver; an operator scoped to its file's label syncs, restores and
 * counts only that file's TeamBudgets, never another file's.
 */
export function suiteScope(name: string): SuiteScope {
  const value = `${name}-${process.pid}-${randomBytes(3).toString('hex')}`;
  return { labels: { [SUITE_LABEL]: value }, selector: `${SUITE_LABEL}=${value}` };
}

/** This file's scope: the default for the operators and budgets below (modules load once per test file). */
export const SUITE = suiteScope('operator');

export function clients() {
  const config = kubeConfig();
  return {
    config,
    custom: config.makeApiClient(CustomObjectsApi),
    core: config.makeApiClient(CoreV1Api),
    coordination: config.makeApiClient(CoordinationV1Api),
  };
}

/** Scoped to this file's budgets and creating none, unless the options say otherwise. */
export function startTestOperator(options: OperatorOptions & { leaseName: string }): Promise<OperatorHandle> {
  return startOperator({
    kubeConfig: kubeConfig(),
    redisUrl: redisUrl(),
    syncIntervalMs: 200,
    metricsPort: 0,
    logger: pino({ level: 'silent' }),
    selector: SUITE.selector,
    autoCreate: false,
    ...options,
    lease: {
      name: options.leaseName,
      durationMs: LEASE_MS,
      renewDeadlineMs: 1_500,
      retryPeriodMs: 200,
      ...options.lease,
    },
  });
}

/** Labelled with this file's scope by default, so this file's operators (only) sync it. */
export async function createBudget(
  name: string,
  spec: Partial<TeamBudgetSpec>,
  labels: Record<string, string> = SUITE.labels,
): Promise<void> {
  const body = { apiVersion: API_VERSION, kind: 'TeamBudget', metadata: { name, labels }, spec };
  await clients().custom.createClusterCustomObject({ ...teamBudgets, body });
}

export async function getBudget(name: string): Promise<TeamBudget> {
  return (await clients().custom.getClusterCustomObject({ ...teamBudgets, name })) as TeamBudget;
}

export async function deleteBudgets(names: string[]): Promise<void> {
  const { custom } = clients();
  await Promise.all(
    names.map((name) => custom.deleteClusterCustomObject({ ...teamBudgets, name }).catch(() => undefined)),
  );
}

/** Every TeamBudget carrying the scope's labels, including those an operator auto-created. */
export async function deleteScopedBudgets(scope: SuiteScope = SUITE): Promise<void> {
  await clients().custom.deleteCollectionClusterCustomObject({
    ...teamBudgets,
    labelSelector: scope.selector,
  });
}

/** Events about one TeamBudget, by reason. */
export async function eventsFor(team: string): Promise<{ reason: string; message: string; count: number }[]> {
  const list = await clients().core.listNamespacedEvent({
    namespace: 'default',
    fieldSelector: `involvedObject.name=${team},involvedObject.kind=TeamBudget`,
  });
  return list.items.map((e) => ({ reason: e.reason ?? '', message: e.message ?? '', count: e.count ?? 0 }));
}

// gpt-4o's published rates: $2.50 / 1M input, $10 / 1M output (micro-USD per 1M).
const INPUT_PRICE = 2_500_000n;
const OUTPUT_PRICE = 10_000_000n;
/** One call of 1M input and 100k output tokens: exactly $3.50. */
export const CALL_COST: PicoUsd = costOf(1_000_000, INPUT_PRICE) + costOf(100_000, OUTPUT_PRICE);

let sequence = 0;
export function call(team: string, at: Date): UsageRecord {
  return {
    requestId: `op-test-${process.pid}-${++sequence}`,
    team,
    namespace: `${team}-ns`,
    pod: 'worker-0',
    job: 'checkout-api',
    provider: 'openai',
    model: 'gpt-4o',
    tokens: { input: 1_000_000, cached_input: 0, cache_write: 0, output: 100_000 },
    reasoningTokens: 0,
    cost: CALL_COST,
    at: at.getTime(),
    estimated: false,
    unpriced: false,
    status: 200,
  };
}

/** The real ledger writer, as a sidecar runs it. */
export async function ledgerWriter(url = redisUrl()): Promise<{
  writer: RedisLedgerWriter;
  redis: Redis;
  close(): Promise<void>;
}> {
  const redis = new Redis(url);
  const writer = await RedisLedgerWriter.start({
    redis,
    spoolPath: join(mkdtempSync(join(tmpdir(), 'tollgate-op-spool-')), 'spool.jsonl'),
  });
  return {
    writer,
    redis,
    async close() {
      await writer.close();
      redis.disconnect();
    },
  };
}
