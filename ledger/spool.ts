// A local, append-only file of records that could not reach Redis. Each
// record is one fsync'd JSON line before record() resolves, so a crash loses
// nothing. Replay renames the file aside first (new records keep appending to
// a fresh file), sends the set-aside records oldest first, and only removes
// them after Redis took them. A crash mid-replay sends some records twice;
// the record script's request-id check makes that harmless.
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { UsageRecord } from '../core/usage.js';
import type { RecordCall } from './record-script.js';

/** What sending one spooled record to Redis came to. Throwing means "Redis still away: stop". */
export type ReplayOutcome = 'recorded' | 'rejected';

/** The JSON form of a RecordCall: bigint cost as a decimal string. */
export function serializeCall(call: RecordCall): string {
  return JSON.stringify({ ...call, usage: { ...call.usage, cost: call.usage.cost.toString() } });
}

export function parseCall(line: string): RecordCall {
  const parsed = JSON.parse(line) as RecordCall & { usage: UsageRecord & { cost: string } };
  if (typeof parsed.usage?.cost !== 'string' || typeof parsed.periodId !== 'string') {
    throw new Error('spool line is not a record');
  }
  return { ...parsed, usage: { ...parsed.usage, cost: BigInt(parsed.usage.cost) } };
}

async function appendDurably(path: string, text: string): Promise<void> {
  const file = await open(path, 'a');
  try {
    await file.appendFile(text);
    await file.datasync();
  } finally {
    await file.close();
  }
}

async function writeDurably(path: string, text: string): Promise<void> {
  const file = await open(path, 'w');
  try {
    await file.writeFile(text);
    await file.datasync();
  } finally {
    await file.close();
  }
}

async function readLines(path: string): Promise<string[]> {
  if (!existsSync(path)) return [];
  return (await readFile(path, 'utf8')).split('\n').filter((line) => line.trim() !== '');
}

export class Spool {
  /** Records waiting for Redis, set aside for replay, oldest first. */
  private readonly replayingPath: string;
  /** Lines Redis refused for good (or that are not records): kept for a human, never dropped. */
  readonly rejectedPath: string;
  private pending = 0;
  /** Serialises appends against the rename that starts a replay. */
  private lock: Promise<unknown> = Promise.resolve();

  constructor(
    readonly path: string,
    private readonly onDepth: (depth: number) => void = () => undefined,
  ) {
    this.replayingPath = `${path}.replaying`;
    this.rejectedPath = `${path}.rejected`;
  }

  /** Counts what a previous process left behind. */
  async open(): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    this.setDepth((await readLines(this.replayingPath)).length + (await readLines(this.path)).length);
  }

  /** Records waiting to be replayed. */
  get depth(): number {
    return this.pending;
  }

  private setDepth(depth: number): void {
    this.pending = depth;
    this.onDepth(depth);
  }

  private locked<T>(work: () => Promise<T>): Promise<T> {
    const result = this.lock.then(work);
    this.lock = result.catch(() => undefined);
    return result;
  }

  /** Appends one record; resolves once it is on disk. */
  append(call: RecordCall): Promise<void> {
    return this.locked(async () => {
      await appendDurably(this.path, `${serializeCall(call)}\n`);
      this.setDepth(this.pending + 1);
    });
  }

  /**
   * Sends spooled records oldest first, `batchSize` at a time. Returns true
   * when everything set aside was sent, false when `send` threw (the rest
   * stays spooled for the next attempt).
   */
  async replay(send: (call: RecordCall) => Promise<ReplayOutcome>, batchSize = 100): Promise<boolean> {
    await this.locked(async () => {
      if (!existsSync(this.replayingPath) && existsSync(this.path))
        await rename(this.path, this.replayingPath);
    });
    let lines = await readLines(this.replayingPath);
    // One record first: while Redis is still away, a single probe times out
    // instead of a whole batch piling up in the client's offline queue.
    let size = 1;
    while (lines.length > 0) {
      const batch = lines.slice(0, size);
      size = batchSize;
      const outcomes = await Promise.allSettled(
        batch.map(async (line) => {
          let call: RecordCall;
          try {
            call = parseCall(line);
          } catch {
            return 'rejected' as const; // e.g. a line torn by a crash mid-write
          }
          return send(call);
        }),
      );
      const rejected = batch.filter(
        (_, i) => outcomes[i]?.status === 'fulfilled' && outcomes[i].value === 'rejected',
      );
      const unsent = batch.filter((_, i) => outcomes[i]?.status === 'rejected');
      if (rejected.length > 0) await appendDurably(this.rejectedPath, `${rejected.join('\n')}\n`);
      const rest = [...unsent, ...lines.slice(batch.length)];
      if (unsent.length > 0) {
        await writeDurably(`${this.replayingPath}.tmp`, rest.map((line) => `${line}\n`).join(''));
        await rename(`${this.replayingPath}.tmp`, this.replayingPath);
        this.setDepth(this.pending - (batch.length - unsent.length));
        return false;
      }
      lines = rest;
      this.setDepth(this.pending - batch.length);
    }
    await unlink(this.replayingPath).catch(() => undefined);
    return true;
  }
}
