// The enforcement decisions for one call, before it is forwarded:
//  - checkModel: the allow/deny lists, from the cached policy (no Redis);
//  - admit: only when the policy has a hard budget or rate limits, one
//    bounded round trip to reserve.lua. Redis failing is failMode's call.
// Every refusal is counted (tollgate_refusals_total{team,reason}) and logged.
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
  model: string;
  requestId: string;
  /** When the call was made (ms): picks the period. */
  at: number;
  body: Record<string, unknown> | undefined;
  bodyBytes: number;
  /** The model's prices, or undefined when it has none (it then reserves nothing). */
  prices: Record<TokenType, MicroUsdPerMillion> | undefined;
}

export type Admission =
  | {
      admitted: true;
      /** A reservation may exist and must be released by the record step. */
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
  redisTimeoutMs?: number;
  /** Longer than any upstream call may take; a reservation older than this is a crashed sidecar's. */
  reservationTtlMs?: number;
  defaultOutputCeiling?: number;
}

export interface Enforcer {
  policy(): Policy;
  checkModel(model: string, requestId: string): Refusal | undefined;
  admit(call: CallToAdmit): Promise<Admission>;
}

export function createEnforcer(options: EnforcerOptions): Enforcer {
  const { team, redis, logger, redisTimeoutMs = 250, reservationTtlMs = 15 * 60_000 } = options;
  const refusals = new Counter({
    name: 'tollgate_refusals_total',
    help: 'Calls refused before reaching the provider, by reason.',
    labelNames: ['team', 'reason'],
    registers: [options.registry],
  });

  const counted = (model: string, requestId: string, refusal: Refusal): Refusal => {
    refusals.inc({ team, reason: refusal.reason });
    logger.warn(
      { team, model, requestId, reason: refusal.reason, status: refusal.status, detail: refusal.message },
      'call refused',
    );
    return refusal;
  };

  return {
    policy: options.policy,

    checkModel(model, requestId) {
      const verdict = options.policy().checkModel(model);
      if (verdict.allowed) return undefined;
      return counted(model, requestId, modelRefusal(team, model, verdict.reason ?? 'not allowed'));
    },

    async admit(call) {
      const policy = options.policy();
      const rateLimits = policy.rateLimitsFor(call.model);
      if (!policy.reservesBudget && rateLimits.length === 0) {
        return { admitted: true, reserved: false, limits: [], unchecked: false };
      }
      const refuse = (refusal: Refusal): Admission => ({
        admitted: false,
        refusal: counted(call.model, call.requestId, refusal),
      });

      const window = policy.window(new Date(call.at));
      const estimate = estimateCall(call.model, call.body, call.bodyBytes, options.defaultOutputCeiling);
      const tokens = estimatedTokens(estimate);
      let outcome;
      try {
        outcome = await withTimeout(
          reserve(redis, {
            team,
            requestId: call.requestId,
            periodId: window.id,
            now: call.at,
            limit: policy.reservesBudget ? policy.limit : undefined,
            worstCase: worstCaseCost(estimate, call.prices),
            estimatedTokens: tokens,
            rateLimits,
            ttlMs: reservationTtlMs,
          }),
          redisTimeoutMs,
          'reserving',
        );
      } catch (error) {
        if (policy.failMode === 'Closed') return refuse(unavailableRefusal(team));
        logger.warn(
          { team, requestId: call.requestId, err: (error as Error).message },
          'limits not checked: Redis unreachable and failMode is Open',
        );
        return { admitted: true, reserved: false, limits: [], unchecked: true };
      }

      switch (outcome.kind) {
        case 'admitted':
          return { admitted: true, reserved: true, limits: outcome.limits, unchecked: false };
        case 'budget':
          return refuse(budgetRefusal(policy, window, outcome, call.at));
        case 'rate':
          return refuse(rateRefusal(team, { ...outcome, estimatedTokens: tokens }));
      }
    },
  };
}
