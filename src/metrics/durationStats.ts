export interface DurationStats {
  count: number;
  /** Arithmetic mean, seconds. */
  average: number;
  /** Nearest-rank 50th percentile, seconds. */
  median: number;
  /** Nearest-rank 90th percentile, seconds. */
  p90: number;
}

export const EMPTY_DURATION_STATS: DurationStats = Object.freeze({ count: 0, average: 0, median: 0, p90: 0 });

/**
 * Nearest-rank percentile: the value at 1-based rank ⌈p/100 · n⌉ of the
 * sorted values. Always a duration that really happened; for an even count
 * the median is the lower of the two middle values.
 */
export function nearestRank(sorted: ArrayLike<number>, percent: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.max(1, Math.ceil((percent / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

/** Count, mean, median and p90 of durations in seconds; all zeros when there are none. */
export function durationStats(seconds: readonly number[]): DurationStats {
  if (seconds.length === 0) return { ...EMPTY_DURATION_STATS };
  const sorted = Float64Array.from(seconds).sort(); // typed arrays sort numerically
  let sum = 0;
  for (const value of sorted) sum += value;
  return { count: sorted.length, average: sum / sorted.length, median: nearestRank(sorted, 50), p90: nearestRank(sorted, 90) };
}
