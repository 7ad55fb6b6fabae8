// The built binary, as the injected container runs it: `tollgate sidecar`
// configured by environment; SIGTERM flushes and exits 0.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerKeys } from '../../core/ledger-keys.js';
import { periodWindow } from '../../core/period.js';
import { ledgerFields } from '../../core/usage.js';
import { freePort } from '../cluster/processes.js';
import { startSimulatedProvider, type SimulatedProvider } from '../upstream/simulated-provider.js';
import { waitFor } from '../support/wait.js';
import { PRICES, USAGE, pricesYaml } from './harness.js';

const root = new URL('../../', import.meta.url).pathname;
const cli = join(root, 'dist/cli.js');
let upstream: SimulatedProvider;

beforeAll(async () => {
  // `npm test` builds first; build here too so this file also runs alone. The
  // build also copies the Lua scripts, which the modules load from next to themselves.
  await promisify(execFile)('npm', ['run', 'build'], { cwd: root }).catch(() => undefined);
  for (const built of ['dist/cli.js', 'dist/ledger/record.lua', 'dist/sidecar/enforce/reserve.lua'])
    if (!existsSync(join(root, built))) throw new Error(`${built} missing: the build failed`);
  upstream = await startSimulatedProvider({ usage: () => USAGE });
}, 120_000);
afterAll(() => upstream?.close());

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('tollgate sidecar (built binary)', () => {
  it('refuses to start without a team, saying why', async () => {
    const child = spawn(process.execPath, [cli, 'sidecar'], { env: { PATH: process.env.PATH } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    expect(await exited(child)).toBe(2);
    expect(stderr).toContain('TOLLGATE_TEAM is required');
  });

  it('meters a call end to end and flushes on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-bin-'));
    writeFileSync(join(dir, 'prices.yaml'), pricesYaml(PRICES));
    const team = `bin-${randomUUID().slice(0, 8)}`;
    const [port, adminPort] = [await freePort(), await freePort()];
    const child = spawn(process.execPath, [cli, 'sidecar'], {
      env: {
        PATH: process.env.PATH,
        TOLLGATE_TEAM: team,
        TOLLGATE_JOB: 'batch-embedder',
        TOLLGATE_LISTEN: `127.0.0.1:${port}`,
        TOLLGATE_ADMIN_LISTEN: `127.0.0.1:${adminPort}`,
        TOLLGATE_REDIS_URL: process.env.TOLLGATE_REDIS_URL,
        TOLLGATE_UPSTREAM_OPENAI: upstream.url,
        TOLLGATE_PRICES_FILE: join(dir, 'prices.yaml'),
        TOLLGATE_SPOOL_PATH: join(dir, 'spool.jsonl'),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const done = exited(child);
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    await waitFor(
      'the sidecar to be ready',
      async () => (await fetch(`http://127.0.0.1:${adminPort}/readyz`)).ok,
    );

    const openai = new OpenAI({
      apiKey: 'sk-test',
      baseURL: `http://127.0.0.1:${port}/openai/v1`,
      maxRetries: 0,
    });
    const stream = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    });
    for await (const chunk of stream) expect(chunk.usage).toBeUndefined();

    child.kill('SIGTERM');
    expect(await done).toBe(0);
    const redis = new Redis(process.env.TOLLGATE_REDIS_URL!);
    try {
      const hash = await redis.hgetall(ledgerKeys.period(team, periodWindow('Monthly', new Date()).id));
      expect(hash[ledgerFields.requests]).toBe('1');
      expect(hash[ledgerFields.cost]).toBe(String(1000n * 150_000n + 200n * 75_000n + 300n * 600_000n));
      expect(hash[ledgerFields.byJob('batch-embedder', 'requests')]).toBe('1');
    } finally {
      redis.disconnect();
    }
    expect(stdout).toContain('"msg":"metered call"');
  }, 60_000);
});
