/**
 * One job: the list of metrics, each with its Prometheus name (without prefix), help text and
 * where its value comes from. Names follow Prometheus conventions: base units (seconds, bytes),
 * `_total` on counters, unit suffixes last. docs/observability.md ("Prometheus") lists them too;
 * keep the two in step.
 */
import type { BatchEvent, LogMetrics, SealReasons } from '@seglog/types';
import type { ResolvedBuckets } from './options.js';

/** What registerLogMetrics needs from a log; `Log` from @seglog/store satisfies it. */
export interface MetricsLog {
  metrics(): LogMetrics;
  readonly dir: string;
  readonly nextOffset?: number;
  readonly durableOffset?: number;
}

export interface CounterSpec {
  readonly name: string;
  readonly help: string;
  /** A total since open; the store keeps it monotonic. */
  readonly read: (metrics: LogMetrics) => number;
}

export interface GaugeSpec {
  readonly name: string;
  readonly help: string;
  /** `undefined` when this log does not report the value: the series is left out. */
  readonly read: (metrics: LogMetrics, log: MetricsLog) => number | undefined;
}

export interface HistogramSpec {
  readonly name: string;
  readonly help: string;
  readonly buckets: keyof ResolvedBuckets;
  readonly observe: (event: BatchEvent) => number;
}

const MICROS_PER_SECOND = 1_000_000;

function seconds(micros: number): number {
  return micros / MICROS_PER_SECOND;
}

export const counterSpecs: readonly CounterSpec[] = [
  { name: 'appends_total', help: 'Records acknowledged (durable) since the log was opened.', read: (m) => m.appends },
  { name: 'batches_total', help: 'Batches made durable since the log was opened.', read: (m) => m.batches },
  { name: 'writes_total', help: 'writev calls issued for batches and segment headers.', read: (m) => m.writes },
  { name: 'flushes_total', help: 'Flushes of segment files: fdatasync calls, or O_DSYNC batch writes (syncMethod open_datasync).', read: (m) => m.flushes },
  { name: 'dir_syncs_total', help: 'fsync calls issued on the log directory (segment creation).', read: (m) => m.dirSyncs },
  { name: 'appended_bytes_total', help: 'Payload bytes acknowledged.', read: (m) => m.bytesAppended },
  { name: 'written_bytes_total', help: 'Bytes written to segment files for batches, framing and padding included.', read: (m) => m.bytesWritten },
  { name: 'padding_bytes_total', help: 'Of the bytes written, zero padding that aligns each batch to a block.', read: (m) => m.paddingBytes },
  { name: 'segments_created_total', help: 'Segment files created since the log was opened.', read: (m) => m.segmentsCreated },
  { name: 'segments_preallocated_total', help: 'Segment files zero-filled before use since the log was opened.', read: (m) => m.segmentsPreallocated },
  { name: 'overloaded_appends_total', help: 'Appends refused with SEGLOG_OVERLOADED because maxQueuedBytes of appends were already waiting for room.', read: (m) => m.overloadRejections },
  { name: 'backpressure_waits_total', help: 'Appends that had to wait because maxInFlightBytes was reached.', read: (m) => m.backpressureWaits },
  { name: 'batch_errors_total', help: 'Batches whose write or fdatasync failed; each one poisons the log until it is reopened.', read: (m) => m.errors },
  { name: 'pool_hits_total', help: 'Batch buffers handed out from the pool free list.', read: (m) => m.pool.hits },
  { name: 'pool_misses_total', help: 'Batch buffers the pool had to allocate while growing toward its cap.', read: (m) => m.pool.misses },
  { name: 'pool_waits_total', help: 'Requests for a batch buffer refused because the pool was at its cap; the appends behind them waited for a batch to complete.', read: (m) => m.pool.waits },
  { name: 'retention_passes_total', help: 'Background retention passes run since the log was opened.', read: (m) => m.retention.passes },
  { name: 'retention_segments_dropped_total', help: 'Whole segments unlinked below the low-water mark (retention and truncateBefore).', read: (m) => m.retention.segmentsDropped },
  { name: 'retention_dropped_bytes_total', help: 'Bytes of segment and index files unlinked below the low-water mark.', read: (m) => m.retention.bytesDropped },
  { name: 'retention_dropped_records_total', help: 'Records made unreadable by raising the low-water mark.', read: (m) => m.retention.recordsDropped },
  { name: 'retention_held_back_total', help: 'Retention passes and truncateBefore calls that a retention hold kept from dropping all they would have.', read: (m) => m.retention.heldBack },
  { name: 'retention_errors_total', help: 'Background retention passes that failed.', read: (m) => m.retention.errors },
  { name: 'truncated_records_total', help: 'Records dropped from the tail by truncateAfter.', read: (m) => m.retention.recordsTruncated },
];

