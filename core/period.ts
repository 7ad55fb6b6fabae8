// Budget periods. A period's id names its counters, so a new period starts at
// zero with no reset job, and past periods stay readable.
import type { BudgetPeriod } from './types.js';

/** Shared between callers (see periodWindow's cache): never mutate one, its Dates included. */
export interface PeriodWindow {
  /** "2026-12" (Monthly), "2026-W49" (Weekly, ISO week), "2026-12-04" (Daily). */
  readonly id: string;
  readonly start: Date;
  readonly end: Date;
}

interface LocalParts {
  year: number;
  month: number;
  day: number;
}

// Building an Intl.DateTimeFormat costs about a millisecond; formatting with
// one costs microseconds. Periods are computed on every call, so keep one
// formatter per time zone.
const dateFormatters = new Map<string, Intl.DateTimeFormat>();
const instantFormatters = new Map<string, Intl.DateTimeFormat>();

function formatter(
  cache: Map<string, Intl.DateTimeFormat>,
  timeZone: string,
  make: () => Intl.DateTimeFormat,
) {
  let cached = cache.get(timeZone);
  if (!cached) cache.set(timeZone, (cached = make()));
  return cached;
}

function numericParts(format: Intl.DateTimeFormat, at: Date): Record<string, number> {
  const parts: Record<string, number> = {};
  for (const part of format.formatToParts(at))
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  return parts;
}

function localDate(at: Date, timeZone: string): LocalParts {
  const format = formatter(
    dateFormatters,
    timeZone,
    () => new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: 'numeric', day: 'numeric' }),
  );
  const parts = numericParts(format, at);
  return { year: parts.year!, month: parts.month!, day: parts.day! };
}

/** Offset of `timeZone` from UTC at instant `at`, in milliseconds. */
function zoneOffsetMs(at: Date, timeZone: string): number {
  const format = formatter(
    instantFormatters,
    timeZone,
    () =>
      new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      }),
  );
  const parts = numericParts(format, at);
  const asUtc = Date.UTC(parts.year!, parts.month! - 1, parts.day, parts.hour, parts.minute, parts.second);
  return asUtc - (at.getTime() - at.getMilliseconds());
}

/** The instant local midnight of (year, month, day) happens in `timeZone`. */
function localMidnight(year: number, month: number, day: number, timeZone: string): Date {
  const guess = Date.UTC(year, month - 1, day);
  const first = guess - zoneOffsetMs(new Date(guess), timeZone);
  // A second pass settles days whose offset differs from the guess's (DST changes).
  return new Date(guess - zoneOffsetMs(new Date(first), timeZone));
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** ISO-8601 week-numbering year and week of a calendar date. */
function isoWeek(year: number, month: number, day: number): { year: number; week: number } {
  const date = new Date(Date.UTC(year, month - 1, day));
  const weekday = date.getUTCDay() || 7;
  date.setUTCDate(date.getUTCDate() + 4 - weekday);
  const yearStart = Date.UTC(date.getUTCFullYear(), 0, 1);
  return {
    year: date.getUTCFullYear(),
    week: Math.ceil(((date.getTime() - yearStart) / 86_400_000 + 1) / 7),
  };
}

// The sidecar asks for the current window on every call; it changes at most
// once a day, so the last answer per (period, zone) is reused while it holds.
const lastWindows = new Map<string, PeriodWindow>();

export function periodWindow(period: BudgetPeriod, at: Date, timeZone = 'UTC'): PeriodWindow {
  const key = `${period}|${timeZone}`;
  const last = lastWindows.get(key);
  const time = at.getTime();
  if (last && time >= last.start.getTime() && time < last.end.getTime()) return last;
  const window = computeWindow(period, at, timeZone);
  lastWindows.set(key, window);
  return window;
}

function computeWindow(period: BudgetPeriod, at: Date, timeZone: string): PeriodWindow {
  const { year, month, day } = localDate(at, timeZone);
  switch (period) {
    case 'Daily': {
      const next = new Date(Date.UTC(year, month - 1, day + 1));
      return {
        id: `${year}-${pad(month)}-${pad(day)}`,
        start: localMidnight(year, month, day, timeZone),
        end: localMidnight(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate(), timeZone),
      };
    }
    case 'Weekly': {
      const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay() || 7;
      const monday = new Date(Date.UTC(year, month - 1, day - (weekday - 1)));
      const nextMonday = new Date(monday.getTime() + 7 * 86_400_000);
      const week = isoWeek(year, month, day);
      return {
        id: `${week.year}-W${pad(week.week)}`,
        start: localMidnight(
          monday.getUTCFullYear(),
          monday.getUTCMonth() + 1,
          monday.getUTCDate(),
          timeZone,
        ),
        end: localMidnight(
          nextMonday.getUTCFullYear(),
          nextMonday.getUTCMonth() + 1,
          nextMonday.getUTCDate(),
          timeZone,
        ),
      };
    }
    case 'Monthly': {
      const next = month === 12 ? { y: year + 1, m: 1 } : { y: year, m: month + 1 };
      return {
        id: `${year}-${pad(month)}`,
        start: localMidnight(year, month, 1, timeZone),
        end: localMidnight(next.y, next.m, 1, timeZone),
      };
    }
  }
}

/** UTC hour bucket id, e.g. "2026-12-04T19". */
export function hourId(at: Date): string {
  return at.toISOString().slice(0, 13);
}
