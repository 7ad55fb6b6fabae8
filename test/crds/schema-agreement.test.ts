// core/types.ts is the source of truth for the resources' shape; the CRD
// schemas must not drift from it. Each record below is checked by tsc to list
// exactly the keys of its TypeScript type (a missing or extra key fails the
// typecheck), and by this test to equal the schema's properties.
import { describe, expect, it } from 'vitest';
import type {
  BudgetPeriod,
  BudgetPhase,
  Condition,
  ConditionType,
  Enforcement,
  FailMode,
  ModelPriceSpec,
  PeriodRecord,
  RateLimits,
  SpendBreakdown,
  StatusPeriod,
  StatusTokens,
  TeamBudgetSpec,
  TeamBudgetStatus,
} from '../../core/types.js';
import { crdFiles, readCrd, type Schema } from './crd-files.js';

/** true: required in TypeScript; false: optional. */
type Keys<T> = { [K in keyof Required<T>]: undefined extends T[K] ? false : true };
type Members<T extends string> = Record<T, true>;

function properties(schema: Schema | undefined, path: string): Record<string, boolean> {
  if (!schema?.properties) throw new Error(`${path} has no properties in the schema`);
  return Object.fromEntries(
    Object.keys(schema.properties).map((key) => [key, schema.required?.includes(key) ?? false]),
  );
}

const teamBudget = readCrd(crdFiles.teamBudgets).spec.versions[0]!.schema.openAPIV3Schema;
const modelPrice = readCrd(crdFiles.modelPrices).spec.versions[0]!.schema.openAPIV3Schema;
const tbSpec = teamBudget.properties!.spec!;
const tbStatus = teamBudget.properties!.status!;
const mpSpec = modelPrice.properties!.spec!;

describe('CRD schemas agree with core/types.ts', () => {
  it('TeamBudget spec', () => {
    const spec: Keys<TeamBudgetSpec> = {
      limit: false,
      period: true,
      timezone: false,
      enforcement: true,
      alertThresholds: false,
      rateLimits: false,
      models: false,
      failMode: false,
    };
    const rateLimits: Keys<RateLimits> = {
      requestsPerMinute: false,
      tokensPerMinute: false,
      perModel: false,
    };
    const perModel: Keys<NonNullable<RateLimits['perModel']>[number]> = {
      model: true,
      requestsPerMinute: false,
      tokensPerMinute: false,
    };
    const models: Keys<NonNullable<TeamBudgetSpec['models']>> = { allow: false, deny: false };
    expect(properties(tbSpec, 'spec')).toEqual(spec);
    expect(properties(tbSpec.properties!.rateLimits, 'rateLimits')).toEqual(rateLimits);
    expect(properties(tbSpec.properties!.rateLimits!.properties!.perModel!.items, 'perModel')).toEqual(
      perModel,
    );
    expect(properties(tbSpec.properties!.models, 'models')).toEqual(models);

    const periods: Members<BudgetPeriod> = { Daily: true, Weekly: true, Monthly: true };
    const enforcements: Members<Enforcement> = { Hard: true, Soft: true };
    const failModes: Members<FailMode> = { Open: true, Closed: true };
    expect(tbSpec.properties!.period!.enum).toEqual(Object.keys(periods));
    expect(tbSpec.properties!.enforcement!.enum).toEqual(Object.keys(enforcements));
    expect(tbSpec.properties!.failMode!.enum).toEqual(Object.keys(failModes));
  });

  it('TeamBudget status', () => {
    // The operator writes every field; all are optional so a fresh object validates.
    const status: Keys<TeamBudgetStatus> = {
      period: false,
      spent: false,
      remaining: false,
      percentUsed: false,
      forecast: false,
      requests: false,
      tokens: false,
      byModel: false,
      byJob: false,
      phase: false,
      conditions: false,
      history: false,
      podsWithoutSidecar: false,
      podsWithoutSidecarExamples: false,
      podsOptedOut: false,
      lastSyncTime: false,
      observedGeneration: false,
    };
    const period: Keys<StatusPeriod> = { id: true, start: true, end: true };
    const tokens: Keys<StatusTokens> = {
      input: true,
      cachedInput: true,
      cacheWrite: true,
      output: true,
      reasoning: true,
    };
    const breakdown: Keys<SpendBreakdown> = { name: true, spent: true, requests: true };
    const condition: Keys<Condition> = {
      type: true,
      status: true,
      reason: true,
      message: true,
      lastTransitionTime: true,
      observedGeneration: false,
    };
    const record: Keys<PeriodRecord> = {
      id: true,
      start: true,
      end: true,
      spent: true,
      requests: true,
      limit: false,
    };
    const p = tbStatus.properties!;
    expect(properties(tbStatus, 'status')).toEqual(status);
    expect(properties(p.period, 'status.period')).toEqual(period);
    expect(properties(p.tokens, 'status.tokens')).toEqual(tokens);
    expect(properties(p.byModel!.items, 'status.byModel')).toEqual(breakdown);
    expect(properties(p.byJob!.items, 'status.byJob')).toEqual(breakdown);
    expect(properties(p.conditions!.items, 'status.conditions')).toEqual(condition);
    expect(properties(p.history!.items, 'status.history')).toEqual(record);

    const phases: Members<BudgetPhase> = { Ok: true, Warning: true, Exceeded: true };
    const types: Members<ConditionType> = {
      Ready: true,
      BudgetWarning: true,
      BudgetExceeded: true,
      RunawaySpend: true,
    };
    expect(p.phase!.enum).toEqual(Object.keys(phases));
    expect(p.conditions!.items!.properties!.type!.enum).toEqual(Object.keys(types));
  });

  it('ModelPrice spec', () => {
    const spec: Keys<ModelPriceSpec> = {
      provider: true,
      model: true,
      aliases: false,
      currency: true,
      prices: true,
      effectiveFrom: false,
    };
    const prices: Keys<ModelPriceSpec['prices']> = {
      input: true,
      output: true,
      cachedInput: false,
      cacheWrite: false,
    };
    expect(properties(mpSpec, 'spec')).toEqual(spec);
    expect(properties(mpSpec.properties!.prices, 'prices')).toEqual(prices);
    expect(mpSpec.properties!.currency!.enum).toEqual(['USD']);
  });
});
