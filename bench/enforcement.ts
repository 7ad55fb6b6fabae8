// What enforcement adds to the sidecar's latency: the same run measures the
// simulated provider directly, a metering-only sidecar (tracking-only policy:
// no Redis round trip before the call) and an enforcing sidecar (hard budget +
// team and per-model rate limits: one reserve.lua round trip before the call,
// settle folded into the record script). Both sidecars are real processes on
// one Redis; rounds interleave the three targets so drift hits all alike.
// Usage: node --import tsx bench/enforcement.ts   (ROUNDS, REQUESTS, CONCURRENCY)
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { Pool } from 'undici';
import { stringify } from 'yaml';
import {
  freePort,
  startProcess,
  stopProcess,
  waitUntilReady,
  type Started,
} from '../test/cluster/processes.js';
import { startRedis } from '../test/cluster/redis.js';
import { startSimulatedProvider } from '../test/upstream/simulated-provider.js';
import { parseUsd } from '../core/money.js';
import { compilePolicy } from '../sidecar/enforce/policy.js';
import { reserve } from '../sidecar/enforce/reserve.js';

const REPO = resolve(import.meta.dirname, '..');
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const REQUESTS = Number(process.env.REQUESTS ?? 2000);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 1);
const WARMUP = 300;

const dir = mkdtempSync(join(tmpdir(), 'tollgate-bench-enforce-'));
const redis = await startRedis(dir, 'bench-redis');
const upstream = await startSimulatedProvider({
  usage: () => ({ input: 120, cachedInput: 0, cacheWrite: 0, output: 40, reasoning: 0 }),
});
upstream.calls.push = () => 0; // keep no per-call history over tens of thousands of calls

const pricesFile = join(dir, 'prices.yaml');
writeFileSync(
  pricesFile,
  stringify({
    apiVersion: 'tollgate.dev/v1alpha1',
    kind: 'ModelPrice',
    metadata: { name: 'gpt-4o' },
    spec: { provider: 'openai', model: 'gpt-4o', currency: 'USD', prices: { input: '2.50', output: '10' } },
  }),
);
const policyFile = join(dir, 'teambudget.yaml');
writeFileSync(
  policyFile,
  stringify({
    apiVersion: 'tollgate.dev/v1alpha1',
    kind: 'TeamBudget',
    metadata: { name: 'bench-enforced' },
    spec: {
      limit: '1000000',
      period: 'Monthly',
      enforcement: 'Hard',
      rateLimits: {
        requestsPerMinute: 100_000_000,
        tokensPerMinute: 1_000_000_000,
        perModel: [{ model: 'gpt-4o*', requestsPerMinute: 100_000_000 }],
      },
    },
  }),
);

async function sidecar(
  name: string,
  env: Record<string, string>,
): Promise<{ process: Started; origin: string }> {
  const [port, adminPort] = [await freePort(), await freePort()];
  const started = startProcess(
    name,
    join(REPO, 'node_modules/.bin/tsx'),
    [join(REPO, 'cli.ts'), 'sidecar'],
    dir,
    {
      TOLLGATE_TEAM: name,
      TOLLGATE_LISTEN: `127.0.0.1:${port}`,
      TOLLGATE_ADMIN_LISTEN: `127.0.0.1:${adminPort}`,
      TOLLGATE_REDIS_URL: redis.url,
      TOLLGATE_UPSTREAM_OPENAI: upstream.url,
      TOLLGATE_PRICES_FILE: pricesFile,
      TOLLGATE_SPOOL_PATH: join(dir, `${name}.spool.jsonl`),
      TOLLGATE_LOG_LEVEL: 'warn',
      ...env,
    },
  );
  await waitUntilReady(started, async () => (await fetch(`http://127.0.0.1:${adminPort}/readyz`)).ok, 30_000);
  return { process: started, origin: `http://127.0.0.1:${port}` };
}

const metering = await sidecar('bench-metering', {});
const enforcing = await sidecar('bench-enforced', { TOLLGATE_POLICY_FILE: policyFile });

const body = JSON.stringify({
  model: 'gpt-4o',
  max_tokens: 64,
  messages: [{ role: 'user', content: 'How much does enforcement cost per call?' }],
});
const targets = {
  direct: { origin: upstream.url, path: '/v1/chat/completions' },
  metering: { origin: metering.origin, path: '/openai/v1/chat/completions' },
  enforcing: { origin: enforcing.origin, path: '/openai/v1/chat/completions' },
};
type Target = keyof typeof targets;

