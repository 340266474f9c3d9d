/**
 * One job: the batches between seal and acknowledgement. Up to `depth` finished batches are in
 * flight at once: their writes overlap each other and, under `fdatasync`, the one flush in flight.
 * They are handed back durable strictly in offset order, whatever order the kernel finishes them in.
 *
 * When is a batch durable? Under `open_datasync`, when its O_DSYNC write has returned. Under
 * `fdatasync`, when a flush called after its write returned has returned. Only one flush runs at a
 * time, and it covers every write that had returned when it was called, so one fdatasync often
 * makes several batches durable.
 *
 * The error gate (fsyncgate, with overlap). Linux reports a writeback error of a file to one
 * flush of it, whichever checks first, and O_DSYNC writes in flight together check the same error
 * state. So a write that returned success does not prove its own pages reached the disk while a
 * write issued before its return is still out: that one may have taken the error. A batch is
 * acknowledged only once every sync-bearing operation issued before its own returned has returned
 * without error (`gateSeq`). Under `fdatasync` the one-flush rule keeps the gate open at once.
 *
 * Rolls. A batch that does not fit in the active segment is issued only with nothing in flight, and
 * nothing is issued behind it until its write returns: a segment is left only once every batch in
 * it is acknowledged, so a torn batch can only be in the last segment (recovery.ts relies on it).
 *
 * Failure. The first failed write or flush is reported once (`onFailure`) and everything in flight
 * is abandoned: never acknowledged, its buffer given back only once its write has left the kernel
 * (the kernel may still be reading it).
 */
import { assert } from '@seglog/types';
import type { OpenBatch } from './open-batch.js';
import type { SegmentWriter } from './segment-writer.js';
import type { SealReason } from './telemetry.js';

/** A sealed batch on its way to the disk, and what its trip cost. */
export interface PipelineBatch {
  readonly batch: OpenBatch;
  readonly reason: SealReason;
  readonly windowMicros: number;
  /** The finished bytes: header, frames, padding. */
  readonly bytes: Uint8Array;
  /** The append time stamped in its header (handed to the writer so it need not decode it again). */
  readonly appendTimeMs?: number;
  writeMicros: number;
  flushMicros: number;
}

type Stage = 'writing' | 'written' | 'flushing' | 'durable';

interface Slot extends PipelineBatch {
  stage: Stage;
  /** Sync-bearing operations up to this one must have returned cleanly before the ack. */
  gateSeq: number;
  /** False while the write is in the kernel (the buffer is not ours to reuse yet). */
  writeSettled: boolean;
  abandoned: boolean;
}

export interface CommitPipelineConfig {
  readonly writer: SegmentWriter;
  /** Batches in flight at most (`maxBatchesInFlight`). */
  readonly depth: number;
  /** A batch became durable and every batch before it has been handed back: acknowledge it. */
  readonly onDurable: (batch: PipelineBatch) => void;
  /** The first failed write or flush; `batch` is the one it hit. */
  readonly onFailure: (error: unknown, batch: OpenBatch) => void;
  /** Room may have opened, or the pipeline may have drained: look at the queues again. */
  readonly onProgress: () => void;
  /** An abandoned batch's write has left the kernel: its buffer may be reused. */
  readonly release: (batch: OpenBatch) => void;
}

export class CommitPipeline {
  readonly #config: CommitPipelineConfig;
  readonly #durableWrites: boolean;
  /** In offset order. */
  #slots: Slot[] = [];
  /** The batch that rolled the segment, until its write returns. */
  #barrier: Slot | null = null;
  #flushing = false;
  /** Sync-bearing operations issued so far (O_DSYNC writes, or flushes). */
  #syncSeq = 0;
  /** Sequence numbers of sync-bearing operations not yet returned; at most `depth`. */
  readonly #syncsOut: number[] = [];
  /** Writes and flushes in the kernel, abandoned ones included: close waits for zero. */
  #kernelOps = 0;
  #failed = false;

  constructor(config: CommitPipelineConfig) {
    assert(Number.isSafeInteger(config.depth) && config.depth >= 1, 'depth is a positive integer');
    this.#config = config;
    this.#durableWrites = config.writer.writesAreDurable;
  }

  get inFlightCount(): number {
    return this.#slots.length;
  }

  /** Nothing in flight and nothing in the kernel. */
  get idle(): boolean {
    return this.#slots.length === 0 && this.#kernelOps === 0;
  }

  /** A slot is free (whether the next batch may take it depends on its size: `canIssue`). */
  get hasSlot(): boolean {
    return !this.#failed && this.#barrier === null && this.#slots.length < this.#config.depth;
  }

