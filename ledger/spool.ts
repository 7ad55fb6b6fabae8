// A local, append-only file of records that could not reach Redis. Each
// record is one fsync'd JSON line before record() resolves (appends arriving
// together share one fsync), so a crash loses nothing. Replay renames the file aside first (new records keep appending to
// a fresh file), sends the set-aside records oldest first, and only removes
// them after Redis took them. A crash mid-replay sends some records twice;
// the record script's request-id check makes that harmless.
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, open, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
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

/** Non-empty lines of a file, streamed: a long outage's spool need not fit in memory. */
function linesOf(path: string): AsyncIterable<string> & { close(): void } {
  return createInterface({ input: createReadStream(path), crlfDelay: Infinity });
}

async function countLines(path: string): Promise<number> {
  if (!existsSync(path)) return 0;
  let count = 0;
  for await (const line of linesOf(path)) if (line.trim() !== '') count++;
  return count;
}

/** Replaces `path` with `head` lines followed by its own bytes from `offset` on, durably. */
async function keepTail(path: string, head: string[], offset: number): Promise<void> {
  const temporary = `${path}.tmp`;
  await writeFile(temporary, head.map((line) => `${line}\n`).join(''));
  await pipeline(createReadStream(path, { start: offset }), createWriteStream(temporary, { flags: 'a' }));
  const file = await open(temporary, 'r');
  try {
    await file.datasync(); // fsync is per file, not per descriptor: this covers both writes
  } finally {
    await file.close();
  }
  await rename(temporary, path);
}

interface QueuedAppend {
  line: string;
  done: (error?: Error) => void;
}

export class Spool {
  /** Records waiting for Redis, set aside for replay, oldest first. */
  private readonly replayingPath: string;
  /** Lines Redis refused for good (or that are not records): kept for a human, never dropped. */
  readonly rejectedPath: string;
  private pending = 0;
  /** Serialises appends against the rename that starts a replay. */
  private lock: Promise<unknown> = Promise.resolve();
  /** Appends waiting for the next group write: one fsync covers them all. */
  private queue: QueuedAppend[] = [];

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
    this.setDepth((await countLines(this.replayingPath)) + (await countLines(this.path)));
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
    return new Promise((resolve, reject) => {
      this.queue.push({
        line: `${serializeCall(call)}\n`,
        done: (error) => (error ? reject(error) : resolve()),
      });
      // The first append of a group schedules the write; later ones join it until it runs.
      if (this.queue.length === 1) void this.locked(() => this.writeQueued());
    });
  }

  private async writeQueued(): Promise<void> {
    const group = this.queue.splice(0);
    try {
      await appendDurably(this.path, group.map((entry) => entry.line).join(''));
      this.setDepth(this.pending + group.length);
      for (const entry of group) entry.done();
    } catch (error) {
      for (const entry of group) entry.done(error as Error);
    }
  }

  /**
   * Sends spooled records oldest first, `batchSize` at a time. Returns true
   * when everything set aside was sent, false when `send` threw (the rest
   * stays spooled for the next attempt).
   */
  async replay(send: (call: RecordCall) => Promise<ReplayOutcome>, batchSize = 100): Promise<boolean> {
    await this.locked(async () => {
      if (!existsSync(this.replayingPath) && existsSync(this.path)) {
        await rename(this.path, this.replayingPath);
      }
    });
    if (!existsSync(this.replayingPath)) return true;
    // One record first: while Redis is still away, a single probe times out
    // instead of a whole batch piling up in the client's offline queue.
    let size = 1;
    let batch: string[] = [];
    let offset = 0;
    const lines = linesOf(this.replayingPath);
    for await (const line of lines) {
      offset += Buffer.byteLength(line) + 1;
      if (line.trim() !== '') batch.push(line);
      if (batch.length < size) continue;
      if (!(await this.sendBatch(batch, offset, send))) {
        lines.close();
        return false;
      }
      batch = [];
      size = batchSize;
    }
    if (batch.length > 0 && !(await this.sendBatch(batch, offset, send))) return false;
    await unlink(this.replayingPath).catch(() => undefined);
    return true;
  }

  /** Sends one batch; on failure keeps its unsent lines and everything after `offset` for next time. */
  private async sendBatch(
    batch: string[],
    offset: number,
    send: (call: RecordCall) => Promise<ReplayOutcome>,
  ): Promise<boolean> {
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
    if (unsent.length > 0) await keepTail(this.replayingPath, unsent, offset);
    this.setDepth(this.pending - (batch.length - unsent.length));
    return unsent.length === 0;
  }
}
