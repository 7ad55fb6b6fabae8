// Rate limits hold across two sidecar processes (`tollgate sidecar`, real OS
// processes) of one team sharing one Redis: GCRA state lives in Redis only.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startProcess, stopProcess, waitUntilReady, type Started } from '../cluster/processes.js';
import { pricesYaml } from '../sidecar/harness.js';
import { startSimulatedProvider, type SimulatedProvider } from '../upstream/simulated-provider.js';
import { honestUsage, MODEL, PATIENT_TIMEOUT, policyFile, PRICES } from './support.js';

const REPO = resolve(import.meta.dirname, '../..');
const PER_MINUTE = 10;
const MS_PER_REQUEST = 60_000 / PER_MINUTE;

let upstream: SimulatedProvider;
const sidecars: { process: Started; url: string }[] = [];

async function startSidecarProcess(
  name: string,
  env: Record<string, string>,
): Promise<{ process: Started; url: string }> {
  const dir = mkdtempSync(join(tmpdir(), `tollgate-${name}-`));
  const [port, adminPort] = [await freePort(), await freePort()];
  const started = startProcess(
    name,
    join(REPO, 'node_modules/.bin/tsx'),
    [join(REPO, 'cli.ts'), 'sidecar'],
    dir,
    {
      ...env,
      TOLLGATE_LISTEN: `127.0.0.1:${port}`,
      TOLLGATE_ADMIN_LISTEN: `127.0.0.1:${adminPort}`,
      TOLLGATE_SPOOL_PATH: join(dir, 'spool.jsonl'),
      TOLLGATE_LOG_LEVEL: 'warn',
    },
  );
  await waitUntilReady(started, async () => (await fetch(`http://127.0.0.1:${adminPort}/readyz`)).ok, 30_000);
  return { process: started, url: `http://127.0.0.1:${port}` };
}

beforeAll(async () => {
  upstream = await startSimulatedProvider({ usage: honestUsage(1) });
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-rate-'));
  const pricesFile = join(dir, 'prices.yaml');
  writeFileSync(pricesFile, pricesYaml(PRICES));
  const env = {
    ...PATIENT_TIMEOUT,
    TOLLGATE_TEAM: `team-${randomUUID().slice(0, 8)}`,
    TOLLGATE_REDIS_URL: process.env.TOLLGATE_REDIS_URL ?? '',
    TOLLGATE_UPSTREAM_OPENAI: upstream.url,
    TOLLGATE_PRICES_FILE: pricesFile,
    TOLLGATE_POLICY_FILE: policyFile({
      period: 'Monthly',
      enforcement: 'Soft',
      rateLimits: {
        requestsPerMinute: 1000,
        perModel: [{ model: 'gpt-4o*', requestsPerMinute: PER_MINUTE }],
      },
    }),
  };
  sidecars.push(
    ...(await Promise.all([startSidecarProcess('sidecar-a', env), startSidecarProcess('sidecar-b', env)])),
  );
}, 60_000);

afterAll(async () => {
  await Promise.all(sidecars.map((s) => stopProcess(s.process.pid)));
  await upstream?.close();
});

describe('rate limits across sidecar processes', () => {
  it('admits one budget of requests per minute between both processes, and refuses the rest like OpenAI', async () => {
    const clients = sidecars.map(
      (s) => new OpenAI({ apiKey: 'sk-test', baseURL: `${s.url}/openai/v1`, maxRetries: 0 }),
    );
    const started = Date.now();
    const results = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) =>
        clients[i % 2]!.chat.completions.create({
          model: MODEL,
          max_tokens: 10,
          messages: [{ role: 'user', content: `call ${i}` }],
        }),
      ),
    );
    const elapsed = Date.now() - started;
    const served = results.filter((r) => r.status === 'fulfilled').length;
    // GCRA: a full minute's allowance at once, then one more per emission interval.
    expect(served).toBeGreaterThanOrEqual(PER_MINUTE);
    expect(served).toBeLessThanOrEqual(PER_MINUTE + Math.floor(elapsed / MS_PER_REQUEST));
    expect(upstream.calls.length).toBe(served);

    const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    expect(refused.length).toBe(40 - served);
    for (const error of refused) {
      expect(error).toBeInstanceOf(OpenAI.RateLimitError);
      const { headers, message } = error as InstanceType<typeof OpenAI.RateLimitError>;
      expect(message).toContain(`limit of ${PER_MINUTE} requests per minute for models gpt-4o*`);
      expect(headers.get('x-ratelimit-limit-requests')).toBe(String(PER_MINUTE));
      expect(headers.get('x-ratelimit-remaining-requests')).toBe('0');
      expect(Number(headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(Number(headers.get('retry-after'))).toBeLessThanOrEqual(MS_PER_REQUEST / 1000);
    }
  });
});
