// Policy stage: the team's cached policy (no Redis) decides the ledger period
// and whether the requested model is allowed (403 in the provider's shape).
import { enforcementFor } from '../enforce/runtime.js';
import type { BeforeStage, StageDeps } from './context.js';

export function createPolicyStage(deps: StageDeps): BeforeStage {
  const enforcement = enforcementFor(deps);
  enforcement.catch((error: Error) => deps.log.error({ err: error.message }, 'enforcement failed to start'));
  return async (ctx) => {
    const { enforcer } = await enforcement;
    ctx.periodId = enforcer.policy().window(new Date(ctx.startedAt)).id;
    if (!ctx.endpoint) return undefined; // unmetered pass-through: no model to judge
    return enforcer.checkModel(ctx.endpoint.model, ctx.requestId);
  };
}
