// Weekly opening hours in a time zone. Pure: the clock is passed in.
//
// Written as `BUSINESS_HOURS="mon-fri 09:00-17:30; sat 10:00-14:00"` with
// `BUSINESS_TIMEZONE="Europe/Madrid"`. Empty means always open.

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

export interface OpeningInterval {
  /** 0 = Sunday … 6 = Saturday, in the schedule's time zone. */
  day: number;
  /** Minutes since local midnight, start inclusive, end exclusive. */
  startMinute: number;
  endMinute: number;
}

export interface BusinessHours {
  timeZone: string;
  /** Empty: open around the clock. */
  intervals: OpeningInterval[];
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

function parseClock(text: string): number | null {
  const match = /^(\d{1,2}):(\d{2})$/.exec(text);
  if (!match) return null;
  const hours = Number(match[1]);
  const minutes = Number(match[2]);
  if (minutes > 59 || hours > 24 || (hours === 24 && minutes !== 0)) return null;
  return hours * 60 + minutes;
}

function dayIndex(text: string): number {
  const index = DAYS.indexOf(text.toLowerCase().slice(0, 3) as (typeof DAYS)[number]);
  if (index < 0) throw new Error(`unknown day "${text}" (use mon, tue, wed, thu, fri, sat, sun)`);
  return index;
}

/** Throws an Error whose message says what is wrong with the text. */
export function parseBusinessHours(text: string, timeZone: string): BusinessHours {
  if (!isValidTimeZone(timeZone)) throw new Error(`unknown time zone "${timeZone}"`);
  const intervals: OpeningInterval[] = [];
  for (const part of text.split(/[;,]/).map((s) => s.trim()).filter(Boolean)) {
    const match = /^([a-z]+)(?:\s*-\s*([a-z]+))?\s+(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})$/i.exec(part);
    if (!match) throw new Error(`cannot read "${part}" (expected e.g. "mon-fri 09:00-17:00")`);
    const first = dayIndex(match[1]!);
    const last = match[2] ? dayIndex(match[2]) : first;
    const start = parseClock(match[3]!);
    const end = parseClock(match[4]!);
    if (start === null || end === null) throw new Error(`bad time in "${part}"`);
    if (end <= start) throw new Error(`closing time must be after opening time in "${part}"`);
    for (let day = first; ; day = (day + 1) % 7) {
      intervals.push({ day, startMinute: start, endMinute: end });
      if (day === last) break;
    }
  }
  return { timeZone, intervals };
}

/** Day of week and minute of day of `at` in `timeZone`. */
export function localTime(at: Date, timeZone: string): { day: number; minute: number; hour: number } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const hour = Number(get('hour')) % 24;
  return { day: dayIndex(get('weekday')), minute: hour * 60 + Number(get('minute')), hour };
}

export function isOpen(hours: BusinessHours, at: Date): boolean {
  if (hours.intervals.length === 0) return true;
  const { day, minute } = localTime(at, hours.timeZone);
  return hours.intervals.some((i) => i.day === day && minute >= i.startMinute && minute < i.endMinute);
}

/**
 * Seconds of [from, to) that fall inside opening hours, walking minute
 * boundaries where the schedule can change. Used by business-hours metrics.
 */
export function businessSecondsBetween(hours: BusinessHours, from: Date, to: Date): number {
  if (to <= from) return 0;
  if (hours.intervals.length === 0) return (to.getTime() - from.getTime()) / 1000;
  let total = 0;
  let cursor = from.getTime();
  const end = to.getTime();
  while (cursor < end) {
    // Step to the next whole minute (schedules are minute-granular, time zones offset by whole minutes).
    const next = Math.min(end, Math.floor(cursor / 60_000) * 60_000 + 60_000);
    if (isOpen(hours, new Date(cursor))) total += next - cursor;
    cursor = next;
  }
  return total / 1000;
}
