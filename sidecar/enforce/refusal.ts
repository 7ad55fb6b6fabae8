// A refused call, spoken in the provider's language: its status, the error
// kind the provider adapter renders in its own body shape, Retry-After and
// OpenAI-style x-ratelimit-* headers, and a message a developer can act on.
// A refusal is built before anything is sent upstream, so it costs nothing.
import { displayUsd, PICO_PER_USD, type PicoUsd } from '../../core/money.js';
import type { PeriodWindow } from '../../core/period.js';
import type { ErrorKind } from '../providers/provider.js';
import type { Policy, RateLimit } from './policy.js';
import type { LimitState } from './reserve.js';

export type RefusalReason = 'budget' | 'rate_requests' | 'rate_tokens' | 'model' | 'redis_unavailable';

/**
 * Fits the pipeline's Refusal: the provider adapter renders `kind` and
 * `message` in its own error shape (OpenAI {error:{message,type,param,code}},
 * Anthropic {type:"error",error:{type,message}}, Gemini {error:{code,message,status}}).
 */
export interface Refusal {
  status: number;
  kind: ErrorKind;
  /** The `reason` label of tollgate_refusals_total. */
  reason: RefusalReason;
  message: string;
  headers: Record<string, string>;
}

const KINDS: Record<RefusalReason, ErrorKind> = {
  budget: 'budget_exceeded',
  rate_requests: 'rate_limited_requests',
  rate_tokens: 'rate_limited_tokens',
  model: 'forbidden',
  redis_unavailable: 'ledger_unavailable',
};

function refusal(
  status: number,
  reason: RefusalReason,
  message: string,
  headers: Record<string, string>,
): Refusal {
  return { status, kind: KINDS[reason], reason, message, headers };
}

/** Go-style durations as OpenAI's x-ratelimit-reset-* headers spell them: "20ms", "1s", "6m0s". */
export function resetDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.ceil(ms))}ms`;
  const seconds = Math.ceil(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${seconds % 60}s`;
  return `${Math.floor(minutes / 60)}h${minutes % 60}m${seconds % 60}s`;
}

const retryAfterSeconds = (ms: number) => String(Math.max(1, Math.ceil(ms / 1000)));

/** Cents for amounts of a dollar or more, four places below, so "$0.0031" is not shown as "$0.00". */
function usd(amount: PicoUsd): string {
  return displayUsd(amount, amount >= PICO_PER_USD || amount === 0n ? 2 : 4);
}

/** "2027-01-01T00:00Z" */
const minuteUtc = (at: Date) => `${at.toISOString().slice(0, 16)}Z`;

export interface BudgetFacts {
  spent: PicoUsd;
  reserved: PicoUsd;
  worstCase: PicoUsd;
}

export function budgetRefusal(
  policy: Policy,
  window: PeriodWindow,
  facts: BudgetFacts,
  now: number,
): Refusal {
  const limit = policy.limit ?? 0n;
  const budget = `${usd(limit)} ${policy.period} budget`;
  const resets = `the period resets ${minuteUtc(window.end)}`;
  const headers: Record<string, string> = {};
  let message: string;
  if (facts.spent >= limit) {
    message = `team ${policy.team} has spent ${usd(facts.spent)} of its ${budget}; ${resets}`;
  } else if (facts.spent + facts.worstCase > limit) {
    const left = limit - facts.spent;
    message =
      `team ${policy.team} has spent ${usd(facts.spent)} of its ${budget}; this call could cost up to ` +
      `${usd(facts.worstCase)}, more than the ${usd(left)} left (lower max_tokens to fit); ${resets}`;
  } else {
    // Only calls in flight stand in the way; their reservations settle within seconds.
    message =
      `team ${policy.team} has spent ${usd(facts.spent)} of its ${budget} and calls in flight have ` +
      `reserved ${usd(facts.reserved)}; this call could cost up to ${usd(facts.worstCase)}; retry shortly`;
    headers['retry-after'] = '1';
    return refusal(429, 'budget', message, headers);
  }
  headers['retry-after'] = retryAfterSeconds(window.end.getTime() - now);
  // The official SDKs would otherwise retry a refusal that cannot change before the period ends.
  headers['x-should-retry'] = 'false';
  return refusal(429, 'budget', message, headers);
}

export interface RateFacts {
  limit: RateLimit;
  retryAfterMs: number;
  resetMs: number;
  estimatedTokens: number;
}

export function rateRefusal(team: string, facts: RateFacts): Refusal {
  const { limit } = facts;
  const unit = limit.kind === 'requests' ? 'requests' : 'tokens';
  const scope = limit.scope === 'team' ? 'team-wide' : `for models ${limit.scope.slice('model:'.length)}`;
  const estimate =
    limit.kind === 'tokens' ? ` (this call is estimated at ${facts.estimatedTokens} tokens)` : '';
  const retry = resetDuration(facts.retryAfterMs);
  const message = `team ${team} reached its limit of ${limit.perMinute} ${unit} per minute ${scope}${estimate}; retry in ${retry}`;
  const exhausted: LimitState = { limit, remaining: 0, resetMs: facts.resetMs };
  return refusal(429, unit === 'requests' ? 'rate_requests' : 'rate_tokens', message, {
    'retry-after': retryAfterSeconds(facts.retryAfterMs),
    'retry-after-ms': String(Math.max(1, Math.ceil(facts.retryAfterMs))),
    // Nothing came from upstream, so OpenAI's own names are free to use; the
    // x-tollgate- copies are the names an admitted call carries (see rateLimitHeaders).
    ...rateLimitHeaders([exhausted]),
    ...rateLimitHeaders([exhausted], TOLLGATE_RATELIMIT_PREFIX),
  });
}

export function modelRefusal(team: string, model: string, why: string): Refusal {
  const message = `team ${team} may not use model ${model}: ${why}`;
  return refusal(403, 'model', message, { 'x-should-retry': 'false' });
}

export function unavailableRefusal(team: string): Refusal {
  const message = `Tollgate's usage ledger (Redis) is unreachable and team ${team} fails closed (failMode Closed), so the call was not sent upstream; retry shortly`;
  return refusal(503, 'redis_unavailable', message, { 'retry-after': '1' });
}

/**
 * On an admitted call's response, Tollgate's limits travel under this prefix
 * and the upstream's own x-ratelimit-* pass through untouched: those describe
 * the provider account's limits, which apps and client libraries already read
 * to pace themselves, and overwriting them would hide a provider 429 coming.
 * A refusal (nothing from upstream) carries both spellings.
 */
export const TOLLGATE_RATELIMIT_PREFIX = 'x-tollgate-ratelimit-';

/**
 * OpenAI-style rate-limit headers (limit, remaining, reset per kind) for the
 * tightest of the limits that applied, per kind. `prefix` is OpenAI's
 * "x-ratelimit-" or TOLLGATE_RATELIMIT_PREFIX.
 */
export function rateLimitHeaders(limits: LimitState[], prefix = 'x-ratelimit-'): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const kind of ['requests', 'tokens'] as const) {
    const tightest = limits
      .filter((state) => state.limit.kind === kind)
      .reduce<LimitState | undefined>(
        (a, b) => (a === undefined || b.remaining < a.remaining ? b : a),
        undefined,
      );
    if (!tightest) continue;
    headers[`${prefix}limit-${kind}`] = String(tightest.limit.perMinute);
    headers[`${prefix}remaining-${kind}`] = String(tightest.remaining);
    headers[`${prefix}reset-${kind}`] = resetDuration(tightest.resetMs);
  }
  return headers;
}
