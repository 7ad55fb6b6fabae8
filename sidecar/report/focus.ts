// The FinOps FOCUS (v1.2) view: one Usage charge per team x model (x job),
// in the columns FOCUS defines, so the spend lands next to cloud bills in
// any FOCUS-aware tool. Filled honestly: what the ledger does not know (list
// discounts, commitments, regions) is left out rather than invented;
// Tollgate's own dimensions ride in x_ columns, as FOCUS asks of custom data.
import { formatUsd } from '../../core/money.js';
import type { ModelPriceSpec } from '../../core/types.js';
import { toCsv } from './csv.js';
import { isoSeconds } from './format.js';
import type { ReportRow } from './rows.js';

const EXACT_DECIMALS = 12;
const TOKENS_PER_PRICING_UNIT = 1_000_000n;

export const FOCUS_COLUMNS = [
  'BilledCost',
  'BillingAccountId',
  'BillingAccountName',
  'BillingCurrency',
  'BillingPeriodEnd',
  'BillingPeriodStart',
  'ChargeCategory',
  'ChargeClass',
  'ChargeDescription',
  'ChargeFrequency',
  'ChargePeriodEnd',
  'ChargePeriodStart',
  'ConsumedQuantity',
  'ConsumedUnit',
  'ContractedCost',
  'EffectiveCost',
  'InvoiceIssuerName',
  'ListCost',
  'PricingCategory',
  'PricingQuantity',
  'PricingUnit',
  'ProviderName',
  'PublisherName',
  'ResourceId',
  'ResourceName',
  'ServiceCategory',
  'ServiceName',
  'ServiceSubcategory',
  'SkuId',
  'SubAccountId',
  'SubAccountName',
  'Tags',
  'x_Team',
  'x_Job',
  'x_Model',
  'x_Requests',
  'x_EstimatedRequests',
  'x_UnpricedRequests',
  'x_InputTokens',
  'x_CachedInputTokens',
  'x_CacheWriteTokens',
  'x_OutputTokens',
  'x_ReasoningTokens',
] as const;

export type FocusRow = Record<(typeof FOCUS_COLUMNS)[number], string | number | null>;

export interface FocusOptions {
  /** The account the provider invoices (FOCUS BillingAccountId); the ledger cannot know it. */
  billingAccount: string;
  /** Which provider serves a model, from the published price table. */
  providerOf: (model: string) => string | undefined;
}

const PROVIDERS: Record<string, { name: string; service: string }> = {
  openai: { name: 'OpenAI', service: 'OpenAI API' },
  anthropic: { name: 'Anthropic', service: 'Anthropic API' },
  gemini: { name: 'Google', service: 'Gemini API' },
};

function providerNames(provider: string | undefined): { name: string; service: string } {
  if (provider === undefined) return { name: 'Unknown', service: 'Unknown' };
  return PROVIDERS[provider] ?? { name: provider, service: `${provider} API` };
}

/** tokens / 1e6 as an exact decimal string: prices are per million tokens. */
function perMillion(tokens: number): string {
  const whole = BigInt(tokens) / TOKENS_PER_PRICING_UNIT;
  const fraction = (BigInt(tokens) % TOKENS_PER_PRICING_UNIT).toString().padStart(6, '0').replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : `${whole}`;
}

export function focusRow(row: ReportRow, options: FocusOptions): FocusRow {
  const { usage } = row;
  const model = row.model ?? '';
  const provider = options.providerOf(model);
  const names = providerNames(provider);
  const cost = formatUsd(usage.cost, EXACT_DECIMALS);
  const tokens =
    usage.tokens.input + usage.tokens.cached_input + usage.tokens.cache_write + usage.tokens.output;
  const tags: Record<string, string> = { 'tollgate.dev/team': row.team };
  if (row.job !== undefined) tags['tollgate.dev/job'] = row.job;
  return {
    // No discounts or commitments are known to the ledger: every cost is the priced cost.
    BilledCost: cost,
    BillingAccountId: options.billingAccount,
    BillingAccountName: options.billingAccount,
    BillingCurrency: 'USD',
    BillingPeriodEnd: isoSeconds(row.period.end),
    BillingPeriodStart: isoSeconds(row.period.start),
    ChargeCategory: 'Usage',
    ChargeClass: null,
    ChargeDescription:
      `${tokens} tokens of ${model} over ${usage.requests} requests by team ${row.team}` +
      (row.job !== undefined ? `, job ${row.job}` : ''),
    ChargeFrequency: 'Usage-Based',
    ChargePeriodEnd: isoSeconds(row.period.end),
    ChargePeriodStart: isoSeconds(row.period.start),
    ConsumedQuantity: tokens,
    ConsumedUnit: 'Tokens',
    ContractedCost: cost,
    EffectiveCost: cost,
    InvoiceIssuerName: names.name,
    ListCost: cost,
    PricingCategory: 'Standard',
    PricingQuantity: perMillion(tokens),
    PricingUnit: '1000000 Tokens',
    ProviderName: names.name,
    PublisherName: names.name,
    // The workload that spent the money, when the rows are broken down by job.
    ResourceId: row.job !== undefined ? `${row.team}/${row.job}` : null,
    ResourceName: row.job ?? null,
    ServiceCategory: 'AI and Machine Learning',
    ServiceName: names.service,
    ServiceSubcategory: 'Generative AI',
    SkuId: `${provider ?? 'unknown'}/${model}`,
    SubAccountId: row.team,
    SubAccountName: row.team,
    Tags: JSON.stringify(tags),
    x_Team: row.team,
    x_Job: row.job ?? null,
    x_Model: model,
    x_Requests: usage.requests,
    x_EstimatedRequests: usage.estimatedRequests,
    x_UnpricedRequests: usage.unpricedRequests,
    x_InputTokens: usage.tokens.input,
    x_CachedInputTokens: usage.tokens.cached_input,
    x_CacheWriteTokens: usage.tokens.cache_write,
    x_OutputTokens: usage.tokens.output,
    x_ReasoningTokens: usage.reasoningTokens,
  };
}

/** FOCUS rows as CSV; rows must be broken down by model (a SKU is a model). */
export function formatFocus(rows: ReportRow[], options: FocusOptions): string {
  return toCsv(
    FOCUS_COLUMNS,
    rows.map((row) => {
      const focus = focusRow(row, options);
      return FOCUS_COLUMNS.map((column) => focus[column]);
    }),
  );
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}

/** Model -> provider from the operator's price table: exact model names first, then aliases. */
export function providerLookup(prices: ModelPriceSpec[]): (model: string) => string | undefined {
  return (model) =>
    prices.find((price) => price.model === model)?.provider ??
    prices.find((price) => price.aliases?.some((alias) => globToRegExp(alias).test(model)))?.provider;
}