/** One counter family, one series per reason. */
export const sealReasonsSpec = {
  name: 'batches_sealed_total',
  help: 'Batches sealed, by reason: full (byte or record cap), window (the commit window ran out), idle (disk idle, no window).',
  reasons: ['full', 'window', 'idle'] as const satisfies readonly (keyof SealReasons)[],
};

export const gaugeSpecs: readonly GaugeSpec[] = [
  { name: 'log_bytes', help: 'Bytes of segment and index files in the log, as of the last retention pass or truncation (and of open with retention on).', read: (m) => m.retention.logBytes },
  { name: 'log_segments', help: 'Segment files in the log, as of the last retention pass or truncation (and of open with retention on).', read: (m) => m.retention.logSegments },
  { name: 'first_offset', help: 'The low-water mark: the oldest readable offset.', read: (m) => m.retention.firstOffset },
  { name: 'queue_depth', help: 'Appends accepted but not yet acknowledged, plus those waiting for room.', read: (m) => m.queueDepth },
  { name: 'in_flight_bytes', help: 'Payload bytes accepted but not yet durable.', read: (m) => m.inFlightBytes },
  { name: 'commit_window_seconds', help: 'The commit window currently applied.', read: (m) => seconds(m.commitWindow.micros) },
  { name: 'commit_window_cap_seconds', help: 'Upper bound the adaptive commit window may use now.', read: (m) => seconds(m.commitWindow.capMicros) },
  { name: 'flush_estimate_seconds', help: 'Flush estimate of the commit-window controller: the smoothed median of recent batch flush durations.', read: (m) => seconds(m.commitWindow.flushEstimateMicros) },
  {
    name: 'independent_arrivals_per_second',
    help: 'Smoothed rate of appends arriving independently of the acknowledgement that resumed their caller.',
    read: (m) => m.commitWindow.independentArrivalsPerSecond,
  },
  { name: 'pool_buffers_allocated', help: 'Batch buffers the pool has allocated.', read: (m) => m.pool.buffersAllocated },
  { name: 'pool_buffers_free', help: 'Batch buffers on the pool free list.', read: (m) => m.pool.buffersFree },
  { name: 'pool_bytes_cap', help: 'Most bytes the batch buffer pool may allocate.', read: (m) => m.pool.bytesCap },
  { name: 'next_offset', help: 'The offset the next append will get.', read: (_m, log) => log.nextOffset },
  { name: 'durable_offset', help: 'One past the last durable (acknowledged) offset.', read: (_m, log) => log.durableOffset },
];

export const histogramSpecs: readonly HistogramSpec[] = [
  { name: 'flush_duration_seconds', help: 'Flush duration per durable batch: the fdatasync, or the whole O_DSYNC write.', buckets: 'latencySeconds', observe: (e) => seconds(e.flushMicros) },
  { name: 'write_duration_seconds', help: 'writev duration per durable batch (0 when the write is the flush, syncMethod open_datasync).', buckets: 'latencySeconds', observe: (e) => seconds(e.writeMicros) },
  { name: 'batch_records', help: 'Records per durable batch.', buckets: 'batchRecords', observe: (e) => e.records },
  { name: 'batch_bytes', help: 'Framed bytes per durable batch, before padding.', buckets: 'batchBytes', observe: (e) => e.framedBytes },
];
