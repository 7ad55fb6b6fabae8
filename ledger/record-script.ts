// The record script (record.lua) as a typed call: builds its keys and
// arguments from a UsageRecord and registers it on an ioredis client, which
// sends EVALSHA and falls back to EVAL when Redis answers NOSCRIPT.
import { readFileSync } from 'node:fs';
import { ledgerKeys } from '../core/ledger-keys.js';
import { hourId } from '../core/period.js';
import { TOKEN_TYPES } from '../core/types.js';
import type { UsageRecord } from '../core/usage.js';
import type { RedisClient } from './client.js';

export interface RecordSettings {
  /** How long a request id is remembered, so a replay inside it never counts twice. */
  seenTtlSeconds: number;
  /** How long an hourly bucket lives after its last write. */
  hourRetentionSeconds: number;
  /** Approximate cap on the usage event stream. */
  streamMaxLen: number;
}

export const DEFAULT_RECORD_SETTINGS: RecordSettings = {
  seenTtlSeconds: 7 * 24 * 3600,
  hourRetentionSeconds: 35 * 24 * 3600,
  streamMaxLen: 100_000,
};

export interface RecordCall {
  usage: UsageRecord;
  periodId: string;
  /** Reservation (taken by enforcement before the call) to release in the same round trip. */
  reservationId?: string;
}

/** Next to this module: in the source tree under tsx, and in dist/ (`npm run build` copies *.lua). */
const loadScript = () => readFileSync(new URL('./record.lua', import.meta.url), 'utf8');

const COMMAND = 'tollgateRecordUsage';
const KEY_COUNT = 5;
let script: string | undefined;

type RecordCommand = (...keysAndArgs: string[]) => Promise<number>;

/** Registers the script on the client once; returns the typed command. */
export function recordCommand(client: RedisClient): RecordCommand {
  const commands = client as unknown as Record<string, RecordCommand | undefined>;
  if (typeof commands[COMMAND] !== 'function') {
    client.defineCommand(COMMAND, { lua: (script ??= loadScript()), numberOfKeys: KEY_COUNT });
  }
  return (...keysAndArgs) => commands[COMMAND]!.call(client, ...keysAndArgs);
}

/** A token count or flag that HINCRBY will take as an exact integer. */
function integer(name: string, value: number): string {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new TypeError(`usage ${name} must be a non-negative integer, got ${value}`);
  }
  return String(value);
}

/** The usage event as stream field/value pairs; all strings, cost as a decimal integer. */
export function eventFields(usage: UsageRecord, periodId: string): string[] {
  return [
    ...['requestId', usage.requestId, 'team', usage.team, 'namespace', usage.namespace],
    ...['pod', usage.pod, 'job', usage.job, 'provider', usage.provider, 'model', usage.model],
    ...['period', periodId, 'at', integer('at', usage.at), 'cost', usage.cost.toString()],
    ...TOKEN_TYPES.flatMap((type) => [`tokens:${type}`, integer(`tokens.${type}`, usage.tokens[type])]),
    ...['tokens:reasoning', integer('reasoningTokens', usage.reasoningTokens)],
    ...['estimated', usage.estimated ? '1' : '0', 'unpriced', usage.unpriced ? '1' : '0'],
    ...['status', integer('status', usage.status)],
  ];
}

/** KEYS then ARGV for record.lua, in the order its header documents. */
export function recordArguments(call: RecordCall, settings: RecordSettings): string[] {
  const { usage, periodId } = call;
  if (usage.cost < 0n) throw new TypeError(`usage cost must not be negative, got ${usage.cost}`);
  const keys = [
    ledgerKeys.seen(usage.team, usage.requestId),
    ledgerKeys.period(usage.team, periodId),
    ledgerKeys.hour(usage.team, hourId(new Date(usage.at))),
    ledgerKeys.events(usage.team),
    ledgerKeys.reservations(usage.team),
  ];
  return [
    ...keys,
    call.reservationId ?? '',
    integer('seenTtlSeconds', settings.seenTtlSeconds),
    integer('hourRetentionSeconds', settings.hourRetentionSeconds),
    integer('streamMaxLen', settings.streamMaxLen),
    usage.requestId,
    usage.model,
    usage.job,
    usage.cost.toString(),
    usage.estimated ? '1' : '0',
    usage.unpriced ? '1' : '0',
    integer('reasoningTokens', usage.reasoningTokens),
    String(TOKEN_TYPES.length),
    ...TOKEN_TYPES.flatMap((type) => [type, integer(`tokens.${type}`, usage.tokens[type])]),
    ...eventFields(usage, periodId),
  ];
}
