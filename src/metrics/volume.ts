import type { Pipeline } from '../store/port.js';
import { localWeekdayHour, offsetSegments, zoneClock } from '../domain/zoneClock.js';

// Volume is grouped in the pipeline by UTC quarter-hour and only then mapped
// to the configured zone's weekday and hour, here, once per quarter-hour.
// Every zone's offset, and every DST change, is a whole number of quarter
// hours (Kolkata +5:30, Kathmandu +5:45, Chatham +12:45), so a quarter-hour
// never straddles a local hour. The obvious `$hour` / `$dayOfWeek` with a
// `timezone` is as correct, but resolves the zone twice per document: over a
// month of a 1,000,000-message desk on the embedded engine it took twice as
// long as this (and minutes with mingo's own zone handling).

export const QUARTER_HOUR_MS = 900_000;

export interface HourVolume {
  hour: number;
  conversations: number;
  messages: number;
}

export interface WeekdayHourVolume extends HourVolume {
  /** 0 = Sunday … 6 = Saturday, in the configured zone. */
  weekday: number;
}

/** Quarter-hours since the epoch, as a MongoDB expression on a date field path like '$at'. */
export function quarterHourOf(dateField: string): Record<string, unknown> {
  return { $floor: { $divide: [{ $toLong: dateField }, QUARTER_HOUR_MS] } };
}

/** Counts per quarter-hour of the documents matched by `match`, on `dateField`. */
export function quarterHourCounts(match: Record<string, unknown>, dateField: string): Pipeline {
  return [{ $match: match }, { $group: { _id: quarterHourOf(`$${dateField}`), n: { $sum: 1 } } }];
}

export interface QuarterHourCount {
  _id: number;
  n: number;
}

/** All 24 hours and all 7 × 24 weekday-hours, zeros where nothing happened. */
export function volumeByLocalTime(
  conversations: readonly QuarterHourCount[],
  messages: readonly QuarterHourCount[],
  timeZone: string,
): { volumeByHour: HourVolume[]; volumeByWeekdayHour: WeekdayHourVolume[] } {
  const volumeByHour: HourVolume[] = Array.from({ length: 24 }, (_, hour) => ({ hour, conversations: 0, messages: 0 }));
  const volumeByWeekdayHour: WeekdayHourVolume[] = [];
  for (let weekday = 0; weekday < 7; weekday++) {
    for (let hour = 0; hour < 24; hour++) volumeByWeekdayHour.push({ weekday, hour, conversations: 0, messages: 0 });
  }
  // One offset lookup per offset change rather than per quarter-hour: a month has ~3,000 of them.
  const tagged = (counts: readonly QuarterHourCount[], field: 'conversations' | 'messages') =>
    counts.map(({ _id, n }) => ({ start: Number(_id) * QUARTER_HOUR_MS, n: Number(n), field }));
  const all = [...tagged(conversations, 'conversations'), ...tagged(messages, 'messages')].sort((a, b) => a.start - b.start);
  if (all.length === 0) return { volumeByHour, volumeByWeekdayHour };
  const segments = offsetSegments(zoneClock(timeZone), all[0]!.start, all[all.length - 1]!.start + QUARTER_HOUR_MS);
  let segment = 0;
  for (const { start, n, field } of all) {
    while (segments[segment]!.end <= start) segment++;
    const { weekday, hour } = localWeekdayHour(start + segments[segment]!.offset);
    volumeByHour[hour]![field] += n;
    volumeByWeekdayHour[weekday * 24 + hour]![field] += n;
  }
  return { volumeByHour, volumeByWeekdayHour };
}
