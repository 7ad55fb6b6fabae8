// The spool file on its own: group-committed appends, replay oldest first,
// and a replay cut short keeps exactly what was not sent.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { RecordCall } from '../../ledger/record-script.js';
import { Spool } from '../../ledger/spool.js';
import { usage } from './records.js';

const newSpool = () => new Spool(join(mkdtempSync(join(tmpdir(), 'tollgate-spool-file-')), 'spool.jsonl'));
const calls = (n: number): RecordCall[] =>
  Array.from({ length: n }, (_, i) => ({ usage: usage('files', i), periodId: '2026-12' }));

it('writes concurrent appends as whole lines and counts them', async () => {
  const spool = newSpool();
  await spool.open();
  const written = calls(1000);
  await Promise.all(written.map((call) => spool.append(call)));
  expect(spool.depth).toBe(1000);
  const lines = readFileSync(spool.path, 'utf8').trimEnd().split('\n');
  expect(lines.map((line) => (JSON.parse(line) as RecordCall).usage.requestId)).toEqual(
    written.map((call) => call.usage.requestId),
  );
  const reopened = new Spool(spool.path);
  await reopened.open();
  expect(reopened.depth).toBe(1000);
});

it('keeps exactly the unsent records, in order, when a replay is cut short', async () => {
  const spool = newSpool();
  await spool.open();
  const written = calls(250);
  for (const call of written) await spool.append(call);

  const sent: string[] = [];
  const cutShort = await spool.replay((call) => {
    if (sent.length >= 120) return Promise.reject(new Error('Redis went away'));
    sent.push(call.usage.requestId);
    return Promise.resolve(call.usage.requestId === written[7]!.usage.requestId ? 'rejected' : 'recorded');
  }, 50);
  expect(cutShort).toBe(false);
  expect(spool.depth).toBe(130);
  await spool.append({ usage: usage('files', 999), periodId: '2026-12' }); // arrives meanwhile

  const rest: RecordCall[] = [];
  const collect = (call: RecordCall) => (rest.push(call), Promise.resolve('recorded' as const));
  expect(await spool.replay(collect)).toBe(true);
  expect(await spool.replay(collect)).toBe(true);
  expect(spool.depth).toBe(0);
  expect([...sent, ...rest.map((call) => call.usage.requestId)]).toEqual([
    ...written.map((call) => call.usage.requestId),
    expect.stringMatching(/^req-/),
  ]);
  expect(rest.at(-1)!.usage.cost).toBe(usage('files', 999).cost);
  expect(readFileSync(`${spool.path}.rejected`, 'utf8')).toContain(written[7]!.usage.requestId);
});
