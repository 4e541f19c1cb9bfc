import { describe, expect, it } from 'vitest';
import { businessSecondsBetween, parseBusinessHours } from '../src/domain/businessHours.js';
import { businessClock } from '../src/metrics/businessTime.js';
import { offsetSegments, zoneClock } from '../src/domain/zoneClock.js';
import { mulberry32 } from './support/random.js';

// The fast business clock must agree with the domain's minute walk to the
// second, in zones with DST, half-hour offsets and overlapping intervals.

const utc = (iso: string) => new Date(iso).getTime();

/** Deterministic, so failures reproduce. */
const random = mulberry32;

describe('zoneClock', () => {
  it('reads offsets, weekdays and hours in a half-hour zone', () => {
    const kolkata = zoneClock('Asia/Kolkata');
    expect(kolkata.offsetAt(utc('2025-03-03T00:00:00Z'))).toBe(5.5 * 3_600_000);
    // 18:29Z Monday is 23:59 Monday in Kolkata; 18:30Z is 00:00 Tuesday.
    expect(kolkata.weekdayHour(utc('2025-03-03T18:29:00Z'))).toEqual({ weekday: 1, hour: 23 });
    expect(kolkata.weekdayHour(utc('2025-03-03T18:30:00Z'))).toEqual({ weekday: 2, hour: 0 });
  });

  it('splits a span at DST changes, to the minute', () => {
    const newYork = zoneClock('America/New_York');
    // US DST 2025: starts 2025-03-09 07:00Z (02:00 EST), ends 2025-11-02 06:00Z (02:00 EDT).
    const segments = offsetSegments(newYork, utc('2025-03-01T00:00:00Z'), utc('2025-12-01T00:00:00Z'));
    expect(segments).toEqual([
      { start: utc('2025-03-01T00:00:00Z'), end: utc('2025-03-09T07:00:00Z'), offset: -5 * 3_600_000 },
      { start: utc('2025-03-09T07:00:00Z'), end: utc('2025-11-02T06:00:00Z'), offset: -4 * 3_600_000 },
      { start: utc('2025-11-02T06:00:00Z'), end: utc('2025-12-01T00:00:00Z'), offset: -5 * 3_600_000 },
    ]);
  });
});

