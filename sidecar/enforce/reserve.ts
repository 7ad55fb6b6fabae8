// The reserve stage's one Redis round trip (reserve.lua): purge expired
// reservations, check the hard budget and every rate limit, and on admission
// charge the limits and record this call's reservation.
import { PICO_PER_MICRO, type PicoUsd } from '../../core/money.js';
import { ledgerKeys } from '../../core/ledger-keys.js';
import type { RedisClient } from '../../ledger/client.js';
import type { RateLimit } from './policy.js';
import { loadScript } from './script.js';

const script = loadScript(new URL('./reserve.lua', import.meta.url));

export interface ReserveRequest {
  team: string;
  requestId: string;
  periodId: string;
  now: number;
  /** Undefined: no budget check (Soft, or no limit). */
  limit: PicoUsd | undefined;
  worstCase: PicoUsd;
  estimatedTokens: number;
  rateLimits: RateLimit[];
  /** A reservation outliving this is a crashed sidecar's and is dropped. */
  ttlMs: number;
}

export interface LimitState {
  limit: RateLimit;
  /** Charge units (requests or tokens) left right now. */
  remaining: number;
  /** Until the limit is fully replenished. */
  resetMs: number;
}

export type ReserveOutcome =
  | { kind: 'admitted'; limits: LimitState[] }
  | { kind: 'budget'; spent: PicoUsd; reserved: PicoUsd; worstCase: PicoUsd }
  | { kind: 'rate'; limit: RateLimit; retryAfterMs: number; resetMs: number };

/** Loads reserve.lua into Redis ahead of the first call (and opens the connection). */
export function preloadReserveScript(redis: RedisClient): Promise<void> {
  return script.preload(redis);
}

/** Pico -> micro rounding up: a reservation never under-counts. */
const microCeil = (pico: PicoUsd) => (pico + PICO_PER_MICRO - 1n) / PICO_PER_MICRO;

export async function reserve(redis: RedisClient, request: ReserveRequest): Promise<ReserveOutcome> {
  const { team, rateLimits } = request;
  const keys = [ledgerKeys.reservations(team), ledgerKeys.period(team, request.periodId)];
  const args: (string | number)[] = [
    request.now,
    request.requestId,
    request.ttlMs,
    // The limit rounds down, costs round up: micro-USD rounding only ever refuses earlier.
    request.limit === undefined ? '' : (request.limit / PICO_PER_MICRO).toString(),
    microCeil(request.worstCase).toString(),
    request.estimatedTokens,
    ...rateLimits.flatMap((limit) => [limit.field, limit.kind, limit.perMinute]),
  ];
  const reply = (await script.run(redis, keys, args)) as string[];
  const [kind, ...rest] = reply;
  const num = (i: number) => Number(rest[i] ?? 0);
  const pico = (i: number) => BigInt(rest[i] ?? '0') * PICO_PER_MICRO;
  switch (kind) {
    case 'ok':
      return {
        kind: 'admitted',
        limits: rateLimits.map((limit, i) => ({ limit, remaining: num(1 + 2 * i), resetMs: num(2 + 2 * i) })),
      };
    case 'budget':
      return { kind: 'budget', spent: pico(0), reserved: pico(1), worstCase: pico(2) };
    case 'rate': {
      const limit = rateLimits[num(0) - 1];
      if (!limit) throw new Error(`reserve.lua named an unknown limit: ${rest[0]}`);
      return { kind: 'rate', limit, retryAfterMs: num(1), resetMs: num(3) };
    }
    default:
      throw new Error(`unexpected reply from reserve.lua: ${JSON.stringify(reply)}`);
  }
}
