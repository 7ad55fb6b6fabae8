// Record stage: the one Redis round trip after the call. The ledger spools
// when Redis is away, so this never fails the call.
import type { CallContext, StageDeps } from './context.js';

export async function record(deps: StageDeps, ctx: CallContext): Promise<void> {
  if (!ctx.record) return;
  await deps.ledger.record(ctx.record, ctx.periodId, ctx.reservationId);
}
