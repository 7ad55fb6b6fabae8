// The CRDs on the real apiserver: good objects are stored with the schema's
// defaults, and each class of bad input is refused at apply time.
import { ApiException, CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GROUP, VERSION } from '../../core/types.js';
import { kubeConfig, kubectl } from '../support/kube.js';
import { installCrds } from './crd-files.js';

let api: CustomObjectsApi;
const created: { plural: string; name: string }[] = [];

beforeAll(async () => {
  await installCrds();
  api = kubeConfig().makeApiClient(CustomObjectsApi);
});

afterAll(async () => {
  for (const { plural, name } of created) {
    await api
      .deleteClusterCustomObject({ group: GROUP, version: VERSION, plural, name })
      .catch(() => undefined);
  }
});

const suffix = `${process.pid}`;

function teamBudget(name: string, spec: Record<string, unknown>) {
  return {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'TeamBudget',
    metadata: { name: `${name}-${suffix}` },
    spec,
  };
}

function modelPrice(name: string, spec: Record<string, unknown>) {
  return {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'ModelPrice',
    metadata: { name: `${name}-${suffix}` },
    spec: { provider: 'openai', model: 'gpt-4o', prices: { input: '2.50', output: '10' }, ...spec },
  };
}

async function create(plural: string, body: { metadata: { name: string } }) {
  const stored = (await api.createClusterCustomObject({ group: GROUP, version: VERSION, plural, body })) as {
    spec: Record<string, unknown>;
  };
  created.push({ plural, name: body.metadata.name });
  return stored;
}

/** The apiserver's refusal message; fails the test when the object was accepted. */
async function refusal(plural: string, body: { metadata: { name: string } }): Promise<string> {
  try {
    await create(plural, body);
  } catch (error) {
    expect(error).toBeInstanceOf(ApiException);
    expect((error as ApiException<unknown>).code).toBe(422);
    return JSON.stringify((error as ApiException<unknown>).body);
  }
  throw new Error(`the apiserver accepted ${body.metadata.name}`);
}

describe('TeamBudget CRD', () => {
  it('stores a valid budget with the schema defaults filled in', async () => {
    const stored = await create('teambudgets', teamBudget('defaults', { limit: '500' }));
    expect(stored.spec).toEqual({
      limit: '500',
      period: 'Monthly',
      timezone: 'UTC',
      enforcement: 'Hard',
      alertThresholds: [50, 80, 100],
      failMode: 'Open',
    });
    const full = await create(
      'teambudgets',
      teamBudget('full', {
        limit: '1250.50',
        period: 'Weekly',
        timezone: 'America/New_York',
        enforcement: 'Soft',
        alertThresholds: [0, 75, 1000],
        rateLimits: { requestsPerMinute: 60, perModel: [{ model: 'gpt-4o-*', tokensPerMinute: 1000 }] },
        models: { allow: ['gpt-4o*', 'claude-?-sonnet'], deny: ['o1-pro'] },
        failMode: 'Closed',
      }),
    );
    expect(full.spec.timezone).toBe('America/New_York');
  });

  it.each([
    ['negative money', { limit: '-5' }, 'spec.limit'],
    ['malformed money', { limit: '5,00' }, 'spec.limit'],
    ['too many decimals', { limit: '1.0000000000001' }, 'spec.limit'],
    ['unknown period', { period: 'Yearly' }, 'spec.period'],
    ['unknown enforcement', { enforcement: 'Maybe' }, 'spec.enforcement'],
    ['unknown fail mode', { failMode: 'Sometimes' }, 'spec.failMode'],
    ['threshold above 1000', { alertThresholds: [50, 1001] }, 'spec.alertThresholds'],
    ['negative threshold', { alertThresholds: [-1, 50] }, 'spec.alertThresholds'],
    ['unsorted thresholds', { alertThresholds: [80, 50] }, 'ascending order'],
    ['duplicate thresholds', { alertThresholds: [50, 50] }, 'spec.alertThresholds'],
    ['unknown time zone', { timezone: 'Mars/Olympus_Mons' }, 'IANA time zone'],
    ['malformed time zone', { timezone: 'UTC+2 please' }, 'spec.timezone'],
    ['bad model glob', { models: { allow: ['gpt-[4]o'] } }, 'spec.models.allow'],
    ['empty rate limit glob', { rateLimits: { perModel: [{ model: '' }] } }, 'spec.rateLimits.perModel'],
    ['zero rate limit', { rateLimits: { requestsPerMinute: 0 } }, 'spec.rateLimits.requestsPerMinute'],
  ])('refuses %s', async (_what, spec, mentions) => {
    const name = `bad-${_what.replace(/[^a-z]+/g, '-')}`;
    expect(await refusal('teambudgets', teamBudget(name, spec))).toContain(mentions);
  });

  it('refuses names that cannot be a team', async () => {
    expect(await refusal('teambudgets', teamBudget('dotted.team', {}))).toContain('metadata.name');
  });

  it('refuses bad input at kubectl apply time too', async () => {
    const manifest = JSON.stringify(teamBudget('kubectl-bad', { limit: '-1' }));
    const error = await kubectl(['apply', '-f', '-'], manifest).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/spec\.limit/);
  });
});

describe('ModelPrice CRD', () => {
  it('stores a valid price with currency defaulted', async () => {
    const stored = await create(
      'modelprices',
      modelPrice('valid', {
        aliases: ['gpt-4o-2024-*'],
        prices: { input: '2.50', output: '10', cachedInput: '1.25', cacheWrite: '0.000001' },
        effectiveFrom: '2026-01-01T00:00:00Z',
      }),
    );
    expect(stored.spec.currency).toBe('USD');
  });

  it.each([
    ['negative price', { prices: { input: '-1', output: '10' } }, 'spec.prices.input'],
    ['sub-micro price', { prices: { input: '0.0000001', output: '10' } }, 'spec.prices.input'],
    ['missing output price', { prices: { input: '1' } }, 'spec.prices.output'],
    ['unknown currency', { currency: 'EUR' }, 'spec.currency'],
    ['bad effectiveFrom', { effectiveFrom: 'next tuesday' }, 'spec.effectiveFrom'],
    ['bad alias glob', { aliases: ['gpt 4o'] }, 'spec.aliases'],
    ['bad provider', { provider: 'Open AI' }, 'spec.provider'],
  ])('refuses %s', async (_what, spec, mentions) => {
    const name = `bad-${_what.replace(/[^a-z]+/g, '-')}`;
    expect(await refusal('modelprices', modelPrice(name, spec))).toContain(mentions);
  });
});

describe('printer columns', () => {
  it('kubectl get prints the documented columns', async () => {
    const budgets = await kubectl(['get', 'tb']);
    expect(budgets.split('\n')[0]!.split(/\s{2,}/)).toEqual([
      'NAME',
      'PERIOD',
      'LIMIT',
      'SPENT',
      'USED %',
      'FORECAST',
      'STATUS',
      'AGE',
    ]);
    const prices = await kubectl(['get', 'mp']);
    expect(prices.split('\n')[0]!.split(/\s{2,}/)).toEqual([
      'NAME',
      'PROVIDER',
      'MODEL',
      'INPUT/1M',
      'OUTPUT/1M',
      'AGE',
    ]);
  });
});
