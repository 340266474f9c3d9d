/**
 * One job: record per-append latencies in an HDR histogram and report percentiles.
 *
 * hdr-histogram-js keeps a fixed-size bucket array (3 significant digits), so recording costs no
 * allocation however long a cell runs, and p999/max stay exact to 0.1%. Values are whole
 * microseconds: everything measured here waits on a disk flush or a socket round trip, so sub-µs
 * resolution would be noise. The compressed histogram goes into the results JSON, so percentiles
 * that the table does not show can still be read back later (decodeFromCompressedBase64).
 */
import { build, encodeIntoCompressedBase64, type Histogram } from 'hdr-histogram-js';

export interface LatencySummary {
  readonly count: number;
  readonly mean: number;
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
}

/** One hour in µs: no append waits that long, and the histogram stays small. */
const highestTrackableMicros = 3_600_000_000;

export const emptySummary: LatencySummary = { count: 0, mean: 0, p50: 0, p99: 0, p999: 0, max: 0 };

export class LatencyRecorder {
  readonly #histogram: Histogram = build({
    bitBucketSize: 32,
    autoResize: false,
    lowestDiscernibleValue: 1,
    highestTrackableValue: highestTrackableMicros,
    numberOfSignificantValueDigits: 3,
    useWebAssembly: false,
  });

  get count(): number {
    return this.#histogram.totalCount;
  }

  /** Records one latency in microseconds (rounded; at least 1, at most an hour). */
  record(valueMicros: number): void {
    const clamped = Math.min(highestTrackableMicros, Math.max(1, Math.round(valueMicros)));
    this.#histogram.recordValue(clamped);
  }

  /** An empty recorder reports zeros. */
  summary(): LatencySummary {
    const h = this.#histogram;
    if (h.totalCount === 0) return emptySummary;
    // A percentile reads back as the top of its bucket, which can sit a hair above the true max.
    const at = (percentile: number): number => Math.min(h.getValueAtPercentile(percentile), h.maxValue);
    return { count: h.totalCount, mean: h.mean, p50: at(50), p99: at(99), p999: at(99.9), max: h.maxValue };
  }

  /** The whole histogram, zlib-compressed and base64-encoded (the HdrHistogram interchange form). */
  encoded(): string {
    return encodeIntoCompressedBase64(this.#histogram);
  }
}

/** Nanoseconds between two `process.hrtime.bigint()` readings, as microseconds. */
export function elapsedMicros(startNanos: bigint, endNanos: bigint): number {
  return Number(endNanos - startNanos) / 1000;
}
