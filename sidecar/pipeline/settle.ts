// Settle stage. Settling normally happens inside the record script (the
// ledger's SETTLE section gets ctx.reservationId). A call that produced no
// usage record (e.g. the provider answered 400) has no record round trip, so
// its reservation is released here instead: still one round trip after the
// call. If Redis does not answer, the reservation's expiry releases it.
import { ledgerKeys } from '../../core/ledger-keys.js';
import { withTimeout } from '../enforce/timeout.js';
import type { AfterStage, StageDeps } from './context.js';

const RELEASE_TIMEOUT_MS = 250;

export function createSettleStage(deps: StageDeps): AfterStage {
  return async (ctx) => {
    if (!ctx.reservationId || ctx.record) return;
    const key = ledgerKeys.reservations(deps.config.identity.team);
    try {
      await withTimeout(
        deps.redis.hdel(key, ctx.reservationId),
        RELEASE_TIMEOUT_MS,
        'releasing a reservation',
      );
    } catch (error) {
      deps.log.warn(
        { requestId: ctx.requestId, err: (error as Error).message },
        'reservation left to expire',
      );
    }
    ctx.reservationId = undefined;
  };
}
