// The chargeback record: closed periods, newest first, the last 12 kept.
import type { PeriodRecord } from '../core/types.js';

export const HISTORY_LENGTH = 12;

export function appendClosedPeriod(history: readonly PeriodRecord[], closed: PeriodRecord): PeriodRecord[] {
  // A period closes once; a retried sync must not record it twice.
  const others = history.filter((record) => record.id !== closed.id);
  return [closed, ...others].slice(0, HISTORY_LENGTH);
}
