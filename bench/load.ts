// The load generator: undici keep-alive pools, an open loop (requests leave on
// a fixed schedule whether or not earlier ones answered, so a slow proxy builds
// a queue and shows it) and a closed loop (N connections, each sends its next
// request when the last one answers: the most the target can serve).
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { Pool } from 'undici';
import { summarize, type LatencySummary } from './stats.js';

/** One OpenAI chat completion request against one target. */
export interface CallSpec {
  origin: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface OpenLoopResult {
  offeredRps: number;
  achievedRps: number;
  latency: LatencySummary;
  /** How late the generator itself dispatched (p99, ms): if high, the numbers are the generator's. */
  dispatchLagP99: number;
  errors: number;
}

export interface ClosedLoopResult {
  connections: number;
  requests: number;
  seconds: number;
  rps: number;
  latency: LatencySummary;
  errors: number;
}

/** Sends one call and reads the whole answer (for a stream: to its last event). */
async function send(pool: Pool, spec: CallSpec): Promise<boolean> {
  const { statusCode, body } = await pool.request({
    method: 'POST',
    path: spec.path,
    headers: spec.headers,
    body: spec.body,
  });
  for await (const chunk of body) void chunk;
  return statusCode === 200;
}

/** Sends one call and returns the answer's text, to check a target really serves it. */
export async function fetchOnce(spec: CallSpec): Promise<{ status: number; text: string }> {
  const pool = new Pool(spec.origin, { connections: 1 });
  try {
    const { statusCode, body } = await pool.request({
      method: 'POST',
      path: spec.path,
      headers: spec.headers,
      body: spec.body,
    });
    return { status: statusCode, text: await body.text() };
  } finally {
    await pool.close();
  }
}

export async function openLoop(
  spec: CallSpec,
  options: { rps: number; seconds: number; drainMs: number },
): Promise<OpenLoopResult> {
  const pool = new Pool(spec.origin, { connections: 256, keepAliveTimeout: 60_000 });
  const total = Math.round(options.rps * options.seconds);
  const intervalMs = 1_000 / options.rps;
  const latencies: number[] = [];
  const lags: number[] = [];
  const inFlight: Promise<void>[] = [];
  let errors = 0;
  let lastAnswer = 0;
  const start = performance.now();

  const fire = (scheduled: number) => {
    const sent = performance.now();
    lags.push(sent - scheduled);
    inFlight.push(
      send(pool, spec).then(
        (ok) => {
          lastAnswer = performance.now();
          if (ok) latencies.push(lastAnswer - sent);
          else errors++;
        },
        () => void errors++,
      ),
    );
  };
  for (let i = 0; i < total; i++) {
    const scheduled = start + i * intervalMs;
    const wait = scheduled - performance.now();
    // Timers have ~1 ms resolution: send everything that is due, then sleep.
    if (wait >= 1) await delay(Math.floor(wait));
    fire(scheduled);
  }
  const drained = await Promise.race([
    Promise.allSettled(inFlight).then(() => true),
    delay(options.drainMs, false),
  ]);
  if (!drained) errors += total - latencies.length - errors; // still unanswered: count as failed
  await pool.destroy();
  return {
    offeredRps: options.rps,
    achievedRps: latencies.length / ((lastAnswer - start) / 1_000),
    latency: summarize(latencies),
    dispatchLagP99: summarize(lags).p99,
    errors,
  };
}

export async function closedLoop(
  spec: CallSpec,
  options: { connections: number; requests: number; maxSeconds: number },
): Promise<ClosedLoopResult> {
  const pool = new Pool(spec.origin, { connections: options.connections, keepAliveTimeout: 60_000 });
  const latencies: number[] = [];
  let issued = 0;
  let errors = 0;
  const start = performance.now();
  const deadline = start + options.maxSeconds * 1_000;
  const worker = async () => {
    while (issued < options.requests && performance.now() < deadline) {
      issued++;
      const sent = performance.now();
      const ok = await send(pool, spec).catch(() => false);
      if (ok) latencies.push(performance.now() - sent);
      else errors++;
    }
  };
  await Promise.all(Array.from({ length: options.connections }, worker));
  const seconds = (performance.now() - start) / 1_000;
  await pool.destroy();
  return {
    connections: options.connections,
    requests: latencies.length,
    seconds,
    rps: latencies.length / seconds,
    latency: summarize(latencies),
    errors,
  };
}
