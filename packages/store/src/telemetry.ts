/**
 * One job: measure what the store did. Counters, histograms since open, and the same
 * distributions over a recent sliding interval, so an operator can tell queueing (submit latency)
 * from service time (writev, fdatasync). Nothing here decides anything; the commit window reads
 * its own smoothed inputs. See docs/observability.md.
 */
import type { BatchEvent, CommitWindowState, LogMetrics, PoolMetrics, SealReasons } from '@seglog/types';
import { Histogram } from './histogram.js';
import { SlidingHistogram } from './sliding-histogram.js';

export type SealReason = keyof SealReasons;

/** What telemetry records of each durable batch: the numeric part of the published BatchEvent. */
export type BatchRecord = Pick<BatchEvent, 'records' | 'payloadBytes' | 'framedBytes' | 'spanBytes' | 'writeMicros' | 'fdatasyncMicros'>;

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
  errors = 0;
  readonly sealReasons = { full: 0, window: 0, idle: 0 };
  readonly batchRecords = new Histogram();
  readonly batchBytes = new Histogram();
  readonly batchFullnessPercent = new Histogram();
  readonly writeMicros = new Histogram();
  readonly fdatasyncMicros = new Histogram();
  readonly submitLatencyMicros = new Histogram();
  readonly appendLatencyMicros = new Histogram();
  readonly #recent: {
    readonly batchRecords: SlidingHistogram;
    readonly writeMicros: SlidingHistogram;
    readonly fdatasyncMicros: SlidingHistogram;
    readonly submitLatencyMicros: SlidingHistogram;
    readonly appendLatencyMicros: SlidingHistogram;
  };
  readonly #maxBatchBytes: number;

  constructor(options: { maxBatchBytes: number; recentIntervalMicros: number }) {
    this.#maxBatchBytes = options.maxBatchBytes;
    const sliding = (): SlidingHistogram => new SlidingHistogram(options.recentIntervalMicros);
    this.#recent = {
      batchRecords: sliding(),
      writeMicros: sliding(),
      fdatasyncMicros: sliding(),
      submitLatencyMicros: sliding(),
      appendLatencyMicros: sliding(),
    };
  }

  recordSeal(reason: SealReason): void {
    this.sealReasons[reason]++;
  }

  recordSubmitLatency(micros: number, nowMicros: number): void {
    this.submitLatencyMicros.record(micros);
    this.#recent.submitLatencyMicros.record(micros, nowMicros);
  }

  recordAppendLatency(micros: number, nowMicros: number): void {
    this.appendLatencyMicros.record(micros);
    this.#recent.appendLatencyMicros.record(micros, nowMicros);
  }

  recordBatch(batch: BatchRecord, nowMicros: number): void {
    this.batches++;
    this.writes++;
    this.fdatasyncs++;
    this.appends += batch.records;
    this.bytesAppended += batch.payloadBytes;
    this.bytesWritten += batch.spanBytes;
    this.paddingBytes += batch.spanBytes - batch.framedBytes;
    this.batchRecords.record(batch.records);
    this.batchBytes.record(batch.framedBytes);
    this.batchFullnessPercent.record((100 * batch.framedBytes) / this.#maxBatchBytes);
    this.writeMicros.record(batch.writeMicros);
    this.fdatasyncMicros.record(batch.fdatasyncMicros);
    this.#recent.batchRecords.record(batch.records, nowMicros);
    this.#recent.writeMicros.record(batch.writeMicros, nowMicros);
    this.#recent.fdatasyncMicros.record(batch.fdatasyncMicros, nowMicros);
  }

  snapshot(live: { nowMicros: number; queueDepth: number; inFlightBytes: number; commitWindow: CommitWindowState; pool: PoolMetrics }): LogMetrics {
    const now = live.nowMicros;
    const recentRecords = this.#recent.batchRecords.merged(now);
    const intervalSeconds = this.#recent.batchRecords.intervalMicros / 1e6;
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
      submitLatencyMicros: this.submitLatencyMicros.summary(),
      batchFullnessPercent: this.batchFullnessPercent.summary(),
      sealReasons: { ...this.sealReasons },
      errors: this.errors,
      commitWindowMicros: live.commitWindow.micros,
      commitWindow: live.commitWindow,
      recent: {
        intervalMicros: this.#recent.batchRecords.intervalMicros,
        // Records per batch, summed over the interval, is the records made durable in it.
        appendsPerSecond: (recentRecords.summary().mean * recentRecords.count) / intervalSeconds,
        fdatasyncsPerSecond: recentRecords.count / intervalSeconds,
        batchRecords: recentRecords.summary(),
        writeMicros: this.#recent.writeMicros.summary(now),
        fdatasyncMicros: this.#recent.fdatasyncMicros.summary(now),
        submitLatencyMicros: this.#recent.submitLatencyMicros.summary(now),
        appendLatencyMicros: this.#recent.appendLatencyMicros.summary(now),
      },
      pool: live.pool,
    };
  }
}
