/**
 * One job: turn many concurrent appends into few durable writes.
 *
 * Appenders frame their records into the open batch synchronously (their buffers are free as soon
 * as `append` returns). When the disk is idle and the commit window has passed, the open batch is
 * sealed and handed to the segment writer: one writev, one fdatasync. While that batch is in the
 * kernel the next one fills ("two-stage drop-off"); batches that fill up in the meantime wait,
 * sealed, in order. Only one batch is ever being written, so at a crash at most one
 * unacknowledged batch can be torn, which is what recovery relies on.
 *
 * Backpressure: payload bytes not yet durable are capped by `maxInFlightBytes`, and batch buffers
 * by the pool's cap. Past either, appends queue in FIFO order (copying their payload, since the
 * caller may reuse it) and are admitted as batches complete. Offsets are assigned at admission, so
 * FIFO admission keeps them dense and in acknowledgement order.
 *
 * Failure (fsyncgate): if a write or fdatasync fails, that batch and every pending append reject
 * with the same SEGLOG_IO error, and so does every later append, until the log is reopened and
 * recovered. Nothing is retried on the same data.
 */
import { SeglogError, assert } from '@seglog/types';
import type { Clock } from '@seglog/types';
import type { BufferPool } from '@seglog/bufpool';
import { recordFrameBytes } from '@seglog/format';
import { OpenBatch } from './open-batch.js';
import type { AppendWaiter } from './open-batch.js';
import type { SegmentWriter } from './segment-writer.js';
import type { Telemetry } from './telemetry.js';

export interface GroupCommitConfig {
  readonly logId: Uint8Array;
  readonly blockBytes: number;
  readonly maxInFlightBytes: number;
  readonly commitWindowMicros: number;
  readonly clock: Clock;
  readonly pool: BufferPool;
  readonly writer: SegmentWriter;
  readonly telemetry: Telemetry;
}

/** An append (or appendMany) waiting for room, holding its own copies of the payloads. */
interface QueuedAppend {
  readonly payloads: readonly Uint8Array[];
  readonly startedMicros: number;
  readonly resolve: (offset: number) => void;
  readonly reject: (error: unknown) => void;
  /** Records already admitted; the rest wait. */
  admitted: number;
  firstOffset: number;
}

export class GroupCommit {
  readonly #config: GroupCommitConfig;
  #open: OpenBatch | null = null;
  readonly #sealed: OpenBatch[] = [];
  readonly #queue: QueuedAppend[] = [];
  #writing = false;
  #flushScheduled = false;
  #idleSinceMicros: number;
  #inFlightBytes = 0;
  #queuedRecords = 0;
  #pendingRecords = 0;
  #failure: SeglogError | null = null;
  #nextOffset: number;
  #durableOffset: number;
  #idleWaiters: Array<() => void> = [];

