// The ledger's write side, as the sidecar sees it. Implemented in ledger/.
import type { UsageRecord } from './usage.js';

export interface LedgerWriter {
  /**
   * Records one call in one atomic Redis round trip, under the team's current
   * period `periodId`. Never throws for Redis being away: the record is spooled
   * and replayed later. Resolves once the record is durable (Redis or spool).
   */
  record(usage: UsageRecord, periodId: string): Promise<void>;
  /** Flushes the spool if Redis is reachable and stops background work. */
  close(): Promise<void>;
}
