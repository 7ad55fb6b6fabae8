// A TeamBudgetSpec compiled once into the shape the hot path needs: money as
// pico-USD bigint, globs as matchers, the period as a function of "now".
import { parseUsd, type PicoUsd } from '../../core/money.js';
import { periodWindow, type PeriodWindow } from '../../core/period.js';
import type { BudgetPeriod, Enforcement, FailMode, TeamBudgetSpec } from '../../core/types.js';
import { compileGlob, type Glob } from './glob.js';

/** One GCRA limit; `field` names its state inside the team's enforcement hash (always "rl|..."). */
export interface RateLimit {
  kind: 'requests' | 'tokens';
  perMinute: number;
  /** "team" for the team-wide limit, else the model glob it applies to. */
  scope: string;
  field: string;
}

export interface ModelVerdict {
  allowed: boolean;
  /** Why a model is refused, for the developer reading the error. */
  reason?: string;
}

export interface Policy {
  team: string;
  /** The operator's version of the spec, or the file's mtime: shows which policy refused a call. */
  version: string;
  /** Undefined: tracking only. */
  limit: PicoUsd | undefined;
  period: BudgetPeriod;
  timezone: string;
  enforcement: Enforcement;
  alertThresholds: number[];
  failMode: FailMode;
  /** The budget is enforced before forwarding (Hard with a limit). */
  reservesBudget: boolean;
  window(now: Date): PeriodWindow;
  checkModel(model: string): ModelVerdict;
  /** Team-wide limits plus those of the first per-model entry whose glob matches. */
  rateLimitsFor(model: string): RateLimit[];
}

function positiveInteger(value: unknown, what: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new Error(`${what} must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

function checkTimezone(timezone: string): string {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return timezone;
  } catch {
    throw new Error(`timezone ${JSON.stringify(timezone)} is not an IANA time zone`);
  }
}

function limitsOf(
  scope: string,
  requestsPerMinute: unknown,
  tokensPerMinute: unknown,
  where: string,
): RateLimit[] {
  const limits: RateLimit[] = [];
  const requests = positiveInteger(requestsPerMinute, `${where}.requestsPerMinute`);
  const tokens = positiveInteger(tokensPerMinute, `${where}.tokensPerMinute`);
  if (requests) limits.push({ kind: 'requests', perMinute: requests, scope, field: `rl|requests|${scope}` });
  if (tokens) limits.push({ kind: 'tokens', perMinute: tokens, scope, field: `rl|tokens|${scope}` });
  return limits;
}

/** Throws a message naming the bad field; the caller keeps the previous policy. */
export function compilePolicy(team: string, spec: TeamBudgetSpec, version = ''): Policy {
  const period = spec.period ?? 'Monthly';
  if (!['Daily', 'Weekly', 'Monthly'].includes(period)) {
    throw new Error(`period must be Daily, Weekly or Monthly, got ${JSON.stringify(period)}`);
  }
  const enforcement = spec.enforcement ?? 'Soft';
  if (enforcement !== 'Hard' && enforcement !== 'Soft') {
    throw new Error(`enforcement must be Hard or Soft, got ${JSON.stringify(enforcement)}`);
  }
  const failMode = spec.failMode ?? 'Open';
  if (failMode !== 'Open' && failMode !== 'Closed') {
    throw new Error(`failMode must be Open or Closed, got ${JSON.stringify(failMode)}`);
  }
  const timezone = checkTimezone(spec.timezone ?? 'UTC');
  const limit = spec.limit === undefined || spec.limit === null ? undefined : parseUsd(String(spec.limit));

  const teamLimits = limitsOf(
    'team',
    spec.rateLimits?.requestsPerMinute,
    spec.rateLimits?.tokensPerMinute,
    'rateLimits',
  );
  const perModel = (spec.rateLimits?.perModel ?? []).map((entry, i) => ({
    glob: compileGlob(entry.model),
    limits: limitsOf(
      `model:${entry.model}`,
      entry.requestsPerMinute,
      entry.tokensPerMinute,
      `rateLimits.perModel[${i}]`,
    ),
  }));
  const allow: Glob[] = (spec.models?.allow ?? []).map(compileGlob);
  const deny: Glob[] = (spec.models?.deny ?? []).map(compileGlob);

  let lastWindow: PeriodWindow | undefined;
  return {
    team,
    version,
    limit,
    period,
    timezone,
    enforcement,
    alertThresholds: [...(spec.alertThresholds ?? [])].sort((a, b) => a - b),
    failMode,
    reservesBudget: enforcement === 'Hard' && limit !== undefined,
    window(now) {
      // Windows tile time, so the last one answers until `now` leaves it; computing
      // one builds several Intl.DateTimeFormat objects (about a millisecond).
      const at = now.getTime();
      if (!lastWindow || at < lastWindow.start.getTime() || at >= lastWindow.end.getTime()) {
        lastWindow = periodWindow(period, now, timezone);
      }
      return lastWindow;
    },
    checkModel(model) {
      // Deny wins over allow, so a broad allow cannot reopen a denied model.
      const denied = deny.find((glob) => glob.matches(model));
      if (denied) return { allowed: false, reason: `it matches the deny rule "${denied.pattern}"` };
      if (allow.length > 0 && !allow.some((glob) => glob.matches(model))) {
        return {
          allowed: false,
          reason: `it matches none of the allowed models (${allow.map((g) => g.pattern).join(', ')})`,
        };
      }
      return { allowed: true };
    },
    rateLimitsFor(model) {
      const matching = perModel.find((entry) => entry.glob.matches(model));
      return matching ? [...teamLimits, ...matching.limits] : teamLimits;
    },
  };
}

/** No TeamBudget: meter everything, enforce nothing. */
export function trackingOnlyPolicy(team: string): Policy {
  return compilePolicy(team, { period: 'Monthly', enforcement: 'Soft' }, 'none');
}
