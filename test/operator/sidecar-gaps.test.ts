// Which pods count as running without the sidecar, per team, and how that
// lands in status: pure, no I/O.
import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { parseUsd } from '../../core/money.js';
import { periodWindow } from '../../core/period.js';
import type { TeamBudget } from '../../core/types.js';
import { emptyBreakdown } from '../../ledger/reader.js';
import { podState, sidecarGapsByTeam, type SidecarGaps } from '../../operator/sidecar-gaps.js';
import { computeStatus, statusChanged } from '../../operator/status.js';

function pod(namespace: string, name: string, labels: Record<string, string> = {}, phase = 'Running'): V1Pod {
  return { metadata: { namespace, name, labels }, status: { phase } };
}

const teams = new Map([
  ['catalog-prod', 'catalog'],
  ['catalog-dev', 'catalog'],
  ['search', 'search'],
]);

describe('podState', () => {
  it.each([
    ['injected', pod('n', 'p', { 'tollgate.dev/injected': 'true' }), 'injected'],
    ['opted out', pod('n', 'p', { 'tollgate.dev/inject': 'false' }), 'optedOut'],
    ['plain', pod('n', 'p', { app: 'web' }), 'withoutSidecar'],
    ['pending', pod('n', 'p', {}, 'Pending'), 'withoutSidecar'],
    ['no phase yet', { metadata: { namespace: 'n', name: 'p' } }, 'withoutSidecar'],
    ['injected label not "true"', pod('n', 'p', { 'tollgate.dev/injected': 'yes' }), 'withoutSidecar'],
    ['inject label not "false"', pod('n', 'p', { 'tollgate.dev/inject': 'true' }), 'withoutSidecar'],
    ['succeeded', pod('n', 'p', {}, 'Succeeded'), 'finished'],
    ['failed', pod('n', 'p', { 'tollgate.dev/inject': 'false' }, 'Failed'), 'finished'],
  ])('%s', (_what, given, expected) => {
    expect(podState(given)).toBe(expected);
  });
});

describe('sidecarGapsByTeam', () => {
  it('counts per team across its namespaces, opt-outs apart, and ignores unlabelled namespaces', () => {
    const gaps = sidecarGapsByTeam(
      [
        pod('catalog-prod', 'web-1'),
        pod('catalog-dev', 'web-2'),
        pod('catalog-prod', 'worker', { 'tollgate.dev/injected': 'true' }),
        pod('catalog-prod', 'debug', { 'tollgate.dev/inject': 'false' }),
        pod('catalog-prod', 'migrate', {}, 'Succeeded'),
        pod('search', 'indexer', { 'tollgate.dev/inject': 'false' }),
        pod('kube-system', 'coredns'),
      ],
      teams,
    );
    expect(Object.fromEntries(gaps)).toEqual({
      catalog: { withoutSidecar: 2, optedOut: 1, examples: ['catalog-dev/web-2', 'catalog-prod/web-1'] },
      search: { withoutSidecar: 0, optedOut: 1, examples: [] },
    });
  });

  it("attributes no pods to teams outside the operator's scope", () => {
    const pods = [
      pod('catalog-prod', 'web-1'),
      pod('search', 'indexer'),
      pod('search', 'debug', { 'tollgate.dev/inject': 'false' }),
    ];
    const gaps = sidecarGapsByTeam(pods, teams, new Set(['search']));
    expect(Object.fromEntries(gaps)).toEqual({
      search: { withoutSidecar: 1, optedOut: 1, examples: ['search/indexer'] },
    });
  });

  it('keeps five examples, sorted, whatever order the pods arrive in', () => {
    const names = ['g', 'c', 'a', 'f', 'b', 'e', 'd'];
    const gaps = sidecarGapsByTeam(
      names.map((name) => pod('search', name)),
      teams,
    );
    expect(gaps.get('search')).toEqual({
      withoutSidecar: 7,
      optedOut: 0,
      examples: ['search/a', 'search/b', 'search/c', 'search/d', 'search/e'],
    });
  });

  it('is empty without team namespaces', () => {
    expect(sidecarGapsByTeam([pod('default', 'web')], new Map()).size).toBe(0);
  });
});

describe('status', () => {
  const now = new Date('2026-12-10T10:00:00Z');
  const budget: TeamBudget = {
    apiVersion: 'tollgate.dev/v1alpha1',
    kind: 'TeamBudget',
    metadata: { name: 'catalog', generation: 1 },
    spec: { period: 'Monthly', enforcement: 'Hard' },
  };
  const statusWith = (sidecarGaps: SidecarGaps | undefined, previous = budget) =>
    computeStatus({
      budget: previous,
      window: periodWindow('Monthly', now),
      totals: { ...emptyBreakdown(), byModel: new Map(), byJob: new Map() },
      hourly: [],
      sidecarGaps,
      now,
      options: {
        forecastWindowHours: 6,
        runaway: { factor: 10, trailingHours: 24, minSpend: parseUsd('1') },
      },
    });

  it('shows the counts, and the examples only when there are any', () => {
    const gap = statusWith({ withoutSidecar: 1, optedOut: 2, examples: ['catalog-prod/web-1'] });
    expect(gap).toMatchObject({
      podsWithoutSidecar: 1,
      podsOptedOut: 2,
      podsWithoutSidecarExamples: ['catalog-prod/web-1'],
    });
    const none = statusWith(undefined);
    expect(none).toMatchObject({ podsWithoutSidecar: 0, podsOptedOut: 0 });
    expect(none).not.toHaveProperty('podsWithoutSidecarExamples');
  });

  it('is rewritten when the count changes, and only then', () => {
    const one = { withoutSidecar: 1, optedOut: 0, examples: ['catalog-prod/web-1'] };
    const written = { ...budget, status: statusWith(one) };
    expect(statusChanged(written.status, statusWith({ ...one }, written))).toBe(false);
    expect(statusChanged(written.status, statusWith(undefined, written))).toBe(true);
    expect(
      statusChanged(
        written.status,
        statusWith({ withoutSidecar: 2, optedOut: 0, examples: ['catalog-prod/web-1', 'x/y'] }, written),
      ),
    ).toBe(true);
  });
});
