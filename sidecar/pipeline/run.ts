// Runs one call through the stages: identify -> policy -> reserve -> forward
// -> meter -> settle -> record, then logs it and counts it.
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { formatUsd } from '../../core/money.js';
import { TOKEN_TYPES } from '../../core/types.js';
import type { Upstream } from '../config.js';
import { redactUrl } from '../log.js';
import type { ProviderAdapter } from '../providers/provider.js';
import { isRecord } from '../providers/provider.js';
import type { AfterStage, BeforeStage, CallContext, StageDeps } from './context.js';
import { forward, labelsOf } from './forward.js';
import { identify } from './identify.js';
import { meter } from './meter.js';
import { createPolicyStage } from './policy.js';
import { record } from './record.js';
import { createReserveStage } from './reserve.js';
import { sendError } from './respond.js';
import { createSettleStage } from './settle.js';

export interface IncomingCall {
  method: string;
  /** Path and query below the route prefix. */
  pathAndQuery: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export class Pipeline {
  private readonly before: BeforeStage[];
  private readonly settle: AfterStage;
  /** Aborted when the shutdown grace ends: forward stops every upstream call still running. */
  private readonly stopping = new AbortController();

  constructor(
    private readonly deps: StageDeps,
    private readonly dispatcher: Dispatcher,
  ) {
    this.before = [createPolicyStage(deps), createReserveStage(deps)];
    this.settle = createSettleStage(deps);
  }

  async handle(
    upstream: Upstream,
    adapter: ProviderAdapter,
    call: IncomingCall,
    res: ServerResponse,
  ): Promise<void> {
    const ctx = identify(
      this.deps,
      upstream,
      adapter,
      call.method,
      call.pathAndQuery,
      call.headers,
      call.body,
    );
    try {
      if (!this.parse(ctx, res)) return;
      for (const stage of this.before) {
        const refusal = await stage(ctx);
        if (refusal) {
          ctx.outcome = 'refused';
          ctx.status = refusal.status;
          sendError(res, adapter, refusal.status, refusal.kind, refusal.message, refusal.headers);
          return;
        }
      }
      await forward(this.deps, ctx, this.dispatcher, res, this.stopping.signal);
      meter(this.deps, ctx);
      await this.settle(ctx);
      await record(this.deps, ctx);
    } catch (error) {
      this.deps.log.error({ requestId: ctx.requestId, err: error }, 'call failed inside the sidecar');
      ctx.status ??= 500;
      sendError(res, adapter, 500, 'internal', 'the tollgate sidecar failed to handle this call');
    } finally {
      this.observe(ctx, call);
    }
  }

  /** Ends the shutdown grace: calls still waiting on their upstream stop and record estimates. */
  stopInFlight(): void {
    this.stopping.abort();
  }

  /** Metered paths need a JSON body; anything else passes through untouched. False when answered with a 400. */
  private parse(ctx: CallContext, res: ServerResponse): boolean {
    const { adapter } = ctx;
    if (!adapter.isMeteredPath(ctx.method, ctx.path)) return true;
    let json: unknown;
    try {
      json = JSON.parse(ctx.body.toString('utf8'));
    } catch {
      json = undefined;
    }
    if (!isRecord(json)) {
      ctx.outcome = 'refused';
      ctx.status = 400;
      sendError(res, adapter, 400, 'invalid_request', 'the request body is not a valid JSON object');
      return false;
    }
    ctx.json = json;
    const endpoint = adapter.endpoint(ctx.method, ctx.path, json);
    if (!endpoint) return true;
    ctx.endpoint = endpoint;
    const prepared = adapter.prepare(endpoint, json);
    ctx.rewriteStream = prepared.rewriteStream;
    if (prepared.body) ctx.body = Buffer.from(JSON.stringify(prepared.body));
    // The sidecar must read the response, so it asks for it uncompressed.
    ctx.headers['accept-encoding'] = 'identity';
    return true;
  }

  private observe(ctx: CallContext, call: IncomingCall): void {
    const { metrics, log } = this.deps;
    const seconds = (Date.now() - ctx.startedAt) / 1000;
    metrics.duration.observe(
      { provider: ctx.upstream.provider, metered: ctx.endpoint ? 'true' : 'false' },
      seconds,
    );
    const base = {
      requestId: ctx.requestId,
      ...ctx.identity,
      provider: ctx.upstream.provider,
      method: call.method,
      path: redactUrl(call.pathAndQuery),
      status: ctx.status,
      outcome: ctx.outcome,
      latencyMs: Date.now() - ctx.startedAt,
    };
    if (!ctx.endpoint) {
      if (ctx.outcome !== 'refused') metrics.unmetered.inc(labelsOf(ctx));
      log.info({ ...base, metered: false }, 'unmetered call');
      return;
    }
    const rec = ctx.record;
    if (!rec) {
      log.info({ ...base, model: ctx.endpoint.model, metered: true }, 'call without usage');
      return;
    }
    const labels = { ...labelsOf(ctx), model: rec.model };
    metrics.requests.inc({ ...labels, status: String(rec.status) });
    for (const type of TOKEN_TYPES)
      if (rec.tokens[type] > 0) metrics.tokens.inc({ ...labels, type }, rec.tokens[type]);
    metrics.cost.inc(labels, Number(rec.cost) / 1e12);
    if (rec.estimated) metrics.estimated.inc(labels);
    if (rec.unpriced) metrics.unpriced.inc(labels);
    const line = {
      ...base,
      metered: true,
      model: rec.model,
      tokens: rec.tokens,
      reasoningTokens: rec.reasoningTokens,
      costUsd: formatUsd(rec.cost, 12),
      estimated: rec.estimated,
      unpriced: rec.unpriced,
    };
    if (rec.unpriced) log.warn(line, `no price for ${rec.provider}/${rec.model}: recorded at cost 0`);
    else log.info(line, 'metered call');
  }
}
