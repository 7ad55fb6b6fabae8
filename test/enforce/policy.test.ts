import { describe, expect, it } from 'vitest';
import { compilePolicy, trackingOnlyPolicy } from '../../sidecar/enforce/policy.js';

describe('compilePolicy', () => {
  const spec = {
    limit: '500.25',
    period: 'Monthly' as const,
    timezone: 'Europe/Berlin',
    enforcement: 'Hard' as const,
    alertThresholds: [100, 50, 80],
    rateLimits: {
      requestsPerMinute: 600,
      tokensPerMinute: 100_000,
      perModel: [
        { model: 'gpt-4o*', tokensPerMinute: 20_000 },
        { model: 'claude-*', requestsPerMinute: 10 },
      ],
    },
    models: { allow: ['gpt-4o*', 'claude-*'], deny: ['gpt-4o-realtime*'] },
    failMode: 'Closed' as const,
  };

  it('turns the limit into exact pico-USD and sorts thresholds', () => {
    const policy = compilePolicy('catalog', spec, '7');
    expect(policy.limit).toBe(500_250_000_000_000n);
    expect(policy.reservesBudget).toBe(true);
    expect(policy.alertThresholds).toEqual([50, 80, 100]);
    expect(policy.failMode).toBe('Closed');
    expect(policy.version).toBe('7');
  });

  it('computes the period window in the team time zone', () => {
    const policy = compilePolicy('catalog', spec);
    const window = policy.window(new Date('2026-12-31T23:30:00Z')); // already January in Berlin
    expect(window.id).toBe('2027-01');
    expect(window.start.toISOString()).toBe('2026-12-31T23:00:00.000Z');
  });

  it('moves to the next window at the boundary, and back for an earlier instant', () => {
    const policy = compilePolicy('catalog', { ...spec, period: 'Daily', timezone: 'UTC' });
    expect(policy.window(new Date('2026-12-04T23:59:59.999Z')).id).toBe('2026-12-04');
    expect(policy.window(new Date('2026-12-05T00:00:00.000Z')).id).toBe('2026-12-05');
    expect(policy.window(new Date('2026-12-04T12:00:00.000Z')).id).toBe('2026-12-04');
  });

  it('lets deny win over allow and refuses models outside the allow list', () => {
    const policy = compilePolicy('catalog', spec);
    expect(policy.checkModel('gpt-4o-mini')).toEqual({ allowed: true });
    expect(policy.checkModel('gpt-4o-realtime-preview').allowed).toBe(false);
    expect(policy.checkModel('gpt-4o-realtime-preview').reason).toContain('gpt-4o-realtime*');
    expect(policy.checkModel('gemini-2.5-pro').allowed).toBe(false);
  });

  it('adds the first matching per-model limits to the team-wide ones', () => {
    const policy = compilePolicy('catalog', spec);
    expect(policy.rateLimitsFor('gpt-4o-mini').map((l) => `${l.field}=${l.perMinute}`)).toEqual([
      'rl|requests|team=600',
      'rl|tokens|team=100000',
      'rl|tokens|model:gpt-4o*=20000',
    ]);
    expect(policy.rateLimitsFor('o3').map((l) => l.field)).toEqual(['rl|requests|team', 'rl|tokens|team']);
  });

  it('does not reserve for Soft budgets or budgets without a limit', () => {
    expect(compilePolicy('t', { ...spec, enforcement: 'Soft' }).reservesBudget).toBe(false);
    expect(compilePolicy('t', { ...spec, limit: undefined }).reservesBudget).toBe(false);
    const tracking = trackingOnlyPolicy('t');
    expect(tracking.reservesBudget).toBe(false);
    expect(tracking.rateLimitsFor('gpt-4o')).toEqual([]);
    expect(tracking.failMode).toBe('Open');
  });

  it('names the field it cannot accept', () => {
    expect(() => compilePolicy('t', { ...spec, timezone: 'Mars/Olympus' })).toThrow(/timezone/);
    expect(() => compilePolicy('t', { ...spec, limit: '12.5.0' })).toThrow(/decimal/);
    expect(() => compilePolicy('t', { ...spec, rateLimits: { requestsPerMinute: -1 } })).toThrow(
      /rateLimits.requestsPerMinute/,
    );
  });
});
