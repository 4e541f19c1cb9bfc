import { evalExpr } from 'mingo/core';
import type { Options } from 'mingo/types';
import { zoneClock, type ZoneClock } from '../../domain/zoneClock.js';
import { isPlainObject } from './values.js';

export type ExpressionOperator = (obj: unknown, expr: unknown, options: Options) => unknown;

/**
 * How each date operator taking a `timezone` is given the zone:
 * - `part` reads one field of the date: the date moved to the wall clock
 *   needs no zone at all;
 * - `format` prints the offset too: it gets the fixed offset at that instant;
 * - `wall` ($dateTrunc) computes on the wall clock, and its result (a wall
 *   time) goes back to an instant; mingo's own truncates the UTC date;
 * - `add` ($dateAdd / $dateSubtract) does that for days and longer units, so
 *   a day is 23 or 25 hours across a daylight-saving change, as in MongoDB;
 * - `both` ($dateDiff) moves each end by its own offset;
 * - `parts` ($dateFromParts) builds the wall time, then finds its instant.
 */
const ZONED_OPERATORS: Record<string, 'part' | 'format' | 'wall' | 'add' | 'both' | 'parts'> = {
  $year: 'part',
  $month: 'part',
  $dayOfMonth: 'part',
  $dayOfYear: 'part',
  $dayOfWeek: 'part',
  $hour: 'part',
  $minute: 'part',
  $second: 'part',
  $millisecond: 'part',
  $week: 'part',
  $isoWeek: 'part',
  $isoWeekYear: 'part',
  $isoDayOfWeek: 'part',
  $dateToParts: 'format',
  $dateToString: 'format',
  $dateTrunc: 'wall',
  $dateAdd: 'add',
  $dateSubtract: 'add',
  $dateDiff: 'both',
  $dateFromParts: 'parts',
};

const FIXED_OFFSET = /^[+-]\d{2}(:?\d{2})?$/;
const EXACT_UNITS = new Set(['hour', 'minute', 'second', 'millisecond']);

/**
 * mingo resolves a named time zone (`Europe/Madrid`) with two
 * Date#toLocaleString calls per document: about a millisecond each, minutes
 * for a metrics pipeline over a million messages; it also rejects names like
 * `UTC` or `America/Argentina/Buenos_Aires`. These wrappers resolve the zone
 * with a cached Intl.DateTimeFormat and hand mingo wall-clock dates or fixed
 * offsets ("+02:00"), which it handles exactly.
 */
export function withFastTimeZones(operators: Record<string, ExpressionOperator>): Record<string, ExpressionOperator> {
  const offsets = new TimeZoneOffsets();
  const wrapped = { ...operators };
  for (const [name, kind] of Object.entries(ZONED_OPERATORS)) {
    const original = operators[name];
    if (!original) continue;
    wrapped[name] = (obj, expr, options) => {
      if (!isPlainObject(expr) || expr.timezone === undefined) return original(obj, expr, options);
      const args = evalExpr(obj, expr, options) as Record<string, unknown>;
      const zone = args.timezone;
      if (typeof zone !== 'string' || FIXED_OFFSET.test(zone)) return original(obj, literals(args), options);
      const { timezone: _named, ...rest } = args;
      const onWallClock = (field: string) => {
        const date = args[field];
        if (!(date instanceof Date)) return original(obj, literals(args), options);
        const wall = original(obj, literals({ ...rest, [field]: offsets.shift(zone, date) }), options);
        return wall instanceof Date ? offsets.unshift(zone, wall) : wall;
      };
      switch (kind) {
        case 'part': {
          const date = args.date;
          if (!(date instanceof Date)) return original(obj, literals(args), options);
          return original(obj, { $literal: offsets.shift(zone, date) }, options);
        }
        case 'format': {
          const date = args.date;
          const offset = offsets.minutes(zone, date instanceof Date ? date : new Date());
          return original(obj, literals({ ...args, timezone: formatOffset(offset) }), options);
        }
        case 'wall':
          return onWallClock('date');
        case 'add':
          return EXACT_UNITS.has(String(args.unit)) ? original(obj, literals(rest), options) : onWallClock('startDate');
        case 'both': {
          const { startDate, endDate } = args;
          if (!(startDate instanceof Date) || !(endDate instanceof Date)) return original(obj, literals(args), options);
          return original(obj, literals({ ...rest, startDate: offsets.shift(zone, startDate), endDate: offsets.shift(zone, endDate) }), options);
        }
        case 'parts': {
          const wall = original(obj, literals({ ...rest, timezone: '+00:00' }), options);
          return wall instanceof Date ? offsets.unshift(zone, wall) : wall;
        }
      }
    };
  }
  return wrapped;
}

/** Evaluated arguments passed back to an operator as constants, so no value is read as a field path again. */
function literals(args: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(args).map(([key, value]) => [key, { $literal: value }]));
}

function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

const QUARTER_HOUR_MS = 15 * 60_000;

/**
 * UTC offsets of IANA zones, memoised per quarter hour: zones change offset
 * only at quarter-hour instants (every offset in use is a multiple of 15
 * minutes), so one answer holds for the whole quarter.
 */
class TimeZoneOffsets {
  private readonly clocks = new Map<string, ZoneClock>();
  private readonly memo = new Map<string, Map<number, number>>();

  minutes(zone: string, at: Date): number {
    const quarter = Math.floor(at.getTime() / QUARTER_HOUR_MS);
    let byQuarter = this.memo.get(zone);
    if (!byQuarter) {
      byQuarter = new Map();
      this.memo.set(zone, byQuarter);
    }
    let minutes = byQuarter.get(quarter);
    if (minutes === undefined) {
      minutes = this.compute(zone, new Date(quarter * QUARTER_HOUR_MS));
      if (byQuarter.size >= 500_000) byQuarter.clear();
      byQuarter.set(quarter, minutes);
    }
    return minutes;
  }

  /** The instant moved by the zone's offset, so its UTC fields read as the local wall clock. */
  shift(zone: string, at: Date): Date {
    return new Date(at.getTime() + this.minutes(zone, at) * 60_000);
  }

  /** Back from a wall-clock time to its instant (the offset of a guess first, as it may differ). */
  unshift(zone: string, wall: Date): Date {
    const guess = new Date(wall.getTime() - this.minutes(zone, wall) * 60_000);
    return new Date(wall.getTime() - this.minutes(zone, guess) * 60_000);
  }

  private compute(zone: string, at: Date): number {
    let clock = this.clocks.get(zone);
    if (!clock) {
      // Throws RangeError for an unknown zone, as MongoDB refuses one.
      clock = zoneClock(zone);
      this.clocks.set(zone, clock);
    }
    return Math.round(clock.offsetAt(at.getTime()) / 60_000);
  }

}
