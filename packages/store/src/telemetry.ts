/**
 * One job: measure what the store did. Counters and histograms only; no policy reads or writes
 * here except through `snapshot()`. See docs/observability.md for what each number means.
 */
import type { LogMetrics, PoolMetrics } from '@seglog/types';
import { Histogram } from './histogram.js';

export class Telemetry {
  appends = 0;
  batches = 0;
  writes = 0;
  fdatasyncs = 0;
  dirSyncs = 0;
  bytesAppended = 0;
  bytesWritten = 0;
  paddingBytes = 0;
  segmentsCreated = 0;
  backpressureWaits = 0;
  readonly batchRecords = new Histogram();
  readonly batchBytes = new Histogram();
  readonly writeMicros = new Histogram();
  readonly fdatasyncMicros = new Histogram();
  readonly appendLatencyMicros = new Histogram();

  recordBatch(fields: { records: number; payloadBytes: number; framedBytes: number; spanBytes: number; writeMicros: number; fdatasyncMicros: number }): void {
    this.batches++;
    this.writes++;
    this.fdatasyncs++;
    this.appends += fields.records;
    this.bytesAppended += fields.payloadBytes;
    this.bytesWritten += fields.spanBytes;
    this.paddingBytes += fields.spanBytes - fields.framedBytes;
    this.batchRecords.record(fields.records);
    this.batchBytes.record(fields.framedBytes);
    this.writeMicros.record(fields.writeMicros);
    this.fdatasyncMicros.record(fields.fdatasyncMicros);
  }

  snapshot(live: { queueDepth: number; inFlightBytes: number; commitWindowMicros: number; pool: PoolMetrics }): LogMetrics {
    return {
      appends: this.appends,
      batches: this.batches,
      writes: this.writes,
      fdatasyncs: this.fdatasyncs,
      dirSyncs: this.dirSyncs,
      bytesAppended: this.bytesAppended,
      bytesWritten: this.bytesWritten,
      paddingBytes: this.paddingBytes,
      segmentsCreated: this.segmentsCreated,
      backpressureWaits: this.backpressureWaits,
      queueDepth: live.queueDepth,
      inFlightBytes: live.inFlightBytes,
      batchRecords: this.batchRecords.summary(),
      batchBytes: this.batchBytes.summary(),
      writeMicros: this.writeMicros.summary(),
      fdatasyncMicros: this.fdatasyncMicros.summary(),
      appendLatencyMicros: this.appendLatencyMicros.summary(),
      commitWindowMicros: live.commitWindowMicros,
      pool: live.pool,
    };
  }
}
