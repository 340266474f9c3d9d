/**
 * One job: a fixed-memory histogram of non-negative values (latencies in µs, sizes in bytes)
 * with ~3% relative error: 32 sub-buckets per power of two, like HdrHistogram with 1.5 digits.
 * Recording is O(1) and allocation-free, so it can sit on the append path.
 */
import type { Summary } from '@seglog/types';

const SUB_BITS = 5;
const SUB_COUNT = 1 << SUB_BITS;
const BUCKETS = 64 * SUB_COUNT;

const INTEGER_FAST_PATH_MAX = 2 ** 31;

/** Bucket of `value` (>= 0). Called for every append, so the common case avoids log2 and pow. */
export function bucketOf(value: number): number {
  if (value < SUB_COUNT) return Math.max(0, Math.floor(value));
  if (value < INTEGER_FAST_PATH_MAX) {
    // For 32 <= v < 2^31, floor(log2 v) is 31 - clz32(v), and shifting the integer part right
    // gives the same sub-bucket as dividing the value and flooring.
    const integer = value | 0;
    const exponent = 31 - Math.clz32(integer);
    return (exponent - SUB_BITS + 1) * SUB_COUNT + ((integer >>> (exponent - SUB_BITS)) - SUB_COUNT);
  }
  return bucketOfLarge(value);
}

/** The general formula; also the reference the fast path is tested against. */
export function bucketOfLarge(value: number): number {
  const exponent = Math.floor(Math.log2(value));
  const mantissa = Math.floor(value / 2 ** (exponent - SUB_BITS)) - SUB_COUNT;
  return Math.min(BUCKETS - 1, (exponent - SUB_BITS + 1) * SUB_COUNT + mantissa);
}

function valueOf(bucket: number): number {
  if (bucket < SUB_COUNT) return bucket;
  const exponent = Math.floor(bucket / SUB_COUNT) + SUB_BITS - 1;
  const mantissa = (bucket % SUB_COUNT) + SUB_COUNT;
  // The bucket's midpoint: the error is at most half a sub-bucket.
  return (mantissa + 0.5) * 2 ** (exponent - SUB_BITS);
}

export class Histogram {
  readonly #counts = new Float64Array(BUCKETS);
  #count = 0;
  #sum = 0;
  #min = Infinity;
  #max = 0;

  record(value: number): void {
    const v = value > 0 ? value : 0;
    this.#counts[bucketOf(v)]!++;
    this.#count++;
    this.#sum += v;
    if (v < this.#min) this.#min = v;
    if (v > this.#max) this.#max = v;
  }

  percentile(p: number): number {
    if (this.#count === 0) return 0;
    const rank = Math.max(1, Math.ceil((p / 100) * this.#count));
    let seen = 0;
    for (let bucket = 0; bucket < BUCKETS; bucket++) {
      seen += this.#counts[bucket]!;
      if (seen >= rank) return Math.min(this.#max, Math.max(this.#min, valueOf(bucket)));
    }
    return this.#max;
  }

  get count(): number {
    return this.#count;
  }

  clear(): void {
    this.#counts.fill(0);
    this.#count = 0;
    this.#sum = 0;
    this.#min = Infinity;
    this.#max = 0;
  }

  /** Adds every value recorded in `other` to this histogram. */
  add(other: Histogram): void {
    if (other.#count === 0) return;
    for (let bucket = 0; bucket < BUCKETS; bucket++) this.#counts[bucket]! += other.#counts[bucket]!;
    this.#count += other.#count;
    this.#sum += other.#sum;
    if (other.#min < this.#min) this.#min = other.#min;
    if (other.#max > this.#max) this.#max = other.#max;
  }

  summary(): Summary {
    if (this.#count === 0) return { count: 0, min: 0, mean: 0, p50: 0, p99: 0, p999: 0, max: 0 };
    return {
      count: this.#count,
      min: this.#min,
      mean: this.#sum / this.#count,
      p50: this.percentile(50),
      p99: this.percentile(99),
      p999: this.percentile(99.9),
      max: this.#max,
    };
  }
}