/** `count` calls from CONCURRENCY keep-alive connections, each timed from send to the last byte. */
async function run(target: Target, count: number): Promise<number[]> {
  const { origin, path } = targets[target];
  const pool = new Pool(origin, { connections: CONCURRENCY });
  const samples: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next++ < count) {
      const start = performance.now();
      const answer = await pool.request({
        method: 'POST',
        path,
        headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench' },
        body,
      });
      await answer.body.text();
      if (answer.statusCode !== 200) throw new Error(`${target} answered ${answer.statusCode}`);
      samples.push(performance.now() - start);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  await pool.close();
  return samples;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;

/** The enforcement round trip alone, from this process: reserve.lua (with its limits) against a PING. */
async function roundTrips(count: number): Promise<{ ping: number[]; reserve: number[] }> {
  const client = new Redis(redis.url);
  const rateLimits = compilePolicy('bench-rt', {
    period: 'Monthly',
    enforcement: 'Hard',
    rateLimits: {
      requestsPerMinute: 1e8,
      tokensPerMinute: 1e9,
      perModel: [{ model: 'gpt-4o*', requestsPerMinute: 1e8 }],
    },
  }).rateLimitsFor('gpt-4o');
  const timed = async (work: (i: number) => Promise<unknown>) => {
    const samples: number[] = [];
    for (let i = 0; i < count; i++) {
      const start = performance.now();
      await work(i);
      samples.push(performance.now() - start);
    }
    return samples.sort((a, b) => a - b);
  };
  const result = {
    ping: await timed(() => client.ping()),
    reserve: await timed((i) =>
      reserve(client, {
        team: 'bench-rt',
        requestId: `rt-${i}`,
        periodId: '2026-12',
        now: Date.now(),
        limit: parseUsd('1000000'),
        worstCase: 1_000_000n,
        estimatedTokens: 200,
        rateLimits,
        ttlMs: 60_000,
      }).then(() => client.hdel('tg:{bench-rt}:reservations', `rt-${i}`)),
    ),
  };
  client.disconnect();
  return result;
}

try {
  for (const target of Object.keys(targets) as Target[]) await run(target, WARMUP);
  const samples: Record<Target, number[]> = { direct: [], metering: [], enforcing: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const target of Object.keys(targets) as Target[])
      samples[target].push(...(await run(target, REQUESTS)));
  }
  const stats = Object.fromEntries(
    (Object.keys(samples) as Target[]).map((target) => {
      const sorted = samples[target].sort((a, b) => a - b);
      return [target, { p50: percentile(sorted, 50), p99: percentile(sorted, 99), n: sorted.length }];
    }),
  ) as Record<Target, { p50: number; p99: number; n: number }>;
  const trips = await roundTrips(REQUESTS);
  const added = (target: Target, p: 'p50' | 'p99') => stats[target][p] - stats.direct[p];
  const ms = (x: number) => x.toFixed(3);
  const load = loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');
  const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} CPUs, Node ${process.version}, load average at the end ${load}`;
  const section = [
    '',
    `## Enforcement latency, ${new Date().toISOString().slice(0, 10)}`,
    '',
    `Machine: ${machine}; load generator, simulated provider, Redis and both sidecars share it (sidecars under tsx).`,
    `${ROUNDS} interleaved rounds x ${REQUESTS} non-streaming chat calls per target, concurrency ${CONCURRENCY}, after ${WARMUP} warm-up calls each (\`node --import tsx bench/enforcement.ts\`).`,
    '',
    '| target | p50 ms | p99 ms | added p50 ms | added p99 ms |',
    '| --- | ---: | ---: | ---: | ---: |',
    `| provider directly | ${ms(stats.direct.p50)} | ${ms(stats.direct.p99)} | - | - |`,
    `| sidecar, metering only | ${ms(stats.metering.p50)} | ${ms(stats.metering.p99)} | ${ms(added('metering', 'p50'))} | ${ms(added('metering', 'p99'))} |`,
    `| sidecar, enforcing | ${ms(stats.enforcing.p50)} | ${ms(stats.enforcing.p99)} | ${ms(added('enforcing', 'p50'))} | ${ms(added('enforcing', 'p99'))} |`,
    '',
    `Enforcement over metering alone: p50 +${ms(stats.enforcing.p50 - stats.metering.p50)} ms, p99 +${ms(stats.enforcing.p99 - stats.metering.p99)} ms (target: <= 0.3 ms at p50).`,
    '',
    `The enforcement round trip alone (${REQUESTS} sequential calls from the bench process, ioredis): ` +
      `reserve.lua p50 ${ms(percentile(trips.reserve, 50))} ms / p99 ${ms(percentile(trips.reserve, 99))} ms ` +
      `(reserve + release), PING p50 ${ms(percentile(trips.ping, 50))} ms / p99 ${ms(percentile(trips.ping, 99))} ms.`,
    '',
  ].join('\n');
  process.stdout.write(section);
  if (process.env.NO_RESULTS !== '1') appendFileSync(join(REPO, 'bench/RESULTS.md'), section);
} finally {
  await Promise.all([stopProcess(metering.process.pid), stopProcess(enforcing.process.pid)]);
  await upstream.close();
  await stopProcess(redis.process.pid);
}
