// The ledger's write side, as the sidecar's record stage uses it. Implemented
// by RedisLedgerWriter (ledger/writer.ts).
import type { UsageRecord } from './usage.js';

export interface LedgerWriter {
  /**
   * Records one call in one atomic Redis round trip, under the team's current
   * period `periodId`. `reservationId` names the reservation enforcement took
   * before the call; the same round trip releases it (settling the budget and
   * token rate limits to the real usage). Never throws for Redis being away:
   * the record is spooled and replayed later. Resolves once the record is
   * durable (Redis or spool).
   */
  record(usage: UsageRecord, periodId: string, reservationId?: string): Promise<void>;
  /** Flushes the spool if Redis is reachable and stops background work. */
  close(): Promise<void>;
}
