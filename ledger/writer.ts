// LedgerWriter on Redis: one record script call per metered call, with a
// local spool for when Redis is away. While Redis is failing, records go
// straight to the spool (no per-call timeout wait); a background loop replays
// the spool and, once it drains, sends records to Redis again.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReplyError } from 'ioredis';
import type { LedgerWriter } from '../core/ledger.js';
import { TEAMS_KEY } from '../core/ledger-keys.js';
import type { UsageRecord } from '../core/usage.js';
import type { RedisClient } from './client.js';
import {
  DEFAULT_RECORD_SETTINGS,
  recordArguments,
  recordCommand,
  type RecordCall,
  type RecordSettings,
} from './record-script.js';
import { Spool, type ReplayOutcome } from './spool.js';

export interface RedisLedgerWriterOptions extends Partial<RecordSettings> {
  redis: RedisClient;
  /** The sidecar's team, added to the set of teams at start. */
  team?: string;
  /** Default: <os.tmpdir()>/tollgate/ledger-spool.jsonl. One writer process per file. */
  spoolPath?: string;
  /** A Redis call slower than this counts as Redis being away. Default 250 ms. */
  commandTimeoutMs?: number;
  /** How often the spool is retried while it holds records. Default 1000 ms. */
  replayIntervalMs?: number;
  /** Spool depth after every change, for a gauge. */
  onSpoolDepth?: (depth: number) => void;
  /** Why a record was spooled, or a spooled one rejected; for the log. Never carries prompts. */
  onError?: (error: Error, context: 'spooled' | 'rejected' | 'teams') => void;
}

class RedisTimeout extends Error {}

/** Errors after which the same command would fail again: such a record is set aside, not retried. */
function isPermanent(error: unknown): boolean {
  if (!(error instanceof ReplyError)) return false;
  const { message } = error as Error;
  return !/^(BUSY|LOADING|OOM|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|MOVED|ASK|READONLY|NOSCRIPT)\b/.test(message);
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RedisTimeout(`Redis did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export class RedisLedgerWriter implements LedgerWriter {
  private readonly settings: RecordSettings;
  private readonly spool: Spool;
  private readonly send: (...keysAndArgs: string[]) => Promise<number>;
  private readonly timeoutMs: number;
  /** Teams known to be in TEAMS_KEY, or being added right now. */
  private readonly registeredTeams = new Set<string>();
  private redisAway = false;
  private replaying: Promise<void> | undefined;
  private loop: NodeJS.Timeout | undefined;

  private constructor(private readonly options: RedisLedgerWriterOptions) {
    this.settings = {
      seenTtlSeconds: options.seenTtlSeconds ?? DEFAULT_RECORD_SETTINGS.seenTtlSeconds,
      hourRetentionSeconds: options.hourRetentionSeconds ?? DEFAULT_RECORD_SETTINGS.hourRetentionSeconds,
      streamMaxLen: options.streamMaxLen ?? DEFAULT_RECORD_SETTINGS.streamMaxLen,
    };
    this.spool = new Spool(
      options.spoolPath ?? join(tmpdir(), 'tollgate', 'ledger-spool.jsonl'),
      options.onSpoolDepth,
    );
    this.send = recordCommand(options.redis);
    this.timeoutMs = options.commandTimeoutMs ?? 250;
  }

  /** Opens the spool (replaying what a previous process left) and starts the replay loop. */
  static async start(options: RedisLedgerWriterOptions): Promise<RedisLedgerWriter> {
    const writer = new RedisLedgerWriter(options);
    await writer.spool.open();
    if (options.team) await writer.registerTeam(options.team);
    writer.loop = setInterval(() => void writer.replaySpool(), options.replayIntervalMs ?? 1000);
    writer.loop.unref();
    if (writer.spool.depth > 0) void writer.replaySpool();
    return writer;
  }

  /** Records waiting in the spool. */
  get spoolDepth(): number {
    return this.spool.depth;
  }

  async record(usage: UsageRecord, periodId: string, reservationId?: string): Promise<void> {
    const call: RecordCall = reservationId ? { usage, periodId, reservationId } : { usage, periodId };
    const args = recordArguments(call, this.settings); // throws on a malformed record, before any I/O
    if (!this.registeredTeams.has(usage.team)) void this.registerTeam(usage.team);
    if (this.redisAway) return this.spool.append(call);
    try {
      await withTimeout(this.send(...args), this.timeoutMs);
    } catch (error) {
      // A timed-out call may still land later; its replay is then skipped by request id.
      if (!isPermanent(error)) this.redisAway = true;
      this.options.onError?.(error as Error, 'spooled');
      await this.spool.append(call);
    }
  }

  /** Flushes the spool once more if Redis answers, and stops the replay loop. */
  async close(): Promise<void> {
    clearInterval(this.loop);
    await this.replaying;
    if (this.spool.depth > 0) await this.replaySpool();
  }

  /** SADD to the set of teams: another slot than the team's keys, so not part of the record script. */
  private async registerTeam(team: string): Promise<void> {
    this.registeredTeams.add(team);
    try {
      await withTimeout(this.options.redis.sadd(TEAMS_KEY, team), this.timeoutMs);
    } catch (error) {
      this.registeredTeams.delete(team); // retried with the team's next record
      this.options.onError?.(error as Error, 'teams');
    }
  }

  private replaySpool(): Promise<void> {
    if (this.replaying || this.spool.depth === 0) return this.replaying ?? Promise.resolve();
    this.replaying = (async () => {
      try {
        const drained = await this.spool.replay((call) => this.replayOne(call));
        if (drained) this.redisAway = false;
      } catch (error) {
        this.options.onError?.(error as Error, 'spooled');
      } finally {
        this.replaying = undefined;
      }
    })();
    return this.replaying;
  }

  private async replayOne(call: RecordCall): Promise<ReplayOutcome> {
    try {
      await withTimeout(this.send(...recordArguments(call, this.settings)), this.timeoutMs);
      return 'recorded';
    } catch (error) {
      if (!isPermanent(error) && !(error instanceof TypeError)) throw error;
      this.options.onError?.(error as Error, 'rejected');
      return 'rejected';
    }
  }
}
