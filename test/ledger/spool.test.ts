// Redis going away under a running writer: records go to the spool, Redis
// comes back, the spool is replayed, and every record counts exactly once.
// Uses its own redis-server (with an append-only file, so a restart keeps
// what was recorded before the outage) on a fixed port it can restart on.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { ledgerKeys } from '../../core/ledger-keys.js';
import { serializeCall } from '../../ledger/spool.js';
import { RedisLedgerWriter } from '../../ledger/writer.js';
import { freePort, startProcess, stopProcess, waitUntilReady, type Started } from '../cluster/processes.js';
import { sum, usage } from './records.js';
import { waitFor } from '../support/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'tollgate-spool-'));
let port: number;
let server: Started | undefined;
let redis: Redis;
let admin: Redis;
const writers: RedisLedgerWriter[] = [];

async function startServer(): Promise<void> {
  const started = startProcess(
    'redis-spool',
    'redis-server',
    [
      ...['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--save', ''],
      ...['--appendonly', 'yes', '--appendfsync', 'always'],
    ],
    dir,
  );
  server = started;
  await waitUntilReady(started, async () => (await admin.ping()) === 'PONG', 15_000);
}

async function stopServer(): Promise<void> {
  if (server) await stopProcess(server.pid);
  server = undefined;
}

function client(): Redis {
  const c = new Redis({ port, host: '127.0.0.1', retryStrategy: () => 50 });
  c.on('error', () => undefined); // refused connections while the server is down are the point
  return c;
}

async function startWriter(name: string, replayIntervalMs = 50): Promise<RedisLedgerWriter> {
  const writer = await RedisLedgerWriter.start({
    redis,
    spoolPath: join(dir, `${name}.jsonl`),
    commandTimeoutMs: 250,
    replayIntervalMs,
  });
  writers.push(writer);
  return writer;
}

beforeAll(async () => {
  port = await freePort();
  admin = client();
  redis = client();
  await startServer();
});

afterEach(async () => {
  if (!server) await startServer();
});

afterAll(async () => {
  // The server goes first, so nothing here can leave it running.
  await stopServer();
  for (const writer of writers) await writer.close();
  redis.disconnect();
  admin.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

it('spools while Redis is down and replays exactly once when it is back', async () => {
  const team = 'outage';
  const depths: number[] = [];
  const writer = await RedisLedgerWriter.start({
    redis,
    spoolPath: join(dir, 'outage.jsonl'),
    commandTimeoutMs: 250,
    replayIntervalMs: 50,
    onSpoolDepth: (depth) => depths.push(depth),
  });
  writers.push(writer);
  const before = usage(team, 0);
  await writer.record(before, '2026-12');

  await stopServer();
  const during = Array.from({ length: 50 }, (_, i) => usage(team, i + 1));
  await Promise.all(during.map((r) => writer.record(r, '2026-12')));
  await writer.record(before, '2026-12'); // a replay of a call Redis already has
  expect(writer.spoolDepth).toBe(51);

  await startServer();
  await waitFor('the spool to drain', () => writer.spoolDepth === 0);
  const period = ledgerKeys.period(team, '2026-12');
  expect(await admin.hget(period, 'cost')).toBe(sum([before, ...during], (r) => r.cost).toString());
  expect(await admin.hget(period, 'requests')).toBe('51');
  expect(await admin.xlen(ledgerKeys.events(team))).toBe(51);
  expect(Math.max(...depths)).toBe(51);
  expect(depths.at(-1)).toBe(0);
  expect(existsSync(join(dir, 'outage.jsonl.replaying'))).toBe(false);

  // Back to normal: the next record goes straight to Redis.
  await writer.record(usage(team, 99), '2026-12');
  expect(writer.spoolDepth).toBe(0);
  expect(await admin.hget(period, 'requests')).toBe('52');
});

it('does not double count a call that timed out but reached Redis later', async () => {
  const team = 'slow';
  const writer = await startWriter('slow');
  const record = usage(team, 3);
  // Writes stall for 1 s: the record times out at 250 ms and is spooled, then
  // both the stalled call and the replay reach Redis.
  await admin.client('PAUSE', 1000, 'WRITE');
  await writer.record(record, '2026-12');
  expect(writer.spoolDepth).toBe(1);
  await waitFor('the spool to drain', () => writer.spoolDepth === 0);
  const period = ledgerKeys.period(team, '2026-12');
  expect(await admin.hget(period, 'cost')).toBe(record.cost.toString());
  expect(await admin.hget(period, 'requests')).toBe('1');
});

it('replays what a previous process left behind, setting aside a torn line', async () => {
  const team = 'leftover';
  const records = Array.from({ length: 5 }, (_, i) => usage(team, i));
  const path = join(dir, 'leftover.jsonl');
  const lines = records.map((r) => serializeCall({ usage: r, periodId: '2026-12' }));
  writeFileSync(path, `${lines.join('\n')}\n{"usage":{"requestId":"torn`);
  const writer = await startWriter('leftover');
  await waitFor('the spool to drain', () => writer.spoolDepth === 0);
  const period = ledgerKeys.period(team, '2026-12');
  expect(await admin.hget(period, 'cost')).toBe(sum(records, (r) => r.cost).toString());
  expect(readFileSync(`${path}.rejected`, 'utf8')).toContain('"torn');
});

it('flushes the spool on close', async () => {
  const team = 'closing';
  const writer = await startWriter('closing', 3_600_000); // no background replay: only close() can flush
  await stopServer();
  const records = Array.from({ length: 10 }, (_, i) => usage(team, i));
  for (const r of records) await writer.record(r, '2026-12');
  await startServer();
  await waitFor('the client to reconnect', () => redis.status === 'ready');
  await writer.close();
  expect(writer.spoolDepth).toBe(0);
  expect(await admin.hget(ledgerKeys.period(team, '2026-12'), 'cost')).toBe(
    sum(records, (r) => r.cost).toString(),
  );
});
