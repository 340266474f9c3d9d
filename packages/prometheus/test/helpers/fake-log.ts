/**
 * One job: a stand-in log whose metrics() returns whatever the test sets, and a helper to
 * publish batch events as the store would, so the package is tested apart from store timing.
 */
import { channel } from 'node:diagnostics_channel';
import type { BatchEvent, LogMetrics, Summary } from '@seglog/types';

const EMPTY_SUMMARY: Summary = { count: 0, min: 0, mean: 0, p50: 0, p99: 0, p999: 0, max: 0 };

export function zeroMetrics(): LogMetrics {
  return {
    appends: 0,
    batches: 0,
    writes: 0,
    flushes: 0,
    dirSyncs: 0,
    bytesAppended: 0,
    bytesWritten: 0,
    paddingBytes: 0,
    segmentsCreated: 0,
    segmentsPreallocated: 0,
    backpressureWaits: 0,
    overloadRejections: 0,
    queueDepth: 0,
    inFlightBytes: 0,
    batchRecords: EMPTY_SUMMARY,
    batchBytes: EMPTY_SUMMARY,
    writeMicros: EMPTY_SUMMARY,
    flushMicros: EMPTY_SUMMARY,
    appendLatencyMicros: EMPTY_SUMMARY,
    submitLatencyMicros: EMPTY_SUMMARY,
    batchFullnessPercent: EMPTY_SUMMARY,
    sealReasons: { full: 0, window: 0, idle: 0 },
    retention: {
      logBytes: 0,
      logSegments: 0,
      firstOffset: 0,
      passes: 0,
      segmentsDropped: 0,
      bytesDropped: 0,
      recordsDropped: 0,
      heldBack: 0,
      recordsTruncated: 0,
      errors: 0,
    },
    errors: 0,
    commitWindowMicros: 0,
    commitWindow: { mode: 'adaptive', micros: 0, capMicros: 0, flushEstimateMicros: 0, independentArrivalsPerSecond: 0 },
    recent: {
      intervalMicros: 0,
      appendsPerSecond: 0,
      flushesPerSecond: 0,
      batchRecords: EMPTY_SUMMARY,
      writeMicros: EMPTY_SUMMARY,
      flushMicros: EMPTY_SUMMARY,
      submitLatencyMicros: EMPTY_SUMMARY,
      appendLatencyMicros: EMPTY_SUMMARY,
    },
    pool: { hits: 0, misses: 0, waits: 0, buffersAllocated: 0, buffersFree: 0, bufferBytes: 0, bytesCap: 0 },
  };
}

export class FakeLog {
  readonly dir: string;
  current: LogMetrics = zeroMetrics();
  /** How many times metrics() was called, to check one snapshot per scrape. */
  snapshots = 0;

  constructor(dir: string) {
    this.dir = dir;
  }

  metrics(): LogMetrics {
    this.snapshots++;
    return this.current;
  }
}

/** A FakeLog that also reports offsets, as the real Log does. */
export class FakeLogWithOffsets extends FakeLog {
  nextOffset = 0;
  durableOffset = 0;
}

export function batchEvent(dir: string, fields: Partial<BatchEvent> = {}): BatchEvent {
  return {
    dir,
    firstOffset: 0,
    records: 1,
    payloadBytes: 100,
    framedBytes: 128,
    spanBytes: 4096,
    writeMicros: 20,
    flushMicros: 500,
    windowMicros: 0,
    sealReason: 'idle',
    ...fields,
  };
}

export function publishBatch(event: BatchEvent): void {
  channel('seglog:batch').publish(event);
}
