/**
 * One job: record per-append latencies and report exact percentiles.
 *
 * Samples go into a Float64Array that doubles when full, so recording costs no allocation in the
 * steady state and a 3 s cell (a few hundred thousand appends at most) stays a few MB. Percentiles
 * are read from the sorted samples, which is exact and cheap at these sizes.
 */

const initialCapacitySamples = 4096;

export interface LatencySummary {
  readonly count: number;
  readonly mean: number;
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
}

export class LatencyRecorder {
  #samples = new Float64Array(initialCapacitySamples);
  #count = 0;

  get count(): number {
    return this.#count;
  }

  record(value: number): void {
    if (this.#count === this.#samples.length) this.#grow();
    this.#samples[this.#count] = value;
    this.#count += 1;
  }

  /** Percentiles by the nearest-rank method; an empty recorder reports zeros. */
  summary(): LatencySummary {
    const count = this.#count;
    if (count === 0) return { count: 0, mean: 0, p50: 0, p99: 0, p999: 0, max: 0 };
    // Sort a copy so the recorder can keep recording after a summary.
    const sorted = this.#samples.slice(0, count).sort();
    let total = 0;
    for (let i = 0; i < count; i += 1) total += sorted[i] ?? 0;
    return {
      count,
      mean: total / count,
      p50: nearestRank(sorted, 0.5),
      p99: nearestRank(sorted, 0.99),
      p999: nearestRank(sorted, 0.999),
      max: sorted[count - 1] ?? 0,
    };
  }

  #grow(): void {
    const bigger = new Float64Array(this.#samples.length * 2);
    bigger.set(this.#samples);
    this.#samples = bigger;
  }
}

/** The smallest sample such that at least `quantile` of all samples are <= it. */
export function nearestRank(sorted: Float64Array, quantile: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil(quantile * sorted.length);
  const index = Math.min(sorted.length - 1, Math.max(0, rank - 1));
  return sorted[index] ?? 0;
}

/** Nanoseconds between two `process.hrtime.bigint()` readings, as microseconds. */
export function elapsedMicros(startNanos: bigint, endNanos: bigint): number {
  return Number(endNanos - startNanos) / 1000;
}
