/**
 * One job: the shapes of the numbers the store reports. See docs/observability.md.
 */

/** A latency or size distribution since open. Empty distributions report zeros. */
export interface Summary {
  readonly count: number;
  readonly min: number;
  readonly mean: number;
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
}

export interface PoolMetrics {
  /** Buffers handed out from the free list (no allocation). */
  readonly hits: number;
  /** Buffers that had to be allocated (the pool was still growing toward its cap). */
  readonly misses: number;
  /**
   * Requests for a batch buffer refused because the pool was at its cap: the appends behind them
   * waited for a batch to complete.
   */
  readonly waits: number;
  readonly buffersAllocated: number;
  readonly buffersFree: number;
  readonly bufferBytes: number;
  readonly bytesCap: number;
}

export interface LogMetrics {
  /** Records acknowledged (durable). */
  readonly appends: number;
  /** Batches made durable. */
  readonly batches: number;
  /** writev calls issued for batches and segment headers. */
  readonly writes: number;
  /** Flushes of segment files: fdatasync calls, or O_DSYNC batch writes under `syncMethod: 'open_datasync'`. */
  readonly flushes: number;
  /** fsync calls issued on the log directory (segment creation). */
  readonly dirSyncs: number;
  /** Payload bytes acknowledged. */
  readonly bytesAppended: number;
  /** Bytes written to segment files for batches: headers, framing and padding included. */
  readonly bytesWritten: number;
  /** Of `bytesWritten`, the zero padding that aligns each batch to a block. */
  readonly paddingBytes: number;
  readonly segmentsCreated: number;
  /** Of `segmentsCreated`, those zero-filled before use (see the `preallocate` option). */
  readonly segmentsPreallocated: number;
  /** Append calls that had to wait for room: `maxInFlightBytes` reached, or no free batch buffer. */
  readonly backpressureWaits: number;
  /** Appends refused with SEGLOG_OVERLOADED: `maxQueuedBytes` of appends were already waiting. */
  readonly overloadRejections: number;
  /** Appends waiting: copied into an open or sealed batch, or waiting for room. */
  readonly queueDepth: number;
  /** Payload bytes accepted but not yet acknowledged. */
  readonly inFlightBytes: number;
  /** Records per batch. */
  readonly batchRecords: Summary;
  /** Framed bytes per batch, before padding. */
  readonly batchBytes: Summary;
  /** writev duration per batch, microseconds (0 under `syncMethod: 'open_datasync'`). */
  readonly writeMicros: Summary;
  /** Flush duration per batch, microseconds: the fdatasync, or the whole O_DSYNC write. */
  readonly flushMicros: Summary;
  /** Time from `append` to its promise resolving, microseconds. */
  readonly appendLatencyMicros: Summary;
  /** Time from `append` until its batch was sealed (queueing, before any I/O), microseconds. */
  readonly submitLatencyMicros: Summary;
  /** Framed bytes of each batch as a percentage of `maxBatchBytes`. */
  readonly batchFullnessPercent: Summary;
  /**
   * Why batches were sealed: full (bytes or records cap), window (the window ran out), idle (disk
   * idle and no window).
   */
  readonly sealReasons: SealReasons;
  /** Batches whose write or flush failed (each one poisons the log until reopen). */
  readonly errors: number;
  /** The commit window currently applied, microseconds. */
  readonly commitWindowMicros: number;
  readonly commitWindow: CommitWindowState;
  /** The same distributions over the recent sliding interval only. */
  readonly recent: RecentMetrics;
  readonly pool: PoolMetrics;
  /** The log's size and what retention and truncation dropped (issue 12). */
  readonly retention: RetentionMetrics;
}

/** Counters of the low-water mark: automatic retention passes and `truncateBefore` calls together. */
export interface RetentionMetrics {
  /** Bytes of segment and index files, as of the last pass or truncation (and of open, with `retention` on). */
  readonly logBytes: number;
  /** Segment files in the log, as of the last pass or truncation (and of open, with `retention` on). */
  readonly logSegments: number;
  /** The low-water mark (the log's `firstOffset`). */
  readonly firstOffset: number;
  /** Background retention passes run. */
  readonly passes: number;
  /** Whole segments unlinked below the low-water mark, and their bytes (index files included). */
  readonly segmentsDropped: number;
  readonly bytesDropped: number;
  /** Records made unreadable by raising the low-water mark. */
  readonly recordsDropped: number;
  /** Passes and calls that a retention hold kept from dropping what they would have. */
  readonly heldBack: number;
  /** Records dropped from the tail by `truncateAfter`. */
  readonly recordsTruncated: number;
  /** Background passes that failed (each is also published on the error channel). */
  readonly errors: number;
}

export interface SealReasons {
  readonly full: number;
  readonly window: number;
  readonly idle: number;
}

export interface CommitWindowState {
  readonly mode: 'fixed' | 'adaptive';
  readonly micros: number;
  /** Upper bound the adaptive controller may use now, microseconds. */
  readonly capMicros: number;
  /** The controller's flush estimate: the smoothed median of recent batch flush durations, microseconds. */
  readonly flushEstimateMicros: number;
  /** Smoothed rate of appends that arrive independently (not in the turn an acknowledgement resumed them). */
  readonly independentArrivalsPerSecond: number;
}

export interface RecentMetrics {
  /** Length of the sliding interval, microseconds. */
  readonly intervalMicros: number;
  readonly appendsPerSecond: number;
  readonly flushesPerSecond: number;
  readonly batchRecords: Summary;
  readonly writeMicros: Summary;
  readonly flushMicros: Summary;
  readonly submitLatencyMicros: Summary;
  readonly appendLatencyMicros: Summary;
}

/** Name of the node:diagnostics_channel channel that publishes a `BatchEvent` per durable batch. */
export const BATCH_CHANNEL = 'seglog:batch';
/** Name of the node:diagnostics_channel channel that publishes an `ErrorEvent` per failed batch. */
export const ERROR_CHANNEL = 'seglog:error';

/** What the `seglog:batch` diagnostics channel publishes for every durable batch. */
export interface BatchEvent {
  readonly dir: string;
  readonly firstOffset: number;
  readonly records: number;
  readonly payloadBytes: number;
  readonly framedBytes: number;
  readonly spanBytes: number;
  readonly writeMicros: number;
  readonly flushMicros: number;
  readonly windowMicros: number;
  readonly sealReason: keyof SealReasons;
}

/** What the `seglog:error` diagnostics channel publishes when a batch fails. */
export interface ErrorEvent {
  readonly dir: string;
  readonly firstOffset: number;
  readonly records: number;
  readonly error: Error;
}