describe('businessClock', () => {
  // Each case: a schedule, a span, and instants worth straddling (DST changes, openings, closings).
  const cases = [
    {
      name: 'New York across the spring DST change',
      text: 'mon-fri 09:00-17:30; sat 10:00-14:00; sun 01:30-03:30',
      zone: 'America/New_York',
      span: ['2025-03-06T00:00:00Z', '2025-03-12T00:00:00Z'],
      // Sun 2025-03-09 07:00Z: 02:00 EST becomes 03:00 EDT, inside Sunday's 01:30-03:30; Mon 09:00 EDT; Sat 14:00 EST.
      focus: ['2025-03-09T07:00:00Z', '2025-03-10T13:00:00Z', '2025-03-08T19:00:00Z', '2025-03-07T22:30:00Z'],
    },
    {
      name: 'New York across the autumn DST change',
      text: 'mon-sun 00:30-02:30; mon-fri 08:00-12:00; mon-fri 11:00-18:00',
      zone: 'America/New_York',
      span: ['2025-10-30T00:00:00Z', '2025-11-05T00:00:00Z'],
      // Sun 2025-11-02 06:00Z: 02:00 EDT becomes 01:00 EST, so 01:00-02:00 happens twice; overlapping weekday intervals.
      focus: ['2025-11-02T06:00:00Z', '2025-11-02T05:30:00Z', '2025-11-03T13:00:00Z', '2025-11-03T23:00:00Z'],
    },
    {
      name: 'Kolkata (half-hour offset)',
      text: 'mon-fri 09:00-17:00; sat 09:15-13:45',
      zone: 'Asia/Kolkata',
      span: ['2025-03-01T00:00:00Z', '2025-03-07T00:00:00Z'],
      // Mon 09:00 IST = 03:30Z, Mon 17:00 IST = 11:30Z, Sat 13:45 IST = 08:15Z.
      focus: ['2025-03-03T03:30:00Z', '2025-03-03T11:30:00Z', '2025-03-01T08:15:00Z', '2025-03-01T03:45:00Z'],
    },
    {
      name: 'a schedule open until midnight, across the EU DST change',
      text: 'mon-sun 18:00-24:00',
      zone: 'Europe/Madrid',
      span: ['2025-03-28T00:00:00Z', '2025-04-01T00:00:00Z'],
      focus: ['2025-03-30T01:00:00Z', '2025-03-29T23:00:00Z', '2025-03-30T16:00:00Z'],
    },
  ];

  for (const testCase of cases) {
    it(`matches the minute walk: ${testCase.name}`, () => {
      const hours = parseBusinessHours(testCase.text, testCase.zone);
      const spanStart = utc(testCase.span[0]!);
      const spanEnd = utc(testCase.span[1]!);
      const clock = businessClock(hours, spanStart, spanEnd);
      const next = random(testCase.text.length);
      const pairs: Array<[number, number]> = [];
      // Straddle each focus instant by up to 3 hours either side (seconds and milliseconds included)...
      for (const focus of testCase.focus) {
        for (let i = 0; i < 3; i++) pairs.push([utc(focus) - Math.floor(next() * 3 * 3_600_000), utc(focus) + Math.floor(next() * 3 * 3_600_000)]);
      }
      // ...and a few anywhere in the span.
      for (let i = 0; i < 4; i++) {
        const a = spanStart + Math.floor(next() * (spanEnd - spanStart - 6 * 3_600_000));
        pairs.push([a, a + Math.floor(next() * 6 * 3_600_000)]);
      }
      for (const [a, b] of pairs) {
        expect(clock.secondsBetween(a, b), `[${new Date(a).toISOString()}, ${new Date(b).toISOString()})`).toBeCloseTo(
          businessSecondsBetween(hours, new Date(a), new Date(b)),
          6,
        );
      }
    });
  }

  it('answers outside its span exactly, through the slow walk', () => {
    const hours = parseBusinessHours('mon-fri 09:00-17:00', 'Asia/Kolkata');
    const clock = businessClock(hours, utc('2025-03-03T00:00:00Z'), utc('2025-03-04T00:00:00Z'));
    // Fri 2025-02-28 11:00Z = 16:30 IST → 17:00 IST is 30 minutes of business time; the rest is the weekend.
    expect(clock.secondsBetween(utc('2025-02-28T11:00:00Z'), utc('2025-03-02T12:00:00Z'))).toBe(1800);
  });

  it('is open around the clock without a schedule, and 0 for empty or reversed spans', () => {
    const always = businessClock(parseBusinessHours('', 'UTC'), 0, 1);
    expect(always.secondsBetween(utc('2025-03-01T00:00:00Z'), utc('2025-03-02T00:00:00Z'))).toBe(86_400);
    const hours = parseBusinessHours('mon-fri 09:00-17:00', 'UTC');
    const clock = businessClock(hours, utc('2025-03-03T00:00:00Z'), utc('2025-03-04T00:00:00Z'));
    expect(clock.secondsBetween(utc('2025-03-03T10:00:00Z'), utc('2025-03-03T10:00:00Z'))).toBe(0);
    expect(clock.secondsBetween(utc('2025-03-03T12:00:00Z'), utc('2025-03-03T10:00:00Z'))).toBe(0);
  });

  it('is fast: 30,000 durations over a month in well under a second', () => {
    const hours = parseBusinessHours('mon-fri 09:00-17:30; sat 10:00-14:00', 'America/New_York');
    const start = utc('2025-03-01T00:00:00Z');
    const end = utc('2025-04-01T00:00:00Z');
    const begun = performance.now();
    const clock = businessClock(hours, start, end);
    const next = random(1);
    let total = 0;
    for (let i = 0; i < 30_000; i++) {
      const a = start + Math.floor(next() * (end - start - 86_400_000));
      total += clock.secondsBetween(a, a + Math.floor(next() * 86_400_000));
    }
    const elapsed = performance.now() - begun;
    expect(total).toBeGreaterThan(0);
    expect(elapsed).toBeLessThan(1000);
  });
});
