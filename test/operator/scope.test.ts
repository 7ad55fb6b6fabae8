// The operator's scope: which selectors it accepts, what it stamps, what it matches. Pure.
import { describe, expect, it } from 'vitest';
import { trackingBudget } from '../../operator/reconcile/autocreate.js';
import { defaultLeaseName, inScope, parseScope } from '../../operator/scope.js';

describe('parseScope', () => {
  it('is unscoped when empty or blank', () => {
    for (const text of [undefined, '', ' ', ',']) {
      expect(parseScope(text)).toEqual({ labels: {}, selector: undefined });
    }
  });

  it('reads equality terms, = or ==, and prints them canonically', () => {
    expect(parseScope(' tollgate.dev/shard = a ,tier==gold')).toEqual({
      labels: { 'tollgate.dev/shard': 'a', tier: 'gold' },
      selector: 'tollgate.dev/shard=a,tier=gold',
    });
    expect(parseScope('empty=')).toEqual({ labels: { empty: '' }, selector: 'empty=' });
    expect(parseScope('a=1,a=1').selector).toBe('a=1');
  });

  it.each([
    ['a!=b', /only equality selectors/],
    ['tier in (gold,silver)', /only equality selectors/],
    ['tier notin (gold)', /only equality selectors/],
    ['!tier', /only equality selectors/],
    ['tier', /only equality selectors/],
    ['a=b,c', /"c" is not key=value/],
    ['a=b=c', /only equality selectors/],
    ['Bad_Prefix.dev/x=1', /bad label key/],
    ['-x=1', /bad label key/],
    [`x=${'v'.repeat(64)}`, /bad label value/],
    ['x=a b', /only equality selectors/],
    ['a=1,a=2', /names a twice/],
  ])('refuses %s with a clear error', (text, message) => {
    expect(() => parseScope(text)).toThrow(message);
  });
});

describe('inScope', () => {
  const scope = parseScope('tollgate.dev/shard=a,tier=gold');

  it('needs every label of the selector, with its value', () => {
    expect(inScope(scope, { 'tollgate.dev/shard': 'a', tier: 'gold', other: 'x' })).toBe(true);
    expect(inScope(scope, { 'tollgate.dev/shard': 'a' })).toBe(false);
    expect(inScope(scope, { 'tollgate.dev/shard': 'b', tier: 'gold' })).toBe(false);
    expect(inScope(scope, undefined)).toBe(false);
  });

  it('takes everything when unscoped', () => {
    expect(inScope(parseScope(''), undefined)).toBe(true);
  });

  it('matches the budgets the operator creates in that scope', () => {
    const labels = trackingBudget('search', scope.labels).metadata.labels as Record<string, string>;
    expect(labels).toEqual({
      'tollgate.dev/shard': 'a',
      tier: 'gold',
      'tollgate.dev/auto-created': 'true',
    });
    expect(inScope(scope, labels)).toBe(true);
  });
});

describe('defaultLeaseName', () => {
  it('is one per selector, and the historical name when unscoped', () => {
    expect(defaultLeaseName(parseScope(''))).toBe('tollgate-operator');
    const a = defaultLeaseName(parseScope('tollgate.dev/shard=a'));
    expect(a).toMatch(/^tollgate-operator-[0-9a-f]{10}$/);
    expect(defaultLeaseName(parseScope(' tollgate.dev/shard==a '))).toBe(a);
    expect(defaultLeaseName(parseScope('tollgate.dev/shard=b'))).not.toBe(a);
  });
});
