/**
 * One job: turn many concurrent appends into few durable writes.
 *
 * Appenders frame their records into the open batch synchronously (their buffers are free as soon
 * as `append` returns). When the disk is idle and the commit window has passed, the open batch is
 * sealed and handed to the commit pipeline (commit-pipeline.ts), which keeps up to
 * `maxBatchesInFlight` batches in the kernel at once and hands them back durable in offset order.
 * While batches are in flight the next one fills; batches that fill up when no slot is free wait,
 * sealed, in order. Several unacknowledged batches can be torn at a crash, so each header records
 * the durable end when it was issued (`ackedOffset`), which recovery uses to tell their remains from
 * damaged acknowledged data.
 *
 * Backpressure: payload bytes not yet durable are capped by `maxInFlightBytes`, and batch buffers
 * by the pool's cap. Past either, appends queue (copying their payload, since the caller may
 * reuse it) and are admitted as batches complete. The copies are capped too (`maxQueuedBytes`):
 * past it an append is refused at once with SEGLOG_OVERLOADED, before it gets an offset, so a
 * caller that never awaits cannot grow memory without bound. Offsets are assigned at admission, so they stay
 * dense and in acknowledgement order. Two queues, small and large records, are admitted in
 * turn, so a flood of large records cannot starve small appenders of room.
 *
 * Failure (fsyncgate): if a write or fdatasync fails, that batch and every pending append reject
 * with the same SEGLOG_IO error, and so does every later append, until the log is reopened and
 * recovered. Nothing is retried on the same data.
 */
import { ErrorCodes, SeglogError, assert, limits } from '@seglog/types';
import type { Clock } from '@seglog/types';
import type { BufferPool } from '@seglog/bufpool';
import { BATCH_HEADER_BYTES, batchSpanBytes, recordFrameBytes } from '@seglog/format';
import { publishBatch, publishError } from './diagnostics.js';
import { OpenBatch } from './open-batch.js';
import type { AppendWaiter } from './open-batch.js';
import { CommitPipeline } from './commit-pipeline.js';
import type { PipelineBatch } from './commit-pipeline.js';
import type { SegmentWriter } from './segment-writer.js';
import type { SealReason, Telemetry } from './telemetry.js';
import type { WindowPolicy } from './window-policy.js';

export interface GroupCommitConfig {
  readonly dir: string;
  readonly logId: Uint8Array;
  readonly blockBytes: number;
  readonly maxBatchBytes: number;
  readonly maxBatchRecords: number;
  readonly maxInFlightBytes: number;
  readonly maxQueuedBytes: number;
  readonly clock: Clock;
  readonly pool: BufferPool;
  readonly writer: SegmentWriter;
  readonly telemetry: Telemetry;
  readonly window: WindowPolicy;
  /** Batches in flight at most (`maxBatchesInFlight`). */
  readonly depth: number;
  /** Told the new durable end after each acknowledged batch (the HEAD checkpoint listens). */
  readonly onDurable?: (durableOffset: number) => void;
  /** The last append time already in the log (recovery.ts `lastAppendTimeMs`): no batch gets a smaller one. */
  readonly appendTimeFloorMs?: number | undefined;
}

/**
 * An append (or appendMany): while it waits for room it holds its own copies of the payloads; once
 * all are framed it is its own waiter (one object per append on the hot path, not two) and lets
 * go of the payloads.
 */
interface QueuedAppend extends AppendWaiter {
  payloads: readonly Uint8Array[];
  /** Records already admitted; the rest wait. */
  admitted: number;
  /** Set once its unadmitted payloads are our copies, counted in `#queuedBytes`. */
  queued?: boolean;
  firstOffset: number;
}

const NO_PAYLOADS: readonly Uint8Array[] = [];

interface SealedBatch {
  readonly batch: OpenBatch;
  readonly reason: SealReason;
  readonly windowMicros: number;
}

export class GroupCommit {
  readonly #config: GroupCommitConfig;
  /** Records above this size go to the large queue when they must wait. */
  readonly #smallRecordBytesMax: number;
  #open: OpenBatch | null = null;
  readonly #sealed: SealedBatch[] = [];
  readonly #small: QueuedAppend[] = [];
  readonly #large: QueuedAppend[] = [];
  #largeTurn = false;
  #flushScheduled = false;
  #idleSinceMicros: number;
  #inFlightBytes = 0;
  #queuedRecords = 0;
  /** Payload bytes held as copies by queued appends: what `maxQueuedBytes` caps. */
  #queuedBytes = 0;
  #pendingRecords = 0;
  /** Most records pending since the last acknowledgement, and its smoothed value over acks. */
  #pendingPeak = 0;
  #pendingSmoothed = 0;
  #failure: SeglogError | null = null;
  /** A failure reported while batches were in the kernel; it takes effect once they complete. */
  #poisoned: SeglogError | null = null;
  #nextOffset: number;
  #durableOffset: number;
  #lastAppendTimeMs = 0;
  readonly #idleWaiters: Array<() => void> = [];
  readonly #pipeline: CommitPipeline;

