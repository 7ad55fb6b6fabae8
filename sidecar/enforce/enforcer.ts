// The enforcement decision for one call, before it is forwarded: model policy
// (no Redis), then — only when the policy has a hard budget or rate limits —
// one bounded round trip to reserve.lua. Redis failing is failMode's call.
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { MicroUsdPerMillion } from '../../core/money.js';
import type { TokenType } from '../../core/types.js';
import type { RedisClient } from '../../ledger/client.js';
import type { Policy } from './policy.js';
import { budgetRefusal, modelRefusal, rateRefusal, unavailableRefusal, type Refusal } from './refusal.js';
import { reserve, type LimitState } from './reserve.js';
import { withTimeout } from './timeout.js';
import { estimateCall, estimatedTokens, worstCaseCost } from './worst-case.js';

export interface CallToAdmit {
  provider: string;
  model: string;
  requestId: string;
  body: Record<string, unknown> | undefined;
  bodyBytes: number;
  /** The model's prices, or undefined when it has none (it then reserves nothing). */
  prices: Record<TokenType, MicroUsdPerMillion> | undefined;
}

export type Admission =
  | {
      admitted: true;
      /** A reservation was recorded and must be released by the record step. */
      reserved: boolean;
      limits: LimitState[];
      /** Redis was unreachable and failMode Open let the call through unchecked. */
      unchecked: boolean;
    }
  | { admitted: false; refusal: Refusal };

export interface EnforcerOptions {
  team: string;
  redis: RedisClient;
  policy: () => Policy;
  logger: Logger;
  registry: Registry;
  /** Injectable so tests can cross a period boundary without waiting for one. */
  now?: () => number;
  redisTimeoutMs?: number;
  /** Longer than any upstream call may take; a reservation older than this is a crashed sidecar's. */
  reservationTtlMs?: number;
  defaultOutputCeiling?: number;
}

export interface Enforcer {
  admit(call: CallToAdmit): Promise<Admission>;
}

export function createEnforcer(options: EnforcerOptions): Enforcer {
  const {
    team,
    redis,
    logger,
    now = Date.now,
    redisTimeoutMs = 250,
    reservationTtlMs = 15 * 60_000,
  } = options;
  const refusals = new Counter({
    name: 'tollgate_refusals_total',
    help: 'Calls refused before reaching the provider, by reason.',
    labelNames: ['team', 'reason'],
    registers: [options.registry],
  });

  const refuse = (call: CallToAdmit, refusal: Refusal): Admission => {
    refusals.inc({ team, reason: refusal.reason });
    logger.warn(
      {
        team,
        provider: call.provider,
        model: call.model,
        requestId: call.requestId,
        reason: refusal.reason,
        status: refusal.status,
        detail: refusal.message,
      },
      'call refused',
    );
    return { admitted: false, refusal };
  };

  return {
    async admit(call) {
      const policy = options.policy();
      const verdict = policy.checkModel(call.model);
      if (!verdict.allowed)
        return refuse(call, modelRefusal(call.provider, team, call.model, verdict.reason ?? ''));

      const rateLimits = policy.rateLimitsFor(call.model);
      if (!policy.reservesBudget && rateLimits.length === 0) {
        return { admitted: true, reserved: false, limits: [], unchecked: false };
      }

      const at = now();
      const window = policy.window(new Date(at));
      const estimate = estimateCall(call.model, call.body, call.bodyBytes, options.defaultOutputCeiling);
      const tokens = estimatedTokens(estimate);
      const worstCase = worstCaseCost(estimate, call.prices);
      let outcome;
      try {
        outcome = await withTimeout(
          reserve(redis, {
            team,
            requestId: call.requestId,
            periodId: window.id,
            now: at,
            limit: policy.reservesBudget ? policy.limit : undefined,
            worstCase,
            estimatedTokens: tokens,
            rateLimits,
            ttlMs: reservationTtlMs,
          }),
          redisTimeoutMs,
          'reserving',
        );
      } catch (error) {
        if (policy.failMode === 'Closed') return refuse(call, unavailableRefusal(call.provider, team));
        logger.warn(
          { team, requestId: call.requestId, err: (error as Error).message },
          'enforcement skipped: Redis unreachable, failMode Open',
        );
        return { admitted: true, reserved: false, limits: [], unchecked: true };
      }

      switch (outcome.kind) {
        case 'admitted':
          return { admitted: true, reserved: true, limits: outcome.limits, unchecked: false };
        case 'budget':
          return refuse(call, budgetRefusal(call.provider, policy, window, outcome, at));
        case 'rate':
          return refuse(call, rateRefusal(call.provider, team, { ...outcome, estimatedTokens: tokens }));
      }
    },
  };
}
