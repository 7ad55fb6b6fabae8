import { describe, expect, it } from 'vitest';
import { hourId, periodWindow } from '../../core/period.js';

const iso = (d: Date) => d.toISOString();

describe('periodWindow', () => {
  it('names a UTC month and bounds it by the first instants of this and the next month', () => {
    const w = periodWindow('Monthly', new Date('2026-12-31T23:59:59Z'));
    expect([w.id, iso(w.start), iso(w.end)]).toEqual([
      '2026-12',
      '2026-12-01T00:00:00.000Z',
      '2027-01-01T00:00:00.000Z',
    ]);
  });

  it('uses the local calendar of the time zone', () => {
    // 2027-01-01T03:00Z is still New Year's Eve in New York (UTC-5).
    const w = periodWindow('Monthly', new Date('2027-01-01T03:00:00Z'), 'America/New_York');
    expect([w.id, iso(w.start), iso(w.end)]).toEqual([
      '2026-12',
      '2026-12-01T05:00:00.000Z',
      '2027-01-01T05:00:00.000Z',
    ]);
  });

  it('is 23 hours long on the day daylight saving time starts', () => {
    const w = periodWindow('Daily', new Date('2026-03-08T12:00:00Z'), 'America/New_York');
    expect(w.id).toBe('2026-03-08');
    expect(iso(w.start)).toBe('2026-03-08T05:00:00.000Z');
    expect(iso(w.end)).toBe('2026-03-09T04:00:00.000Z');
  });

  it('numbers weeks the ISO way, across a year boundary', () => {
    // Thursday 2026-12-31 belongs to ISO week 53 of 2026; Monday 2027-01-04 starts week 1 of 2027.
    expect(periodWindow('Weekly', new Date('2026-12-31T12:00:00Z')).id).toBe('2026-W53');
    expect(periodWindow('Weekly', new Date('2027-01-03T12:00:00Z')).id).toBe('2026-W53');
    const w = periodWindow('Weekly', new Date('2027-01-04T00:00:00Z'));
    expect([w.id, iso(w.start), iso(w.end)]).toEqual([
      '2027-W01',
      '2027-01-04T00:00:00.000Z',
      '2027-01-11T00:00:00.000Z',
    ]);
  });

  it('gives a half-hour zone its own midnight', () => {
    const w = periodWindow('Daily', new Date('2026-12-04T20:00:00Z'), 'Asia/Kolkata');
    expect([w.id, iso(w.start)]).toEqual(['2026-12-05', '2026-12-04T18:30:00.000Z']);
  });
});

describe('hourId', () => {
  it('is the UTC hour', () => {
    expect(hourId(new Date('2026-12-04T19:59:59.999Z'))).toBe('2026-12-04T19');
  });
});
