/**
 * One job: turn many concurrent appends into few durable writes.
 *
 * Appenders frame their records into the open batch synchronously (their buffers are free as soon
 * as `append` returns). When the disk is idle and the commit window has passed, the open batch is
 * sealed and handed to the segment writer: one durable write (see syncMethod). While that batch is in the
 * kernel the next one fills ("two-stage drop-off"); batches that fill up in the meantime wait,
 * sealed, in order. Only one batch is ever being written, so at a crash at most one
 * unacknowledged batch can be torn, which is what recovery relies on.
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
import { recordFrameBytes } from '@seglog/format';
import { publishBatch, publishError } from './diagnostics.js';
import { OpenBatch } from './open-batch.js';
import type { AppendWaiter } from './open-batch.js';
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
  /** Told the new durable end after each acknowledged batch (the HEAD checkpoint listens). */
  readonly onDurable?: (durableOffset: number) => void;
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
  #writing = false;
  #flushScheduled = false;
  #idleSinceMicros: number;
  #inFlightBytes = 0;
  #queuedRecords = 0;
  /** Payload bytes held as copies by queued appends: what `maxQueuedBytes` caps. */
  #queuedBytes = 0;
  #pendingRecords = 0;
  #failure: SeglogError | null = null;
  /** A failure reported while a batch was in the kernel; it takes effect once that batch completes. */
  #poisoned: SeglogError | null = null;
  #nextOffset: number;
  #durableOffset: number;
  #lastAppendTimeMs = 0;
  readonly #idleWaiters: Array<() => void> = [];

  constructor(config: GroupCommitConfig, nextOffset: number) {
    this.#config = config;
    this.#smallRecordBytesMax = Math.floor(config.maxBatchBytes / limits.largeRecordBatchDivisorCount);
    this.#nextOffset = nextOffset;
    this.#durableOffset = nextOffset;
    this.#idleSinceMicros = config.clock.nowMicros();
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
    if (this.#writing || this.#flushScheduled) return;
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

  /** Seals and writes when the window has passed; otherwise waits for the rest of it. */
  #flushWhenDue(): void {
    this.#flushScheduled = false;
    if (this.#writing || this.#failure !== null) return;
    if (this.#sealed.length === 0) {
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
    }
    this.#startWrite();
  }

  /**
   * The append time stamped into the next batch: wall-clock ms, never below the previous batch's,
   * so append times rise with offsets within one open even if the system clock steps back.
   */
  #appendTimeMs(): number {
    const wall = this.#config.clock.wallMillis?.() ?? Date.now();
    this.#lastAppendTimeMs = Math.max(this.#lastAppendTimeMs, Math.floor(wall));
    return this.#lastAppendTimeMs;
  }

  /** Writes the next sealed batch; a failure anywhere in it (a bug included) is the sticky failure. */
  #startWrite(): void {
    this.#writeNext().catch((error: unknown) => this.#fail(error, null));
  }

  async #writeNext(): Promise<void> {
    const sealed = this.#sealed.shift();
    if (sealed === undefined) return;
    const { batch } = sealed;
    this.#writing = true;
    const { writer, telemetry, logId, blockBytes, clock, window } = this.#config;
    let timings;
    let bytes;
    try {
      bytes = batch.finish(logId, blockBytes, { ackedOffset: this.#durableOffset, appendTimeMs: this.#appendTimeMs() });
      timings = await writer.writeBatch(bytes, batch.firstOffset);
    } catch (error) {
      this.#fail(error, batch);
      return;
    }
    const now = clock.nowMicros();
    const record = {
      records: batch.recordCount,
      payloadBytes: batch.payloadBytes,
      framedBytes: batch.framedBytes,
      spanBytes: bytes.length,
      ...timings,
    };
    telemetry.recordBatch(record, now);
    window.observe(timings.flushMicros, now);
    publishBatch(() => ({
      dir: this.#config.dir,
      firstOffset: batch.firstOffset,
      windowMicros: sealed.windowMicros,
      sealReason: sealed.reason,
      ...record,
    }));
    this.#complete(batch, now);
    this.#writing = false;
    this.#idleSinceMicros = now;
    if (this.#poisoned !== null) {
      this.#fail(this.#poisoned, null);
      return;
    }
    this.#drainQueues();
    if (this.#sealed.length > 0) this.#startWrite();
    else if (this.#open !== null && this.#open.recordCount > 0) this.#scheduleFlush();
    else this.#notifyIdle();
  }

  #complete(batch: OpenBatch, nowMicros: number): void {
    assert(batch.firstOffset === this.#durableOffset, 'batches become durable in offset order');
    this.#durableOffset = batch.nextOffset;
    this.#config.onDurable?.(this.#durableOffset);
    this.#pendingRecords -= batch.recordCount;
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
   * is the batch being written, or null when the failure came from elsewhere (a timer, HEAD).
   * A second failure changes nothing: the first is what every caller has been told.
   */
  #fail(cause: unknown, failed: OpenBatch | null): void {
    if (this.#failure !== null && failed === null) return;
    const error = cause instanceof SeglogError ? cause : SeglogError.io('write', 'segment', cause);
    this.#failure = error;
    this.#writing = false;
    this.#config.telemetry.errors++;
    publishError(() => ({
      dir: this.#config.dir,
      firstOffset: failed?.firstOffset ?? this.#durableOffset,
      records: failed?.recordCount ?? 0,
      error,
    }));
    const batches = [
      ...(failed === null ? [] : [failed]),
      ...this.#sealed.splice(0).map((sealed) => sealed.batch),
      ...(this.#open === null ? [] : [this.#open]),
    ];
    this.#open = null;
    for (const batch of batches) {
      this.#config.pool.release(batch.buffer);
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
   * later appends reject with `cause` as they would after a failed batch write. A batch already
   * in the kernel finishes and is acknowledged normally; it is durable.
   */
  poison(cause: unknown): void {
    const error = cause instanceof SeglogError ? cause : SeglogError.io('write', 'HEAD', cause);
    if (this.#writing) this.#poisoned ??= error;
    else this.#fail(error, null);
  }

  #idle(): boolean {
    const openEmpty = this.#open === null || this.#open.recordCount === 0;
    const nothingQueued = this.#small.length === 0 && this.#large.length === 0;
    return !this.#writing && this.#sealed.length === 0 && openEmpty && nothingQueued;
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
