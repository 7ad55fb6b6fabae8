// Reserve stage: the one Redis round trip before forwarding (reserve.lua).
// Refuses on a spent hard budget or a rate limit; otherwise the call's
// reservation is settled by the record script through ctx.reservationId.
import { enforcementFor } from '../enforce/runtime.js';
import type { BeforeStage, StageDeps } from './context.js';

export function createReserveStage(deps: StageDeps): BeforeStage {
  const enforcement = enforcementFor(deps);
  return async (ctx) => {
    if (!ctx.endpoint) return undefined;
    const { enforcer } = await enforcement;
    const { model } = ctx.endpoint;
    const admission = await enforcer.admit({
      model,
      requestId: ctx.requestId,
      at: ctx.startedAt,
      body: ctx.json,
      bodyBytes: ctx.requestBytes,
      prices: deps.prices.table.lookup(ctx.upstream.provider, model, ctx.startedAt),
    });
    if (!admission.admitted) return admission.refusal;
    if (admission.reserved) ctx.reservationId = ctx.requestId;
    ctx.enforcement.limits = admission.limits;
    return undefined;
  };
}
