// The sidecar benchmark (issue 3): OpenAI chat completions, streaming and not,
// against one simulated upstream — direct, through a bare pass-through proxy,
// through the built Tollgate sidecar (real Redis, every call priced and
// recorded), through Portkey's gateway and through LiteLLM's proxy — in one run.
//
//   npm run build && bash bench/install-gateways.sh
//   npx tsx bench/sidecar.ts [--quick] [--write] [--wait-quiet] [--only direct,tollgate]
//
// --quick shortens every measurement (for trying the bench, not for results);
// --write replaces the section in bench/RESULTS.md; --wait-quiet first waits
// (up to --max-wait minutes, default 30) for the 1-minute load average to drop below 1.5.
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadavg } from 'node:os';
import { Redis } from 'ioredis';
import { ledgerKeys } from '../core/ledger-keys.js';
import { periodWindow } from '../core/period.js';
import { ledgerFields } from '../core/usage.js';
import { startRedis } from '../test/cluster/redis.js';
import { stopProcess } from '../test/cluster/processes.js';
import { closedLoop, fetchOnce, openLoop } from './load.js';
import { canPin, cpuSeconds, describeMachine, pin, rssMiB, waitForQuiet, watchPeakRss } from './machine.js';
import { renderSection, verdicts, writeSection, type Run, type TargetResult } from './report.js';
import {
  startLitellm,
  startPassthrough,
  startPortkey,
  startTollgate,
  startUpstream,
  type Target,
} from './targets.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    write: { type: 'boolean', default: false },
    'wait-quiet': { type: 'boolean', default: false },
    'max-wait': { type: 'string', default: '30' },
    only: { type: 'string' },
  },
});
const ALL = ['direct', 'passthrough', 'tollgate', 'portkey', 'litellm'];
const selected = flags.only ? flags.only.split(',') : ALL;
const settings = flags.quick
  ? { rps: 500, openSeconds: 2, connections: 32, requests: 2_000, maxSeconds: 4, warmup: 300 }
  : { rps: 500, openSeconds: 10, connections: 32, requests: 20_000, maxSeconds: 15, warmup: 2_000 };

if (!existsSync(join(root, 'dist/cli.js')))
  throw new Error('dist/cli.js is missing: run `npm run build` first');
const GATEWAY_FILES: Record<string, string> = {
  portkey: 'bench/.deps/portkey/node_modules/@portkey-ai/gateway/build/start-server.js',
  litellm: 'bench/.deps/litellm/bin/litellm',
};
for (const name of selected) {
  const file = GATEWAY_FILES[name];
  if (file && !existsSync(join(root, file))) {
    throw new Error(`${name} is not installed: run \`bash bench/install-gateways.sh\` first`);
  }
}

/**
 * A target that does not answer a chat call properly would look fast, so each
 * mode is checked first. Returns why streaming fails, if it does (then only
 * non-streaming is measured); a broken non-streaming answer stops the run.
 */
async function checkServes(target: Target): Promise<string | undefined> {
  const json = await fetchOnce(target.call(false));
  if (json.status !== 200 || !json.text.includes('"chat.completion"')) {
    throw new Error(`${target.name}: bad non-streaming answer ${json.status}: ${json.text.slice(0, 300)}`);
  }
  const stream = await fetchOnce(target.call(true));
  if (
    stream.status !== 200 ||
    !stream.text.includes('chat.completion.chunk') ||
    !stream.text.includes('[DONE]')
  ) {
    return `HTTP ${stream.status}: ${stream.text.slice(0, 120)}`;
  }
  return undefined;
}

/** CPU % of one core that each process used while `work` ran. */
async function withCpu<T>(pids: { target: number; upstream: number }, work: () => Promise<T>) {
  const before = {
    target: cpuSeconds(pids.target),
    upstream: cpuSeconds(pids.upstream),
    self: process.cpuUsage(),
  };
  const started = performance.now();
  const result = await work();
  const seconds = (performance.now() - started) / 1_000;
  const self = process.cpuUsage(before.self);
  return {
    result,
    cpu: {
      target: ((cpuSeconds(pids.target) - before.target) / seconds) * 100,
      upstream: ((cpuSeconds(pids.upstream) - before.upstream) / seconds) * 100,
      loadGenerator: ((self.user + self.system) / 1e6 / seconds) * 100,
    },
  };
}

