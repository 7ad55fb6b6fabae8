// A sidecar under test: the real pipeline and ledger against the test run's
// real Redis, a simulated provider upstream, prices from a YAML file, and the
// log lines captured for assertions.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Cluster, Redis } from 'ioredis';
import { stringify } from 'yaml';
import { ledgerKeys } from '../../core/ledger-keys.js';
import { periodWindow } from '../../core/period.js';
import type { ModelPriceSpec } from '../../core/types.js';
import { loadConfig } from '../../sidecar/config.js';
import { startSidecar, type RunningSidecar } from '../../sidecar/server.js';
import {
  startSimulatedProvider,
  type SimulatedProvider,
  type SimulatedProviderOptions,
  type SimulatedUsage,
} from '../upstream/simulated-provider.js';
import { waitFor } from '../support/wait.js';

export const USAGE: SimulatedUsage = {
  input: 1000,
  cachedInput: 200,
  cacheWrite: 50,
  output: 300,
  reasoning: 40,
};

export const PRICES: ModelPriceSpec[] = [
  {
    provider: 'openai',
    model: 'gpt-4o-mini',
    aliases: ['gpt-4o-mini-*'],
    currency: 'USD',
    prices: { input: '0.15', cachedInput: '0.075', output: '0.60' },
  },
  {
    provider: 'openai',
    model: 'text-embedding-3-small',
    currency: 'USD',
    prices: { input: '0.02', output: '0' },
  },
  {
    provider: 'anthropic',
    model: 'claude-sonnet-4-5',
    currency: 'USD',
    prices: { input: '3', cachedInput: '0.30', cacheWrite: '3.75', output: '15' },
  },
  {
    provider: 'gemini',
    model: 'gemini-2.5-flash',
    currency: 'USD',
    prices: { input: '0.30', cachedInput: '0.075', output: '2.50' },
  },
];

export function pricesYaml(specs: ModelPriceSpec[]): string {
  return specs
    .map((spec, i) =>
      stringify({
        apiVersion: 'tollgate.dev/v1alpha1',
        kind: 'ModelPrice',
        metadata: { name: `price-${i}` },
        spec,
      }),
    )
    .join('---\n');
}

export interface Harness {
  team: string;
  job: string;
  upstream: SimulatedProvider;
  sidecar: RunningSidecar;
  redis: Redis | Cluster;
  logs: Record<string, unknown>[];
  pricesFile: string;
  /** The team's current-period hash as bigints (missing fields read as 0). */
  period(): Promise<Record<string, bigint>>;
  /** Waits until the period's request count exceeds `requestsBefore`. */
  nextRecord(requestsBefore: bigint): Promise<Record<string, bigint>>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  upstream?: SimulatedProviderOptions;
  env?: Record<string, string>;
  prices?: ModelPriceSpec[] | null;
  /** Point every provider at this URL instead of the simulated one. */
  upstreamUrl?: string;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const redisUrl = process.env.TOLLGATE_REDIS_URL;
  if (!redisUrl) throw new Error('TOLLGATE_REDIS_URL is not set: is the global setup running?');
  const upstream = await startSimulatedProvider({ usage: () => USAGE, ...options.upstream });
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-sidecar-'));
  const pricesFile = join(dir, 'prices.yaml');
  writeFileSync(pricesFile, pricesYaml(options.prices ?? PRICES));
  const team = `team-${randomUUID().slice(0, 8)}`;
  const job = 'checkout-api';
  const target = options.upstreamUrl ?? upstream.url;
  const config = loadConfig({
    TOLLGATE_TEAM: team,
    TOLLGATE_NAMESPACE: 'shop',
    TOLLGATE_POD: 'checkout-api-7d9f',
    TOLLGATE_JOB: job,
    TOLLGATE_LISTEN: '127.0.0.1:0',
    TOLLGATE_ADMIN_LISTEN: '127.0.0.1:0',
    TOLLGATE_REDIS_URL: redisUrl,
    TOLLGATE_UPSTREAM_OPENAI: target,
    TOLLGATE_UPSTREAM_ANTHROPIC: target,
    TOLLGATE_UPSTREAM_GEMINI: target,
    TOLLGATE_UPSTREAMS: `vllm=${target}`,
    ...(options.prices === null ? {} : { TOLLGATE_PRICES_FILE: pricesFile }),
    TOLLGATE_SPOOL_PATH: join(dir, 'spool.jsonl'),
    TOLLGATE_UPSTREAM_TIMEOUT_MS: '2000',
    TOLLGATE_MAX_BODY_BYTES: String(256 * 1024),
    ...options.env,
  });
  const logs: Record<string, unknown>[] = [];
  const logDestination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  const sidecar = await startSidecar(config, { logDestination });
  const redis =
    config.redisUrls.length > 1
      ? new Cluster(
          config.redisUrls.map((u) => ({ host: new URL(u).hostname, port: Number(new URL(u).port) })),
        )
      : new Redis(config.redisUrls[0]!);
  redis.on('error', () => undefined); // tests that stop Redis see the failure in their own calls
  const key = () => ledgerKeys.period(team, periodWindow('Monthly', new Date()).id);
  const period = async () => {
    const hash = await redis.hgetall(key());
    return new Proxy(Object.fromEntries(Object.entries(hash).map(([k, v]) => [k, BigInt(v)])), {
      get: (target, name: string) => target[name] ?? 0n,
    });
  };
  return {
    team,
    job,
    upstream,
    sidecar,
    redis,
    logs,
    pricesFile,
    period,
    async nextRecord(requestsBefore) {
      return waitFor('the call to be recorded', async () => {
        const now = await period();
        return now.requests! > requestsBefore ? now : undefined;
      });
    },
    async close() {
      await sidecar.close();
      await upstream.close();
      redis.disconnect();
    },
  };
}

/** Exact expected pico-USD: tokens x micro-USD-per-million prices. */
export function cost(
  tokens: { input?: number; cached?: number; write?: number; output?: number },
  prices: { input: bigint; cached?: bigint; write?: bigint; output: bigint },
): bigint {
  return (
    BigInt(tokens.input ?? 0) * prices.input +
    BigInt(tokens.cached ?? 0) * (prices.cached ?? prices.input) +
    BigInt(tokens.write ?? 0) * (prices.write ?? prices.input) +
    BigInt(tokens.output ?? 0) * prices.output
  );
}
