import { businessSecondsBetween, type BusinessHours } from '../domain/businessHours.js';
import { DAY_MS, offsetSegments, zoneClock } from '../domain/zoneClock.js';

// The same answer as domain/businessHours.ts's businessSecondsBetween (which
// asks Intl for the wall time of every minute: ~1 ms per hour of span, far too
// slow for tens of thousands of conversations), computed once per span as a
// sorted list of open stretches in UTC with running totals, so each duration
// is two binary searches.

const MINUTE_MS = 60_000;

export interface BusinessClock {
  /** Seconds of [from, to) inside opening hours; 0 when to ≤ from. */
  secondsBetween(from: Date | number, to: Date | number): number;
}

/**
 * Precomputes the opening hours over [spanStart, spanEnd). Instants outside
 * the span are still answered exactly, through the slow walk.
 */
export function businessClock(hours: BusinessHours, spanStart: Date | number, spanEnd: Date | number): BusinessClock {
  if (hours.intervals.length === 0) {
    return { secondsBetween: (from, to) => Math.max(0, +to - +from) / 1000 };
  }
  // Whole minutes: the schedule and every offset are minute-granular, so openness is constant inside a UTC minute.
  const start = Math.floor(+spanStart / MINUTE_MS) * MINUTE_MS;
  const end = Math.ceil(+spanEnd / MINUTE_MS) * MINUTE_MS;

  const raw: Array<[number, number]> = [];
  for (const segment of offsetSegments(zoneClock(hours.timeZone), start, end)) {
    // Within a segment local = utc + offset exactly, so the weekly schedule maps to UTC by one subtraction.
    const firstDay = Math.floor((segment.start + segment.offset) / DAY_MS);
    const lastDay = Math.floor((segment.end - 1 + segment.offset) / DAY_MS);
    for (let day = firstDay; day <= lastDay; day++) {
      const weekday = (((day + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
      for (const interval of hours.intervals) {
        if (interval.day !== weekday) continue;
        const openAt = Math.max(segment.start, day * DAY_MS + interval.startMinute * MINUTE_MS - segment.offset);
        const closeAt = Math.min(segment.end, day * DAY_MS + interval.endMinute * MINUTE_MS - segment.offset);
        if (closeAt > openAt) raw.push([openAt, closeAt]);
      }
    }
  }
  raw.sort((a, b) => a[0] - b[0]);

  // Merge overlaps ("mon 09:00-12:00; mon 11:00-13:00") and keep running totals.
  const opens: number[] = [];
  const closes: number[] = [];
  const openBefore: number[] = [];
  let total = 0;
  for (const [openAt, closeAt] of raw) {
    const last = closes.length - 1;
    if (last >= 0 && openAt <= closes[last]!) {
      if (closeAt > closes[last]!) {
        total += closeAt - closes[last]!;
        closes[last] = closeAt;
      }
      continue;
    }
    opens.push(openAt);
    closes.push(closeAt);
    openBefore.push(total);
    total += closeAt - openAt;
  }

  /** Open milliseconds in [start, t), for start ≤ t ≤ end. */
  const openMsUntil = (t: number): number => {
    let lo = 0;
    let hi = opens.length; // first stretch opening after t
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (opens[mid]! <= t) lo = mid + 1;
      else hi = mid;
    }
    const i = lo - 1;
    if (i < 0) return 0;
    return openBefore[i]! + Math.min(t, closes[i]!) - opens[i]!;
  };

  return {
    secondsBetween(from, to) {
      const a = +from;
      const b = +to;
      if (b <= a) return 0;
      if (a < start || b > end) return businessSecondsBetween(hours, new Date(a), new Date(b));
      return (openMsUntil(b) - openMsUntil(a)) / 1000;
    },
  };
}
