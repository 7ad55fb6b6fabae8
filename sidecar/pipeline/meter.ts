// Meter stage: turns what forward saw into a priced UsageRecord. Exact usage
// when the response reported it, an estimate (flagged) when the call was cut
// short, nothing for calls that never produced tokens (e.g. a 400 upstream).
import { priceTokens } from '../../core/pricing.js';
import type { UsageRecord } from '../../core/usage.js';
import type { CallContext, StageDeps } from './context.js';
import { estimateUsage } from './estimate.js';

export function meter(deps: StageDeps, ctx: CallContext): void {
  const endpoint = ctx.endpoint;
  // Refused, or the upstream never answered: no tokens were produced.
  if (!endpoint || ctx.outcome === 'refused' || ctx.outcome === 'upstream_failed') return;
  const cutShort =
    ctx.outcome === 'client_gone' || ctx.outcome === 'upstream_broken' || ctx.outcome === 'shutdown';
  const succeeded = ctx.status !== undefined && ctx.status < 300;
  let usage = ctx.reported;
  let estimated = false;
  if (cutShort || (succeeded && usage === undefined)) {
    // Stopped before the final usage arrived, or it never came: estimate, flagged.
    usage = estimateUsage(ctx.requestBytes, ctx.streamedChars, usage);
    estimated = true;
  }
  if (usage === undefined) return;

  const provider = ctx.upstream.provider;
  const model = usage.model ?? endpoint.model;
  const prices =
    deps.prices.table.lookup(provider, model, ctx.startedAt) ??
    deps.prices.table.lookup(provider, endpoint.model, ctx.startedAt);
  const record: UsageRecord = {
    requestId: ctx.requestId,
    ...ctx.identity,
    provider,
    model,
    tokens: usage.tokens,
    reasoningTokens: usage.reasoningTokens,
    cost: prices ? priceTokens(usage.tokens, prices) : 0n,
    at: ctx.startedAt,
    estimated,
    unpriced: prices === undefined,
    status: ctx.status ?? 499,
  };
  ctx.record = record;
}
