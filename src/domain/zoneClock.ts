// Wall-clock arithmetic in an IANA time zone without one Intl call per
// instant: offsets are read through one cached formatter, and callers that
// walk a span look up the offset only where it can change.

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

export interface ZoneClock {
  readonly timeZone: string;
  /** Local wall time minus UTC at `ms`, in milliseconds (Asia/Kolkata: +19,800,000). */
  offsetAt(ms: number): number;
  /** Day of week (0 = Sunday) and hour (0–23) at `ms`, local to the zone. */
  weekdayHour(ms: number): { weekday: number; hour: number };
}

/** A stretch of time with one constant offset: [start, end). */
export interface OffsetSegment {
  start: number;
  end: number;
  offset: number;
}

export function zoneClock(timeZone: string): ZoneClock {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
    hourCycle: 'h23',
  });
  const offsetAt = (ms: number): number => {
    const whole = Math.floor(ms / 1000) * 1000;
    const parts: Record<string, number> = {};
    for (const part of format.formatToParts(whole)) if (part.type !== 'literal') parts[part.type] = Number(part.value);
    const asUtc = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour! % 24, parts.minute!, parts.second!);
    return asUtc - whole;
  };
  return {
    timeZone,
    offsetAt,
    weekdayHour: (ms) => localWeekdayHour(ms + offsetAt(ms)),
  };
}

/** Day of week (0 = Sunday) and hour of a local wall time given as milliseconds since the local epoch. */
export function localWeekdayHour(local: number): { weekday: number; hour: number } {
  const day = Math.floor(local / DAY_MS);
  // 1970-01-01 was a Thursday (4).
  return { weekday: (((day + 4) % 7) + 7) % 7, hour: Math.floor((local - day * DAY_MS) / HOUR_MS) };
}

/**
 * Splits [start, end) where the zone's offset changes. Samples every 12 hours
 * (no zone changes its offset twice within 12 hours) and pins each change to
 * the minute by bisection: tz transitions fall on whole minutes.
 */
export function offsetSegments(clock: ZoneClock, start: number, end: number): OffsetSegment[] {
  if (end <= start) return [];
  const STEP = 12 * HOUR_MS;
  const segments: OffsetSegment[] = [];
  let segmentStart = start;
  let offset = clock.offsetAt(start);
  for (let probe = start; probe < end; ) {
    const next = Math.min(end, probe + STEP);
    const nextOffset = clock.offsetAt(next);
    if (nextOffset !== offset) {
      // First whole minute in (probe, next] with the new offset.
      let lo = Math.floor(probe / MINUTE_MS);
      let hi = Math.ceil(next / MINUTE_MS);
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (clock.offsetAt(mid * MINUTE_MS) === offset) lo = mid;
        else hi = mid;
      }
      const change = Math.min(Math.max(hi * MINUTE_MS, segmentStart), end);
      if (change > segmentStart) segments.push({ start: segmentStart, end: change, offset });
      segmentStart = change;
      offset = clock.offsetAt(change);
    }
    probe = next;
  }
  if (end > segmentStart) segments.push({ start: segmentStart, end, offset });
  return segments;
}
