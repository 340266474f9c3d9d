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
export type BatchRecord = Pick<BatchEvent, 'records' | 'payloadBytes' | 'framedBytes' | 'spanBytes' | 'writeMicros' | 'flushMicros'>;

export class Telemetry {
  appends = 0;
  batches = 0;
  writes = 0;
  flushes = 0;
  dirSyncs = 0;
  bytesAppended = 0;
  bytesWritten = 0;
  paddingBytes = 0;
  segmentsCreated = 0;
  segmentsPreallocated = 0;
  backpressureWaits = 0;
  overloadRejections = 0;
  errors = 0;
  readonly sealReasons = { full: 0, window: 0, idle: 0 };
  readonly #batchBytes = new Histogram();
  readonly #batchFullnessPercent = new Histogram();
  // These have a recent view as well as a total; each keeps both from one record per value.
  readonly #batchRecords: SlidingHistogram;
  readonly #writeMicros: SlidingHistogram;
  readonly #flushMicros: SlidingHistogram;
  readonly #submitLatencyMicros: SlidingHistogram;
  readonly #appendLatencyMicros: SlidingHistogram;
  readonly #maxBatchBytes: number;

  constructor(options: { maxBatchBytes: number; recentIntervalMicros: number }) {
    this.#maxBatchBytes = options.maxBatchBytes;
    const sliding = (): SlidingHistogram => new SlidingHistogram(options.recentIntervalMicros);
    this.#batchRecords = sliding();
    this.#writeMicros = sliding();
    this.#flushMicros = sliding();
    this.#submitLatencyMicros = sliding();
    this.#appendLatencyMicros = sliding();
  }

  recordSeal(reason: SealReason): void {
    this.sealReasons[reason]++;
  }

  recordSubmitLatency(micros: number, nowMicros: number): void {
    this.#submitLatencyMicros.record(micros, nowMicros);
  }

  recordAppendLatency(micros: number, nowMicros: number): void {
    this.#appendLatencyMicros.record(micros, nowMicros);
  }

  recordBatch(batch: BatchRecord, nowMicros: number): void {
    this.batches++;
    this.writes++;
    this.flushes++;
    this.appends += batch.records;
    this.bytesAppended += batch.payloadBytes;
    this.bytesWritten += batch.spanBytes;
    this.paddingBytes += batch.spanBytes - batch.framedBytes;
    this.#batchBytes.record(batch.framedBytes);
    this.#batchFullnessPercent.record((100 * batch.framedBytes) / this.#maxBatchBytes);
    this.#batchRecords.record(batch.records, nowMicros);
    this.#writeMicros.record(batch.writeMicros, nowMicros);
    this.#flushMicros.record(batch.flushMicros, nowMicros);
  }

  snapshot(live: {
    nowMicros: number;
    queueDepth: number;
    inFlightBytes: number;
    commitWindow: CommitWindowState;
    pool: PoolMetrics;
  }): Omit<LogMetrics, 'retention'> {
    const now = live.nowMicros;
    const recentRecords = this.#batchRecords.merged(now);
    const intervalSeconds = this.#batchRecords.intervalMicros / 1e6;
    return {
      appends: this.appends,
      batches: this.batches,
      writes: this.writes,
      flushes: this.flushes,
      dirSyncs: this.dirSyncs,
      bytesAppended: this.bytesAppended,
      bytesWritten: this.bytesWritten,
      paddingBytes: this.paddingBytes,
      segmentsCreated: this.segmentsCreated,
      segmentsPreallocated: this.segmentsPreallocated,
      backpressureWaits: this.backpressureWaits,
      overloadRejections: this.overloadRejections,
      queueDepth: live.queueDepth,
      inFlightBytes: live.inFlightBytes,
      batchRecords: this.#batchRecords.total().summary(),
      batchBytes: this.#batchBytes.summary(),
      writeMicros: this.#writeMicros.total().summary(),
      flushMicros: this.#flushMicros.total().summary(),
      appendLatencyMicros: this.#appendLatencyMicros.total().summary(),
      submitLatencyMicros: this.#submitLatencyMicros.total().summary(),
      batchFullnessPercent: this.#batchFullnessPercent.summary(),
      sealReasons: { ...this.sealReasons },
      errors: this.errors,
      commitWindowMicros: live.commitWindow.micros,
      commitWindow: live.commitWindow,
      recent: {
        intervalMicros: this.#batchRecords.intervalMicros,
        // Records per batch, summed over the interval, is the records made durable in it.
        appendsPerSecond: (recentRecords.summary().mean * recentRecords.count) / intervalSeconds,
        flushesPerSecond: recentRecords.count / intervalSeconds,
        batchRecords: recentRecords.summary(),
        writeMicros: this.#writeMicros.summary(now),
        flushMicros: this.#flushMicros.summary(now),
        submitLatencyMicros: this.#submitLatencyMicros.summary(now),
        appendLatencyMicros: this.#appendLatencyMicros.summary(now),
      },
      pool: live.pool,
    };
  }
}