  constructor(config: GroupCommitConfig, nextOffset: number) {
    this.#config = config;
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
    return this.#failure;
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
    if (this.#failure !== null) return Promise.reject(this.#failure);
    const startedMicros = this.#config.clock.nowMicros();
    return new Promise<number>((resolve, reject) => {
      const entry: QueuedAppend = { payloads, startedMicros, resolve, reject, admitted: 0, firstOffset: -1 };
      if (this.#queue.length === 0) this.#admit(entry);
      if (entry.admitted < payloads.length) {
        // Keep our own copies: the caller may reuse its buffers once submit returns.
        const rest = payloads.slice(entry.admitted).map((payload) => payload.slice());
        this.#queue.push({ ...entry, payloads: [...payloads.slice(0, entry.admitted), ...rest] });
        this.#queuedRecords += rest.length;
        this.#config.telemetry.backpressureWaits++;
      }
      this.#scheduleFlush();
    });
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
      entry.admitted++;
      this.#nextOffset++;
      this.#pendingRecords++;
      this.#inFlightBytes += frameBytes;
    }
    const waiter: AppendWaiter = { firstOffset: entry.firstOffset, startedMicros: entry.startedMicros, resolve: entry.resolve, reject: entry.reject };
    this.#open!.waiters.push(waiter);
  }

  /** The open batch if the record fits, else a fresh one (sealing the full one); null if no buffer. */
  #batchWithRoom(payloadBytes: number): OpenBatch | null {
    if (this.#open !== null && this.#open.fits(payloadBytes)) return this.#open;
    const buffer = this.#config.pool.tryAcquire();
    if (buffer === null) return null;
    if (this.#open !== null) this.#sealed.push(this.#open);
    this.#open = new OpenBatch(buffer, this.#nextOffset, this.#config.clock.nowMicros());
    assert(this.#open.fits(payloadBytes), 'a record of maxRecordBytes fits an empty batch');
    return this.#open;
  }

  #drainQueue(): void {
    while (this.#queue.length > 0) {
      const head = this.#queue[0]!;
      const before = head.admitted;
      this.#admit(head);
      this.#queuedRecords -= head.admitted - before;
      if (head.admitted < head.payloads.length) return;
      this.#queue.shift();
    }
  }

  #scheduleFlush(): void {
    if (this.#writing || this.#flushScheduled) return;
    this.#flushScheduled = true;
    // setImmediate lets every append issued in this turn of the event loop join the batch.
    setImmediate(() => this.#flushWhenDue());
  }

  /** Seals and writes when the window has passed; otherwise waits for the rest of it. */
  #flushWhenDue(): void {
    this.#flushScheduled = false;
    if (this.#writing || this.#failure !== null) return;
    if (this.#sealed.length === 0) {
      const open = this.#open;
      if (open === null || open.recordCount === 0) return;
      const dueMicros = Math.max(open.openedMicros, this.#idleSinceMicros) + this.#config.commitWindowMicros;
      const waitMicros = dueMicros - this.#config.clock.nowMicros();
      if (waitMicros > 0) {
        this.#flushScheduled = true;
        // Timers have millisecond resolution; shorter waits re-check on the next loop turn.
        if (waitMicros >= 1000) setTimeout(() => this.#flushWhenDue(), Math.floor(waitMicros / 1000));
        else setImmediate(() => this.#flushWhenDue());
        return;
      }
      this.#sealed.push(open);
      this.#open = null;
    }
    void this.#writeNext();
  }

  async #writeNext(): Promise<void> {
    const batch = this.#sealed.shift();
    if (batch === undefined) return;
    this.#writing = true;
    const { writer, telemetry, logId, blockBytes, clock } = this.#config;
    const bytes = batch.seal(logId, blockBytes);
    try {
      const timings = await writer.writeBatch(bytes, batch.firstOffset);
      telemetry.recordBatch({
        records: batch.recordCount,
        payloadBytes: batch.payloadBytes,
        framedBytes: batch.framedBytes,
        spanBytes: bytes.length,
        ...timings,
      });
    } catch (error) {
      this.#fail(error, batch);
      return;
    }
    this.#complete(batch, clock.nowMicros());
    this.#writing = false;
    this.#idleSinceMicros = clock.nowMicros();
    this.#drainQueue();
    if (this.#sealed.length > 0) void this.#writeNext();
    else if (this.#open !== null && this.#open.recordCount > 0) this.#scheduleFlush();
    else this.#notifyIdle();
  }

  #complete(batch: OpenBatch, nowMicros: number): void {
    assert(batch.firstOffset === this.#durableOffset, 'batches become durable in offset order');
    this.#durableOffset = batch.nextOffset;
    this.#pendingRecords -= batch.recordCount;
    this.#inFlightBytes -= batch.framedBytes - 32;
    this.#config.pool.release(batch.buffer);
    for (const waiter of batch.waiters) {
      this.#config.telemetry.appendLatencyMicros.record(nowMicros - waiter.startedMicros);
      waiter.resolve(waiter.firstOffset);
    }
  }

  /** Sticky failure: reject everything pending with one error; refuse all later appends. */
  #fail(cause: unknown, failed: OpenBatch): void {
    const error = cause instanceof SeglogError ? cause : SeglogError.io('write', 'segment', cause);
    this.#failure = error;
    this.#writing = false;
    const batches = [failed, ...this.#sealed.splice(0), ...(this.#open === null ? [] : [this.#open])];
    this.#open = null;
    for (const batch of batches) {
      this.#config.pool.release(batch.buffer);
      for (const waiter of batch.waiters) waiter.reject(error);
    }
    for (const queued of this.#queue.splice(0)) queued.reject(error);
    this.#pendingRecords = 0;
    this.#queuedRecords = 0;
    this.#inFlightBytes = 0;
    this.#notifyIdle();
  }

  /** Resolves when nothing is pending: every admitted append is durable or has failed. */
  whenIdle(): Promise<void> {
    if (!this.#writing && this.#sealed.length === 0 && (this.#open === null || this.#open.recordCount === 0) && this.#queue.length === 0) {
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #notifyIdle(): void {
    if (this.#queue.length > 0) return;
    for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }

  /** Rejects everything still pending with `error` (used by close after its grace period). */
  abort(error: SeglogError): void {
    if (this.#failure === null) this.#failure = error;
    for (const queued of this.#queue.splice(0)) queued.reject(error);
    this.#queuedRecords = 0;
    this.#notifyIdle();
  }
}