  /** Whether a batch of `spanBytes` may be issued now; one that needs a roll waits for an empty pipeline. */
  canIssue(spanBytes: number): boolean {
    return this.hasSlot && (this.#slots.length === 0 || this.#config.writer.fits(spanBytes));
  }

  /** Starts `batch`'s write. The caller checked `canIssue`. */
  issue(batch: PipelineBatch): void {
    assert(this.canIssue(batch.bytes.length), 'a batch is issued only when it may be');
    // Fields listed, not spread: this runs once per batch, and a spread of a small object costs more.
    const slot: Slot = {
      batch: batch.batch,
      reason: batch.reason,
      windowMicros: batch.windowMicros,
      bytes: batch.bytes,
      appendTimeMs: batch.appendTimeMs,
      writeMicros: batch.writeMicros,
      flushMicros: batch.flushMicros,
      stage: 'writing',
      gateSeq: 0,
      writeSettled: false,
      abandoned: false,
    };
    const rolls = !this.#config.writer.fits(batch.bytes.length);
    this.#slots.push(slot);
    if (rolls) this.#barrier = slot;
    const seq = this.#durableWrites ? this.#syncStarted() : 0;
    this.#kernelOps++;
    this.#startWrite(batch).then(
      (micros) => this.#written(slot, seq, micros),
      (error: unknown) => this.#writeFailed(slot, seq, error),
    );
  }

  /** The write as a promise, even when the writer throws before it starts (an assertion). */
  #startWrite(batch: PipelineBatch): Promise<number> {
    try {
      return this.#config.writer.writeBatch(batch.bytes, batch.batch.firstOffset, batch.appendTimeMs);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  #syncStarted(): number {
    const seq = ++this.#syncSeq;
    this.#syncsOut.push(seq);
    return seq;
  }

  #syncReturned(seq: number): void {
    const at = this.#syncsOut.indexOf(seq);
    assert(at >= 0, 'a sync-bearing operation returns once');
    this.#syncsOut.splice(at, 1);
  }

  #written(slot: Slot, seq: number, micros: number): void {
    this.#settleWrite(slot);
    if (this.#durableWrites) this.#syncReturned(seq);
    if (slot.abandoned) return;
    if (this.#barrier === slot) this.#barrier = null;
    if (this.#durableWrites) {
      slot.flushMicros = micros;
      slot.writeMicros = 0;
      this.#markDurable([slot], this.#syncSeq);
    } else {
      slot.writeMicros = micros;
      slot.stage = 'written';
      this.#startFlush();
    }
    this.#handBack();
  }

  #writeFailed(slot: Slot, seq: number, error: unknown): void {
    this.#settleWrite(slot);
    if (this.#durableWrites) this.#syncReturned(seq);
    if (slot.abandoned) return;
    this.#fail(error, slot);
  }

  #settleWrite(slot: Slot): void {
    slot.writeSettled = true;
    this.#kernelOps--;
    if (slot.abandoned) {
      this.#config.release(slot.batch);
      this.#config.onProgress();
    }
  }

  /** Under `fdatasync`: one flush at a time, covering every write that has returned. */
  #startFlush(): void {
    if (this.#flushing || this.#failed) return;
    const covered = this.#slots.filter((slot) => slot.stage === 'written');
    if (covered.length === 0) return;
    for (const slot of covered) slot.stage = 'flushing';
    this.#flushing = true;
    const seq = this.#syncStarted();
    this.#kernelOps++;
    this.#config.writer.flush().then(
      (micros) => this.#flushed(covered, seq, micros),
      (error: unknown) => this.#flushFailed(covered, seq, error),
    );
  }

  #flushed(covered: Slot[], seq: number, micros: number): void {
    this.#flushDone(seq);
    if (this.#failed) return;
    for (const slot of covered) slot.flushMicros = micros;
    this.#markDurable(covered, seq);
    this.#startFlush();
    this.#handBack();
  }

  #flushFailed(covered: Slot[], seq: number, error: unknown): void {
    this.#flushDone(seq);
    if (this.#failed) return;
    this.#fail(error, covered[0]!);
  }

  #flushDone(seq: number): void {
    this.#flushing = false;
    this.#kernelOps--;
    this.#syncReturned(seq);
    if (this.#failed) this.#config.onProgress();
  }

  #markDurable(slots: readonly Slot[], gateSeq: number): void {
    for (const slot of slots) {
      slot.stage = 'durable';
      slot.gateSeq = gateSeq;
    }
  }

  /** Acknowledges the durable prefix whose gate is open, then lets the caller refill. */
  #handBack(): void {
    // Sequence numbers are pushed rising and removed from anywhere, so the array stays sorted.
    const oldestOut = this.#syncsOut[0] ?? Infinity;
    while (this.#slots.length > 0) {
      const head = this.#slots[0]!;
      if (head.stage !== 'durable' || head.gateSeq >= oldestOut) break;
      this.#slots.shift();
      this.#config.onDurable(head);
    }
    this.#config.onProgress();
  }

  #fail(error: unknown, slot: Slot): void {
    this.#failed = true;
    this.#config.onFailure(error, slot.batch);
  }

  /**
   * Gives up every batch in flight (after a failure, reported or not): returns them, in offset
   * order, for their appends to be rejected. Buffers whose writes have returned are released now,
   * the others as their writes return.
   */
  abandon(): OpenBatch[] {
    this.#failed = true;
    this.#barrier = null;
    const batches = this.#slots.map((slot) => slot.batch);
    for (const slot of this.#slots) {
      slot.abandoned = true;
      if (slot.writeSettled) this.#config.release(slot.batch);
    }
    this.#slots = [];
    return batches;
  }
}