async function measure(
  target: Target,
  upstreamPid: number,
): Promise<{ result: TargetResult; answered: number }> {
  const streamError = await checkServes(target);
  const modes = streamError ? [false] : [false, true];
  if (streamError)
    process.stderr.write(`${target.name}: streaming broken (${streamError}); measuring non-streaming only\n`);
  let answered = modes.length;
  const rssIdleMiB = target.name === 'direct' ? undefined : rssMiB(target.pid);
  process.stderr.write(`${target.name}: warming up\n`);
  for (const stream of modes) {
    const warm = await closedLoop(target.call(stream), {
      connections: 8,
      requests: settings.warmup,
      maxSeconds: 10,
    });
    answered += warm.requests;
  }
  const peakRss = watchPeakRss(target.pid);
  process.stderr.write(`${target.name}: open loop at ${settings.rps} req/s\n`);
  const open = { rps: settings.rps, seconds: settings.openSeconds, drainMs: 30_000 };
  const openJson = await openLoop(target.call(false), open);
  const openStream = streamError ? undefined : await openLoop(target.call(true), open);
  process.stderr.write(`${target.name}: closed loop\n`);
  const loop = {
    connections: settings.connections,
    requests: settings.requests,
    maxSeconds: settings.maxSeconds,
  };
  const closedJson = await withCpu({ target: target.pid, upstream: upstreamPid }, () =>
    closedLoop(target.call(false), loop),
  );
  const closedStream = streamError ? undefined : await closedLoop(target.call(true), loop);
  const rssPeakMiB = peakRss();
  answered += openJson.latency.count + closedJson.result.requests;
  answered += (openStream?.latency.count ?? 0) + (closedStream?.requests ?? 0);
  const result: TargetResult = {
    name: target.name,
    open: { json: openJson, ...(openStream ? { stream: openStream } : {}) },
    closed: { json: closedJson.result, ...(closedStream ? { stream: closedStream } : {}) },
    cpu: closedJson.cpu,
    ...(streamError ? { streamError } : {}),
    ...(rssIdleMiB !== undefined ? { rssIdleMiB, rssPeakMiB } : {}),
  };
  process.stderr.write(
    `${target.name}: open p50/p99 ${openJson.latency.p50.toFixed(2)}/${openJson.latency.p99.toFixed(2)} ms` +
      (openStream
        ? `, stream ${openStream.latency.p50.toFixed(2)}/${openStream.latency.p99.toFixed(2)} ms`
        : '') +
      `; max ${Math.round(closedJson.result.rps)} req/s` +
      (closedStream ? ` (stream ${Math.round(closedStream.rps)})` : '') +
      `; cpu ${Math.round(closedJson.cpu.target)}%\n`,
  );
  return { result, answered };
}

/** After the sidecar flushed on SIGTERM: what Redis holds for the benchmark's team. */
async function readLedger(redisUrl: string, team: string) {
  const redis = new Redis(redisUrl);
  try {
    const hash = await redis.hgetall(ledgerKeys.period(team, periodWindow('Monthly', new Date()).id));
    return {
      recorded: Number(hash[ledgerFields.requests] ?? 0),
      unpriced: Number(hash[ledgerFields.unpricedRequests] ?? 0),
      costPicoUsd: hash[ledgerFields.cost] ?? '0',
    };
  } finally {
    redis.disconnect();
  }
}

async function main(): Promise<void> {
  const quiet = flags['wait-quiet']
    ? await waitForQuiet(1.5, Number(flags['max-wait']))
    : loadavg()[0]! < 1.5;
  const pinned = canPin();
  const machine = describeMachine(pinned); // before pinning, which narrows what nproc reports
  if (pinned) pin(process.pid, 0); // children inherit core 0; proxies are started on core 1
  mkdirSync(join(root, 'bench/out'), { recursive: true });
  const stateDir = mkdtempSync(join(root, 'bench/out/run-'));
  const redis = await startRedis(stateDir);
  const upstream = await startUpstream(stateDir);
  const upstreamUrl = upstream.call(false).origin;
  const team = `bench-${Date.now()}`;
  const results: TargetResult[] = [];
  let recorded: Run['recorded'];
  const running: Target[] = [upstream];
  try {
    for (const name of selected) {
      process.stderr.write(`${name}: starting\n`);
      const target =
        name === 'direct'
          ? upstream
          : name === 'passthrough'
            ? await startPassthrough(stateDir, upstreamUrl, pinned)
            : name === 'tollgate'
              ? await startTollgate(stateDir, upstreamUrl, redis.url, team, pinned)
              : name === 'portkey'
                ? await startPortkey(stateDir, upstreamUrl, pinned)
                : name === 'litellm'
                  ? await startLitellm(stateDir, upstreamUrl, pinned)
                  : undefined;
      if (!target) throw new Error(`unknown target ${name}; known: ${ALL.join(', ')}`);
      if (target !== upstream) running.push(target);
      const { result, answered } = await measure(target, upstream.pid);
      results.push(result);
      if (target !== upstream) {
        await target.stop(); // the sidecar flushes its ledger on SIGTERM
        running.splice(running.indexOf(target), 1);
      }
      if (name === 'tollgate') recorded = { calls: answered, ...(await readLedger(redis.url, team)) };
    }
  } finally {
    for (const target of running.reverse()) await target.stop();
    await stopProcess(redis.process.pid);
  }

  const run: Run = {
    machine,
    loadAverageAfter: loadavg().map((x) => Math.round(x * 100) / 100),
    quiet,
    settings,
    results,
    ...(recorded ? { recorded } : {}),
  };
  const command = `npx tsx bench/sidecar.ts ${process.argv.slice(2).join(' ')}`.trim();
  const section = renderSection(run, command);
  writeFileSync(join(stateDir, 'results.json'), JSON.stringify(run, null, 2));
  process.stdout.write(section);
  if (flags.write) writeSection(join(root, 'bench/RESULTS.md'), section);
  const missed = verdicts(run).filter((v) => !v.met).length;
  process.stderr.write(`${missed} of ${verdicts(run).length} targets not met; raw results in ${stateDir}\n`);
}

await main();
