/**
 * One job: check and complete the options of registerLogMetrics. Misuse throws TypeError (the
 * house rule for caller mistakes); nothing here touches prom-client or the log.
 */
import { exponentialBuckets, register as globalRegistry } from 'prom-client';
import type { OpenMetricsContentType, PrometheusContentType, Registry } from 'prom-client';

/** A registry of either exposition format; prom-client types the two apart. */
export type AnyRegistry = Registry<PrometheusContentType> | Registry<OpenMetricsContentType>;

export interface BucketOptions {
  /** Upper bounds in seconds for the fdatasync and writev duration histograms. */
  readonly latencySeconds?: readonly number[];
  /** Upper bounds for the records-per-batch histogram. */
  readonly batchRecords?: readonly number[];
  /** Upper bounds for the framed-bytes-per-batch histogram. */
  readonly batchBytes?: readonly number[];
}

export interface RegisterOptions {
  /** Where the metrics go; prom-client's global registry when absent. */
  readonly registry?: AnyRegistry;
  /** Prepended to every metric name. */
  readonly prefix?: string;
  /** Constant labels on every series of this log, e.g. `{ log: 'orders' }`. */
  readonly labels?: Readonly<Record<string, string>>;
  readonly buckets?: BucketOptions;
}

export interface ResolvedBuckets {
  readonly latencySeconds: readonly number[];
  readonly batchRecords: readonly number[];
  readonly batchBytes: readonly number[];
}

export interface ResolvedOptions {
  readonly registry: AnyRegistry;
  readonly prefix: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The keys of `labels`, sorted, so two registrations compare by value. */
  readonly labelNames: readonly string[];
  readonly buckets: ResolvedBuckets;
}

/**
 * Defaults, chosen from what the store actually sees:
 * - latency: 10 µs doubling to 1.31 s (18 buckets). etcd starts its fsync histogram at 1 ms and
 *   Prometheus-minded stores at 100 µs, but a writev into the page cache and an fdatasync on NVMe
 *   with power-loss protection both finish in tens of µs, and would all land in the first bucket.
 * - records: 1 doubling to 16384; low counts matter most (is batching happening at all?).
 * - bytes: 512 doubling to 4 MiB, the smallest block up to the default maxBatchBytes.
 */
export const defaultBuckets: ResolvedBuckets = {
  latencySeconds: exponentialBuckets(0.00001, 2, 18),
  batchRecords: exponentialBuckets(1, 2, 15),
  batchBytes: exponentialBuckets(512, 2, 14),
};

/** Label names the package uses itself, or that Prometheus reserves. */
const RESERVED_LABELS = new Set(['reason', 'le', 'quantile']);
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const METRIC_PREFIX = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

export function resolveOptions(options: RegisterOptions = {}): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  const prefix = options.prefix ?? 'seglog_';
  if (typeof prefix !== 'string' || (prefix !== '' && !METRIC_PREFIX.test(prefix))) {
    throw new TypeError(`prefix must be a valid start of a Prometheus metric name, got ${String(prefix)}`);
  }
  const labels = resolveLabels(options.labels ?? {});
  return {
    registry: options.registry ?? globalRegistry,
    prefix,
    labels,
    labelNames: Object.keys(labels).sort(),
    buckets: {
      latencySeconds: resolveBuckets('latencySeconds', options.buckets?.latencySeconds),
      batchRecords: resolveBuckets('batchRecords', options.buckets?.batchRecords),
      batchBytes: resolveBuckets('batchBytes', options.buckets?.batchBytes),
    },
  };
}

function resolveLabels(labels: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
  if (typeof labels !== 'object' || labels === null) throw new TypeError('labels must be an object');
  const copy: Record<string, string> = {};
  for (const [name, value] of Object.entries(labels)) {
    if (!LABEL_NAME.test(name) || name.startsWith('__')) throw new TypeError(`label name ${name} is not a valid Prometheus label name`);
    if (RESERVED_LABELS.has(name)) throw new TypeError(`label name ${name} is used by @seglog/prometheus or Prometheus itself`);
    if (typeof value !== 'string') throw new TypeError(`label ${name} must have a string value`);
    copy[name] = value;
  }
  return Object.freeze(copy);
}

function resolveBuckets(name: keyof ResolvedBuckets, given: readonly number[] | undefined): readonly number[] {
  if (given === undefined) return defaultBuckets[name];
  if (!Array.isArray(given) || given.length === 0) throw new TypeError(`buckets.${name} must be a non-empty array`);
  // Copied bound by bound as checked: the caller's array may hold anything at run time.
  const bounds: number[] = [];
  for (const bound of given as readonly unknown[]) {
    if (typeof bound !== 'number' || !Number.isFinite(bound)) {
      throw new TypeError(`buckets.${name} must hold finite numbers`);
    }
    if (bounds.length > 0 && bound <= bounds[bounds.length - 1]!) {
      throw new TypeError(`buckets.${name} must be strictly increasing`);
    }
    bounds.push(bound);
  }
  return Object.freeze(bounds);
}

/** Two registrations may share metric objects only if they would build identical ones. */
export function sameShape(a: ResolvedOptions, b: ResolvedOptions): boolean {
  return (
    sameItems(a.labelNames, b.labelNames) &&
    sameItems(a.buckets.latencySeconds, b.buckets.latencySeconds) &&
    sameItems(a.buckets.batchRecords, b.buckets.batchRecords) &&
    sameItems(a.buckets.batchBytes, b.buckets.batchBytes)
  );
}

function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}