  constructor(config: GroupCommitConfig, nextOffset: number) {
    this.#config = config;
    this.#pipeline = new CommitPipeline({
      writer: config.writer,
      depth: config.depth,
      onDurable: (done) => this.#acknowledge(done),
      onFailure: (error, batch) => this.#fail(error, batch),
      onProgress: () => this.#guarded(() => this.#progress()),
      release: (batch) => config.pool.release(batch.buffer),
    });
    this.#smallRecordBytesMax = Math.floor(config.maxBatchBytes / limits.largeRecordBatchDivisorCount);
    this.#nextOffset = nextOffset;
    this.#durableOffset = nextOffset;
    this.#idleSinceMicros = config.clock.nowMicros();
    this.#lastAppendTimeMs = config.appendTimeFloorMs ?? 0;
  }

  get nextOffset(): number {
    return this.#nextOffset;
  }

  get durableOffset(): number {
    return this.#durableOffset;
  }

  get failure(): SeglogError | null {
    return this.#failure ?? this.#poisoned;
  }

  get inFlightBytes(): number {
    return this.#inFlightBytes;
  }

  /** Appends waiting for durability or for room. */
  get queueDepth(): number {
    return this.#pendingRecords + this.#queuedRecords;
  }

  /** Frames `payloads` as one contiguous run; resolves with the first offset once all are durable. */
  submit(payloads: readonly Uint8Array[]): Promise<number> {
    if (this.failure !== null) return Promise.reject(this.failure);
    const refusal = this.#refusal(payloads);
    if (refusal !== null) return Promise.reject(refusal);
    this.#config.window.noteArrival();
    const startedMicros = this.#config.clock.nowMicros();
    return new Promise<number>((resolve, reject) => {
      const entry: QueuedAppend = { payloads, startedMicros, resolve, reject, admitted: 0, firstOffset: -1 };
      if (this.#small.length === 0 && this.#large.length === 0) this.#admit(entry);
      if (entry.admitted < payloads.length) this.#enqueue(entry);
      else this.#sealAtShare();
      this.#scheduleFlush();
    });
  }

  /**
   * Why `payloads` cannot be taken, decided before any of them gets an offset: offsets would pass
   * 2^53 - 1 (they are JS numbers), or they would have to wait and the copies of waiting appends
   * would pass `maxQueuedBytes`. Room is judged by `maxInFlightBytes`, as admission does; when
   * only the batch buffers are short, the one call that finds them so may still queue.
   */
  #refusal(payloads: readonly Uint8Array[]): SeglogError | null {
    const reservedEnd = this.#nextOffset + this.#queuedRecords;
    if (reservedEnd + payloads.length > limits.offsetMax) {
      return new SeglogError(ErrorCodes.OUT_OF_RANGE, `appending ${payloads.length} record(s) at offset ${reservedEnd} would pass the largest offset ${limits.offsetMax}; this log cannot take more records`, { offset: reservedEnd });
    }
    let payloadBytes = 0;
    let frameBytes = 0;
    for (const payload of payloads) {
      payloadBytes += payload.length;
      frameBytes += recordFrameBytes(payload.length);
    }
    const othersWaiting = this.#small.length > 0 || this.#large.length > 0;
    const inFlightFull = this.#inFlightBytes > 0 && this.#inFlightBytes + frameBytes > this.#config.maxInFlightBytes;
    const mustWait = othersWaiting || inFlightFull;
    if (!mustWait || this.#queuedBytes + payloadBytes <= this.#config.maxQueuedBytes) return null;
    this.#config.telemetry.overloadRejections++;
    return new SeglogError(
      ErrorCodes.OVERLOADED,
      `append of ${payloadBytes} bytes refused: ${this.#queuedBytes} bytes of appends already wait for room (maxQueuedBytes=${this.#config.maxQueuedBytes}); await earlier appends, then retry`,
    );
  }

  #enqueue(entry: QueuedAppend): void {
    // Keep our own copies of what is not yet framed: the caller may reuse its buffers.
    const framed = entry.payloads.slice(0, entry.admitted);
    const copies = entry.payloads.slice(entry.admitted).map((payload) => payload.slice());
    entry.payloads = [...framed, ...copies];
    for (let index = entry.admitted; index < entry.payloads.length; index++) {
      this.#queuedBytes += entry.payloads[index]!.length;
    }
    entry.queued = true;
    const large = entry.payloads.some((payload) => payload.length > this.#smallRecordBytesMax);
    (large ? this.#large : this.#small).push(entry);
    this.#queuedRecords += entry.payloads.length - entry.admitted;
    this.#config.telemetry.backpressureWaits++;
  }

  /** Admits as many records of `entry` as room allows; attaches its waiter when all are in. */
  #admit(entry: QueuedAppend): void {
    while (entry.admitted < entry.payloads.length) {
      const payload = entry.payloads[entry.admitted]!;
      const frameBytes = recordFrameBytes(payload.length);
      // An over-cap record is let in when nothing else is in flight, or it could never be.
      if (this.#inFlightBytes > 0 && this.#inFlightBytes + frameBytes > this.#config.maxInFlightBytes) return;
      const batch = this.#batchWithRoom(payload.length);
      if (batch === null) return;
      const offset = batch.add(payload);
      if (entry.admitted === 0) entry.firstOffset = offset;
      if (entry.queued === true) this.#queuedBytes -= payload.length;
      entry.admitted++;
      this.#nextOffset++;
      this.#pendingRecords++;
      if (this.#pendingRecords > this.#pendingPeak) this.#pendingPeak = this.#pendingRecords;
      this.#inFlightBytes += frameBytes;
    }
    // Framed: the batch holds the bytes now, so the payloads may go.
    entry.payloads = NO_PAYLOADS;
    this.#open!.waiters.push(entry);
  }

  /** The open batch if the record fits, else a fresh one (sealing the full one); null if no buffer. */
  #batchWithRoom(payloadBytes: number): OpenBatch | null {
    if (this.#open !== null && this.#open.fits(payloadBytes)) return this.#open;
    const buffer = this.#config.pool.tryAcquire();
    if (buffer === null) return null;
    if (this.#open !== null) this.#seal(this.#open, 'full', 0);
    this.#open = new OpenBatch(buffer, this.#nextOffset, this.#config.clock.nowMicros(), this.#config.maxBatchRecords);
    assert(this.#open.fits(payloadBytes), 'a record of maxRecordBytes fits an empty batch');
    return this.#open;
  }

  #seal(batch: OpenBatch, reason: SealReason, windowMicros: number): void {
    const { telemetry, clock } = this.#config;
    const now = clock.nowMicros();
    for (const waiter of batch.waiters) telemetry.recordSubmitLatency(now - waiter.startedMicros, now);
    telemetry.recordSeal(reason);
    this.#sealed.push({ batch, reason, windowMicros });
  }

  /**
   * With more than one batch in flight: seals and issues the open batch, without waiting for the
   * end of this turn, once it holds its share of the records in flight (their smoothed count per
   * acknowledgement, divided by the depth) and the pipeline has room. Closed-loop appenders then
   * fall into `depth` cohorts whose batches alternate on the disk: one is written while the event
   * loop resolves and refills another, instead of the disk idling through that JavaScript. A lone
   * appender's batch is issued at once, one event-loop hop sooner. Only while the commit window is
   * 0: a window asks to wait for company instead.
   */
  #sealAtShare(): void {
    const open = this.#open;
    const { depth, window, blockBytes } = this.#config;
    if (open === null || depth === 1 || this.#sealed.length > 0 || this.#pendingSmoothed === 0) return;
    if (open.recordCount < Math.ceil(this.#pendingSmoothed / depth) || window.windowMicros > 0) return;
    if (!this.#pipeline.canIssue(batchSpanBytes(open.framedBytes - BATCH_HEADER_BYTES, blockBytes))) return;
    // Runs inside append: whatever breaks here is the sticky failure, not an escape into the caller.
    try {
      this.#seal(open, 'idle', 0);
      this.#open = null;
      this.#issueSealed();
    } catch (error) {
      this.#fail(error, null);
    }
  }

  /** Admits queued appends, small and large queues in turn, until room runs out. */
  #drainQueues(): void {
    while (this.#small.length > 0 || this.#large.length > 0) {
      const queue = this.#pickQueue();
      const head = queue[0]!;
      const before = head.admitted;
      this.#admit(head);
      this.#queuedRecords -= head.admitted - before;
      if (head.admitted < head.payloads.length) return;
      queue.shift();
      this.#largeTurn = queue === this.#small;
    }
  }

  #pickQueue(): QueuedAppend[] {
    // A run already partly admitted finishes first, or another append would land inside it.
    if ((this.#small[0]?.admitted ?? 0) > 0) return this.#small;
    if ((this.#large[0]?.admitted ?? 0) > 0) return this.#large;
    if (this.#small.length === 0) return this.#large;
    if (this.#large.length === 0) return this.#small;
    return this.#largeTurn ? this.#large : this.#small;
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled || !this.#pipeline.hasSlot) return;
    this.#flushScheduled = true;
    // setImmediate lets every append issued in this turn of the event loop join the batch.
    setImmediate(() => this.#guarded(() => this.#flushWhenDue()));
  }

  /**
   * Runs a timer callback so that nothing it throws escapes to the event loop (where it would
   * kill the process): whatever breaks becomes the sticky failure every pending append gets.
   */
  #guarded(run: () => void): void {
    try {
      run();
    } catch (error) {
      this.#fail(error, null);
    }
  }

  /**
   * Issues sealed batches while the pipeline has room; then seals and issues the open batch once
   * the window has passed since it opened or since a slot last came free, else waits for the rest
   * of the window.
   */
  #flushWhenDue(): void {
    this.#flushScheduled = false;
    if (this.#failure !== null || this.#poisoned !== null) return;
    this.#issueSealed();
    if (this.#sealed.length > 0 || !this.#pipeline.hasSlot) return;
    const open = this.#open;
    if (open === null || open.recordCount === 0) return;
    const windowMicros = this.#config.window.windowMicros;
    const dueMicros = Math.max(open.openedMicros, this.#idleSinceMicros) + windowMicros;
    const waitMicros = dueMicros - this.#config.clock.nowMicros();
    if (waitMicros > 0) {
      this.#flushScheduled = true;
      // Timers have millisecond resolution; shorter waits re-check on the next loop turn.
      const check = (): void => this.#guarded(() => this.#flushWhenDue());
      if (waitMicros >= 1000) setTimeout(check, Math.floor(waitMicros / 1000));
      else setImmediate(check);
      return;
    }
    this.#seal(open, windowMicros > 0 ? 'window' : 'idle', windowMicros);
    this.#open = null;
    this.#issueSealed();
  }

  /**
   * The append time stamped into the next batch: wall-clock ms, never below the previous batch's,
   * so append times rise with offsets even if the system clock steps back, within one open and
   * across opens (the floor starts at the last append time recovery found).
   */
  #appendTimeMs(): number {
    const wall = this.#config.clock.wallMillis?.() ?? Date.now();
    this.#lastAppendTimeMs = Math.max(this.#lastAppendTimeMs, Math.floor(wall));
    return this.#lastAppendTimeMs;
  }

  /**
   * Finishes and issues sealed batches, oldest first, while the pipeline takes them. Each header
   * records the durable end at this moment (`ackedOffset`): every batch still in flight is past
   * it, which is how recovery tells their torn remains from damaged acknowledged data.
   */
  #issueSealed(): void {
    const { logId, blockBytes } = this.#config;
    while (this.#sealed.length > 0) {
      const sealed = this.#sealed[0]!;
      const { batch } = sealed;
      if (!this.#pipeline.canIssue(batchSpanBytes(batch.framedBytes - BATCH_HEADER_BYTES, blockBytes))) return;
      this.#sealed.shift();
      const appendTimeMs = this.#appendTimeMs();
      const bytes = batch.finish(logId, blockBytes, { ackedOffset: this.#durableOffset, appendTimeMs });
      const { reason, windowMicros } = sealed;
      this.#pipeline.issue({ batch, reason, windowMicros, bytes, appendTimeMs, writeMicros: 0, flushMicros: 0 });
    }
  }

  /** The pipeline acknowledges a durable batch, in offset order. */
  #acknowledge(done: PipelineBatch): void {
    const { telemetry, clock, window } = this.#config;
    const { batch } = done;
    const now = clock.nowMicros();
    const record = {
      records: batch.recordCount,
      payloadBytes: batch.payloadBytes,
      framedBytes: batch.framedBytes,
      spanBytes: done.bytes.length,
      writeMicros: done.writeMicros,
      flushMicros: done.flushMicros,
    };
    telemetry.recordBatch(record, now);
    window.observe(done.flushMicros, now);
    publishBatch(() => ({
      dir: this.#config.dir,
      firstOffset: batch.firstOffset,
      windowMicros: done.windowMicros,
      sealReason: done.reason,
      ...record,
    }));
    this.#complete(batch, now);
  }

  /** After the pipeline moved: refill it, or fail a poisoned log once it has drained, or report idle. */
  #progress(): void {
    if (this.#failure !== null) {
      this.#notifyIdle();
      return;
    }
    if (this.#poisoned !== null) {
      if (this.#pipeline.inFlightCount === 0) this.#fail(this.#poisoned, null);
      return;
    }
    if (this.#pipeline.hasSlot) this.#idleSinceMicros = this.#config.clock.nowMicros();
    this.#drainQueues();
    this.#issueSealed();
    if (this.#open !== null && this.#open.recordCount > 0) this.#scheduleFlush();
    else this.#notifyIdle();
  }

  #complete(batch: OpenBatch, nowMicros: number): void {
    assert(batch.firstOffset === this.#durableOffset, 'batches become durable in offset order');
    this.#durableOffset = batch.nextOffset;
    this.#config.onDurable?.(this.#durableOffset);
    this.#pendingSmoothed += limits.recordsInFlightSmoothingFraction * (this.#pendingPeak - this.#pendingSmoothed);
    this.#pendingRecords -= batch.recordCount;
    this.#pendingPeak = this.#pendingRecords;
    this.#inFlightBytes -= batch.framesBytes;
    this.#config.pool.release(batch.buffer);
    this.#config.window.noteAcknowledged();
    for (const waiter of batch.waiters) {
      this.#config.telemetry.recordAppendLatency(nowMicros - waiter.startedMicros, nowMicros);
      waiter.resolve(waiter.firstOffset);
    }
  }

  /**
   * Sticky failure: reject everything pending with one error; refuse all later appends. `failed`
   * is the batch whose write or flush failed, or null when the failure came from elsewhere (a
   * timer, HEAD). A second failure changes nothing: the first is what every caller has been told.
   * Batches still in the kernel are abandoned: their appends reject now (one of them may turn out
   * durable, which a failed append is allowed to be), their buffers return as their writes do.
   */
  #fail(cause: unknown, failed: OpenBatch | null): void {
    if (this.#failure !== null) return;
    const error = cause instanceof SeglogError ? cause : SeglogError.io('write', 'segment', cause);
    this.#failure = error;
    this.#config.telemetry.errors++;
    publishError(() => ({
      dir: this.#config.dir,
      firstOffset: failed?.firstOffset ?? this.#durableOffset,
      records: failed?.recordCount ?? 0,
      error,
    }));
    const inFlight = this.#pipeline.abandon();
    const waiting = this.#sealed.splice(0).map((sealed) => sealed.batch);
    if (this.#open !== null) waiting.push(this.#open);
    this.#open = null;
    for (const batch of waiting) this.#config.pool.release(batch.buffer);
    for (const batch of [...inFlight, ...waiting]) {
      for (const waiter of batch.waiters) waiter.reject(error);
    }
    this.#rejectQueued(error);
    this.#pendingRecords = 0;
    this.#inFlightBytes = 0;
    this.#notifyIdle();
  }

  #rejectQueued(error: SeglogError): void {
    for (const queued of [...this.#small.splice(0), ...this.#large.splice(0)]) queued.reject(error);
    this.#queuedRecords = 0;
    this.#queuedBytes = 0;
  }

  /**
   * Fails the log from outside the write path (a HEAD checkpoint write that failed): pending and
   * later appends reject with `cause` as they would after a failed batch write. Batches already in
   * the kernel finish and are acknowledged normally (they are durable); nothing new is issued, and
   * the failure takes effect once they are done.
   */
  poison(cause: unknown): void {
    const error = cause instanceof SeglogError ? cause : SeglogError.io('write', 'HEAD', cause);
    if (this.#pipeline.inFlightCount > 0) this.#poisoned ??= error;
    else this.#fail(error, null);
  }

  #idle(): boolean {
    const openEmpty = this.#open === null || this.#open.recordCount === 0;
    const nothingQueued = this.#small.length === 0 && this.#large.length === 0;
    const nothingSealed = this.#sealed.length === 0 || this.#failure !== null;
    return this.#pipeline.idle && nothingSealed && openEmpty && nothingQueued;
  }

  /** Resolves when nothing is pending: every admitted append is durable or has failed. */
  whenIdle(): Promise<void> {
    if (this.#idle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #notifyIdle(): void {
    if (!this.#idle()) return;
    for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }

  /** Rejects everything still queued with `error` and refuses later appends (used by close). */
  abort(error: SeglogError): void {
    if (this.#failure === null) this.#failure = error;
    this.#rejectQueued(error);
    this.#notifyIdle();
  }
}
