// The two custom resources, as TypeScript. crds/*.yaml must agree with these
// (test/crds/schema-agreement.test.ts checks that they do).

export const GROUP = 'tollgate.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

export type Provider = 'openai' | 'anthropic' | 'gemini' | (string & {});

/** Decimal USD per million tokens, e.g. "2.50". */
export type PriceString = string;

export interface ModelPriceSpec {
  provider: Provider;
  model: string;
  /** Globs, e.g. "gpt-4o-2024-*", matched against the model a response reports. */
  aliases?: string[];
  currency: 'USD';
  prices: {
    input: PriceString;
    output: PriceString;
    cachedInput?: PriceString;
    cacheWrite?: PriceString;
  };
  /** RFC 3339; a call is priced at the rate in force when it was made. */
  effectiveFrom?: string;
}

export interface ModelPrice {
  apiVersion: typeof API_VERSION;
  kind: 'ModelPrice';
  metadata: { name: string; [key: string]: unknown };
  spec: ModelPriceSpec;
  status?: ModelPriceStatus;
}

export type BudgetPeriod = 'Daily' | 'Weekly' | 'Monthly';
export type Enforcement = 'Hard' | 'Soft';
export type FailMode = 'Open' | 'Closed';

export interface RateLimits {
  requestsPerMinute?: number;
  tokensPerMinute?: number;
  /** Per-model limits, keyed by model glob. */
  perModel?: { model: string; requestsPerMinute?: number; tokensPerMinute?: number }[];
}

export interface TeamBudgetSpec {
  /** Decimal USD per period; absent means tracking only. */
  limit?: string;
  period: BudgetPeriod;
  /** IANA time zone, default UTC. */
  timezone?: string;
  enforcement: Enforcement;
  alertThresholds?: number[];
  rateLimits?: RateLimits;
  models?: { allow?: string[]; deny?: string[] };
  failMode?: FailMode;
}

export interface TeamBudget {
  apiVersion: typeof API_VERSION;
  kind: 'TeamBudget';
  metadata: { name: string; [key: string]: unknown };
  spec: TeamBudgetSpec;
  status?: TeamBudgetStatus;
}

// Status, written by the operator only. Money is decimal USD strings
// (exact, from integer pico-USD); counts are integers.

export type BudgetPhase = 'Ok' | 'Warning' | 'Exceeded';
export type ConditionType = 'Ready' | 'BudgetWarning' | 'BudgetExceeded' | 'RunawaySpend';

export interface Condition {
  type: ConditionType;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  /** RFC 3339; changes only when `status` changes. */
  lastTransitionTime: string;
  observedGeneration?: number;
}

export interface StatusPeriod {
  /** Period id, see core/period.ts ("2026-12", "2026-W49", "2026-12-04"). */
  id: string;
  start: string;
  end: string;
}

export interface StatusTokens {
  input: number;
  cachedInput: number;
  cacheWrite: number;
  output: number;
  /** Informational: already inside output. */
  reasoning: number;
}

export interface SpendBreakdown {
  name: string;
  spent: string;
  requests: number;
}

/** One closed period: the chargeback record. */
export interface PeriodRecord extends StatusPeriod {
  spent: string;
  requests: number;
  limit?: string;
}

export interface TeamBudgetStatus {
  period?: StatusPeriod;
  spent?: string;
  /** Absent when the budget has no limit. */
  remaining?: string;
  /** Whole percent of the limit spent (floor); absent without a limit. */
  percentUsed?: number;
  /** Projected spend at period end from the recent burn rate. */
  forecast?: string;
  requests?: number;
  tokens?: StatusTokens;
  /** Top 10 by spend. */
  byModel?: SpendBreakdown[];
  byJob?: SpendBreakdown[];
  phase?: BudgetPhase;
  conditions?: Condition[];
  /** Newest first, at most 12. */
  history?: PeriodRecord[];
  /** Unfinished pods in the team's namespaces running without the sidecar (and not opted out): unmetered. */
  podsWithoutSidecar?: number;
  /** `namespace/name` of up to 5 of them, sorted; absent when there are none. */
  podsWithoutSidecarExamples?: string[];
  /** Unfinished pods labelled tollgate.dev/inject=false: deliberately unmetered. */
  podsOptedOut?: number;
  lastSyncTime?: string;
  observedGeneration?: number;
}

export interface ModelPriceStatus {
  observedGeneration?: number;
}

/** Token classes a provider bills separately. Each is disjoint from the others. */
export const TOKEN_TYPES = ['input', 'cached_input', 'cache_write', 'output'] as const;
export type TokenType = (typeof TOKEN_TYPES)[number];
export type TokenCounts = Record<TokenType, number>;
