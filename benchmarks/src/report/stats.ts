/**
 * One job: the arithmetic behind every figure the benchmarks print: medians over repetitions,
 * their spread, exact percentiles of a sample, and ratios that may lack a side.
 *
 * Medians, not means: one repetition that met a slow spell of the shared disk should not move the
 * figure. The spread is printed next to it so a reader can see when a difference is noise.
 */

/** The median; for an even count, the mean of the middle two. Empty input is a caller's error. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly samples: number;
}

/** The median and range of repetitions; null when there are none. */
export function spreadOf(values: readonly number[]): Spread | null {
  if (values.length === 0) return null;
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), samples: values.length };
}

/** (max - min) / median, as a percentage; 0 for a single sample or a zero median. */
export function spreadPercent(spread: Spread): number {
  return spread.median === 0 ? 0 : ((spread.max - spread.min) / spread.median) * 100;
}

/**
 * The nearest-rank percentile of an ascending sample: the smallest value with at least `p`% of
 * the sample at or below it. 0 for an empty sample.
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile ${p} is outside 0-100`);
  if (sorted.length === 0) return 0;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1]!;
}

/** numerator / denominator, or null when either is missing or the denominator is 0. */
export function ratio(numerator: number | null | undefined, denominator: number | null | undefined): number | null {
  if (numerator === null || numerator === undefined || denominator === null || denominator === undefined) return null;
  return denominator === 0 ? null : numerator / denominator;
}

/** Items rotated left by `by`: round r of a comparison runs its variants in this order, so drift
 *  of a shared disk falls on every variant alike. */
export function rotate<T>(items: readonly T[], by: number): T[] {
  const shift = items.length === 0 ? 0 : by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}
