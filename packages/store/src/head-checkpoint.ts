/**
 * One job: keep `<dir>/HEAD` (format: @seglog/format head-record.ts, docs/format.md) telling how
 * far the log has been acknowledged, so an open can tell a lost acknowledged tail from a torn
 * unacknowledged one (head-check.ts).
 *
 * After acknowledged batches the newest durable end is written to a slot in place: one pwrite on
 * a plain descriptor (never O_DSYNC), at most one in flight, later values coalescing into the next
 * write. While appends keep coming, a write goes out at most once per `writeIntervalMicros`: the
 * acknowledgement of the appends still pending will offer a newer value soon, and a write per batch
 * cost a second system call and two thread wake-ups per batch (at one appender, half its CPU). The
 * value of the last acknowledgement is always written: when nothing is pending a turn of the event
 * loop after it (`writerBusy` says so), it goes out at once. So a reader in another process learns a
 * new end at most about one interval (or one batch, if batches are slower) after it was reached.
 *
 * Which slot: never the one holding the last *flushed* state, nor the one a running flush covers.
 * An unflushed write can be lost whole at a power cut while a later one tears, so if writes simply
 * alternated, the flushed slot could be torn by an overwrite while the other slot's unflushed
 * content vanished: no valid slot (the crash simulator found exactly that). A slot being flushed is
 * left alone too, so that when its flush returns it holds what the flush covered. HEAD has three
 * slots (slot = seq % 3), so one is always free: each write goes to the next seq whose slot is
 * neither, and a write never waits for a flush. With two slots it had to: the fdatasync (up to
 * tens of ms on a loaded machine) held back the next publication, and every follower waited it
 * out (the follow benchmark's p99). HEAD is fdatasynced at most once per `syncIntervalMicros`
 * while the end moves, in the background, and at every segment roll, at close and before every
 * truncation, awaited by the caller while writes go on beside it. No timer: a timer would make
 * simulated runs depend on wall time, and the kernel writes the page back within seconds anyway.
 * The data was durable before its offset is written here, so whatever of HEAD reaches the disk, in
 * whatever order, is a lower bound of what was acknowledged: a crash can make HEAD stale (the
 * window since its last flush), never ahead. The flushed slot survives whole, so at least one
 * slot is valid.
 *
 * A version-1 HEAD (two slots) is rewritten whole as version 2 at open (temp file and rename).
 *
 * A write or flush that fails poisons the log (`onError`), like a failed batch: after fsyncgate
 * nobody knows what the file holds.
 */
import { join } from 'node:path';
import { SeglogError, limits } from '@seglog/types';
import type { Clock, FileHandle, FileIO } from '@seglog/types';
import {
  HEAD_FILE_BYTES,
  HEAD_FILE_NAME,
  HEAD_VERSION,
  decodeHeadFile,
  encodeHeadSlot,
  headSlotOf,
  headSlotPosition,
} from '@seglog/format';
import type { HeadState } from '@seglog/format';
import { readFully } from '@seglog/format';
import { closeAbandoned, closeFlushed, wrapIo } from './io-errors.js';

const HEAD_TMP_NAME = `${HEAD_FILE_NAME}.tmp`;

/**
 * What an open finds: no HEAD file (a new or v1 log), a HEAD with no valid slot, or its newest slot
 * (and the version of the file's layout: 1 is the two-slot HEAD, rewritten at open).
 */
export type FoundHead =
  | { readonly kind: 'missing' }
  | { readonly kind: 'invalid' }
  | { readonly kind: 'valid'; readonly state: HeadState; readonly version?: number };

/** Reads HEAD (and removes a HEAD.tmp left by a crash while creating it). */
export async function readHead(io: FileIO, dir: string): Promise<FoundHead> {
  const path = join(dir, HEAD_FILE_NAME);
  const tmp = join(dir, HEAD_TMP_NAME);
  if ((await wrapIo('stat', tmp, () => io.stat(tmp))) !== null) await wrapIo('unlink', tmp, () => io.unlink(tmp));
  const stat = await wrapIo('stat', path, () => io.stat(path));
  if (stat === null) return { kind: 'missing' };
  const handle = await wrapIo('open', path, () => io.open(path, 'read'));
  try {
    const bytes = new Uint8Array(HEAD_FILE_BYTES);
    const read = await wrapIo('read', path, () => readFully(handle, bytes, 0));
    const found = decodeHeadFile(bytes.subarray(0, read), path);
    return found === null ? { kind: 'invalid' } : { kind: 'valid', state: found.state, version: found.version };
  } finally {
    await closeFlushed(handle); // read only: nothing to lose
  }
}

export interface HeadCheckpointConfig {
  readonly io: FileIO;
  readonly clock: Clock;
  readonly dir: string;
  readonly fileMode: number;
  /** Told once when a write or flush fails; the checkpoint stops writing. */
  readonly onError: (error: unknown) => void;
  readonly syncIntervalMicros?: number;
  /** Told after each slot write completes (HEAD holds a new state): the push wake-up's poke. */
  readonly onWritten?: () => void;
  /** Least time between two writes of the end while the writer is busy (`limits.headWriteIntervalMicros`). */
  readonly writeIntervalMicros?: number;
  /**
   * True while appends are admitted and not yet acknowledged or failed: an acknowledgement will
   * call `advance` again. Absent: every `advance` writes (as soon as the write before it is done).
   */
  readonly writerBusy?: () => boolean;
}

export class HeadCheckpoint {
  readonly #config: HeadCheckpointConfig;
  readonly #path: string;
  readonly #handle: FileHandle;
  /** The last state written (maybe not yet flushed). */
  #state: HeadState;
  /** Seq of the last state known flushed: its slot is never overwritten until another is flushed. */
  #flushedSeq: number;
  /** Seq of the state the running flush covers (null: none runs): its slot is not written meanwhile. */
  #syncingSeq: number | null = null;
  /** The running flush, settled (a failure is reported through `#failed`). */
  #syncing: Promise<void> | null = null;
  #wantedDurableOffset: number;
  /** Every write, and every start of a flush, runs on this chain, one at a time, in order. */
  #tail: Promise<void> = Promise.resolve();
  #catchUpQueued = false;
  /** A look, one event-loop turn after an `advance` that did not write, at whether the writer went idle. */
  #idleCheckQueued = false;
  #lastSyncMicros: number;
  /** When the last write of a slot started (-Infinity before the first). */
  #lastWriteMicros = -Infinity;
  #failure: Error | null = null;
  #closed = false;

  private constructor(config: HeadCheckpointConfig, handle: FileHandle, flushed: HeadState) {
    this.#config = config;
    this.#path = handle.path;
    this.#handle = handle;
    this.#state = flushed;
    this.#flushedSeq = flushed.seq;
    this.#wantedDurableOffset = flushed.durableOffset;
    this.#lastSyncMicros = config.clock.nowMicros();
  }

  /**
   * Writes a fresh HEAD holding `state` in its slot: temp file, fdatasync, rename, directory
   * fsync, so HEAD never exists half-written. Used for a log without one, after an accepted loss,
   * and to rewrite a version-1 (two-slot) HEAD.
   */
  static async create(config: HeadCheckpointConfig, state: HeadState): Promise<HeadCheckpoint> {
    const { io, dir, fileMode } = config;
    const path = join(dir, HEAD_FILE_NAME);
    const tmp = join(dir, HEAD_TMP_NAME);
    const bytes = new Uint8Array(HEAD_FILE_BYTES);
    bytes.set(encodeHeadSlot(state), headSlotPosition(state.seq));
    const handle = await wrapIo('open', tmp, () => io.open(tmp, 'truncate', { fileMode }));
    try {
      await wrapIo('writev', tmp, () => handle.writev([bytes], 0));
      await wrapIo('fdatasync', tmp, () => handle.datasync());
    } finally {
      await closeFlushed(handle); // flushed above, or the error that stopped us is the one to report
    }
    await wrapIo('rename', tmp, () => io.rename(tmp, path));
    await wrapIo('fsync', dir, () => io.syncDir(dir));
    const written = await wrapIo('open', path, () => io.open(path, 'write', { fileMode }));
    return new HeadCheckpoint(config, written, state);
  }

  /**
   * Continues an existing HEAD whose newest valid slot is `state`. That slot is written again,
   * unchanged, and flushed: what an open reads may be an unflushed page (a reopen in the same
   * boot), and only a flushed slot may be the one that later writes leave alone. A HEAD of an older
   * layout (`version` 1: two slots) is rewritten whole instead (`create`): a crash midway leaves the
   * old file, which the next open reads and rewrites again.
   */
  static async open(config: HeadCheckpointConfig, state: HeadState, version = HEAD_VERSION): Promise<HeadCheckpoint> {
    if (version !== HEAD_VERSION) return HeadCheckpoint.create(config, state);
    const path = join(config.dir, HEAD_FILE_NAME);
    const handle = await wrapIo('open', path, () => config.io.open(path, 'write', { fileMode: config.fileMode }));
    try {
      await wrapIo('writev', path, () => handle.writev([encodeHeadSlot(state)], headSlotPosition(state.seq)));
      await wrapIo('fdatasync', path, () => handle.datasync());
    } catch (error) {
      await closeAbandoned(handle);
      throw error;
    }
    return new HeadCheckpoint(config, handle, state);
  }

  /** The newest state written. */
  get state(): HeadState {
    return this.#state;
  }

  /**
   * The log is acknowledged up to `durableOffset`: record it soon. Never throws, never waits. Written
   * now when the last write is an interval old, else once the writer is idle, else left to the
   * `advance` of the next acknowledgement (which carries a newer value).
   */
  advance(durableOffset: number): void {
    if (durableOffset <= this.#wantedDurableOffset || this.#failure !== null || this.#closed) return;
    this.#wantedDurableOffset = durableOffset;
    const { writerBusy, clock } = this.#config;
    const interval = this.#config.writeIntervalMicros ?? limits.headWriteIntervalMicros;
    if (writerBusy === undefined || clock.nowMicros() - this.#lastWriteMicros >= interval) {
      this.#queueCatchUp();
      return;
    }
    if (this.#idleCheckQueued) return;
    this.#idleCheckQueued = true;
    // One turn later, so that appenders resumed by this acknowledgement have appended again if they
    // are going to: then they are pending, and their acknowledgement brings the next `advance`.
    setImmediate(() => {
      this.#idleCheckQueued = false;
      if (!writerBusy()) this.#queueCatchUp();
    });
  }

  #queueCatchUp(): void {
    if (this.#catchUpQueued) return; // the queued pass will write the newest value
    this.#catchUpQueued = true;
    void this.#enqueue(() => {
      this.#catchUpQueued = false;
      return this.#catchUp();
    });
  }

  /** Writes the newest value and flushes HEAD (at a roll and at close). Rejects if HEAD failed. */
  async flush(): Promise<void> {
    await this.#writeFlushed(() => this.#writeDeferred());
  }

  /**
   * Raises the low-water mark to `firstOffset` (at most the durable end) and flushes HEAD, so that
   * the segments below it may be unlinked: after a crash the next open finishes the drop.
   */
  async raiseFirstOffset(firstOffset: number): Promise<void> {
    await this.#writeFlushed(async () => {
      const durableOffset = Math.max(this.#wantedDurableOffset, this.#state.durableOffset);
      const pending = this.#state.pendingTruncation?.kind === 2 ? null : this.#state.pendingTruncation;
      if (firstOffset <= this.#state.firstOffset && pending === this.#state.pendingTruncation) return;
      await this.#writeSlot(durableOffset, Math.max(firstOffset, this.#state.firstOffset), pending);
    });
  }

  /**
   * Records, flushed, that a drop below `offset` is about to be decided (`pendingTruncation` kind
   * 2). Retention holds are read only after this, and a hold setter that sees the intent waits for
   * `raiseFirstOffset` to commit it (retention-holds.ts says why this closes the race).
   */
  async markDropIntent(offset: number): Promise<void> {
    await this.#writeFlushed(async () => {
      const durableOffset = Math.max(this.#wantedDurableOffset, this.#state.durableOffset);
      await this.#writeSlot(durableOffset, this.#state.firstOffset, { kind: 2, offset });
    });
  }

  /**
   * Records, flushed, that the records at `offset` and after are being dropped (`truncateAfter`,
   * `pendingTruncation` kind 1): from here on an open finishes the truncation.
   */
  async markTruncateAfter(offset: number): Promise<void> {
    await this.#writeFlushed(async () => {
      const durableOffset = Math.max(this.#wantedDurableOffset, this.#state.durableOffset);
      await this.#writeSlot(durableOffset, Math.min(this.#state.firstOffset, offset), { kind: 1, offset });
    });
  }

  /**
   * Flushes (when `flush`: not after a failed write), then closes the file. HEAD is not written after
   * this. Without `flush` (the log failed) an end whose write was deferred is still written, unflushed:
   * those records were acknowledged, and readers in other processes should see them before a reopen.
   */
  async close(flush = true): Promise<void> {
    try {
      if (flush && this.#failure === null) await this.flush();
      else await this.#enqueue(() => this.#writeDeferred());
    } finally {
      this.#closed = true;
      await this.#tail;
      if (this.#syncing !== null) await this.#syncing; // a background flush still running (never rejects)
      await closeFlushed(this.#handle);
    }
  }

  /** Runs `operation` after everything queued before it; a failure stops all later ones. */
  #enqueue(operation: () => Promise<void>): Promise<void> {
    this.#tail = this.#tail.then(async () => {
      if (this.#failure !== null || this.#closed) return;
      try {
        await operation();
      } catch (error) {
        this.#failed(error);
      }
    });
    return this.#tail;
  }

  /** Writes the newest wanted value if a write of it was deferred; never flushes. */
  async #writeDeferred(): Promise<void> {
    if (this.#wantedDurableOffset > this.#state.durableOffset) await this.#writeSlot(this.#wantedDurableOffset);
  }

  /**
   * Writes the newest wanted value; starts a background flush when the last one is an interval old
   * and none is running (later writes go to a third slot meanwhile).
   */
  async #catchUp(): Promise<void> {
    if (this.#wantedDurableOffset > this.#state.durableOffset) await this.#writeSlot(this.#wantedDurableOffset);
    if (this.#state.seq === this.#flushedSeq || this.#syncing !== null) return;
    if (this.#config.clock.nowMicros() - this.#lastSyncMicros >= this.#interval) void this.#startSync();
  }

  /**
   * Runs `write` on the chain, then waits until a flush covers what HEAD holds after it. The chain
   * is not held meanwhile: later writes go on beside the flush. Rejects if HEAD failed.
   */
  async #writeFlushed(write: () => Promise<void>): Promise<void> {
    let target = -1;
    await this.#enqueue(async () => {
      await write();
      target = this.#state.seq;
    });
    // A flush starts only on the chain, where no write is in flight: it then covers the last
    // completed write, and no write can land in that slot while it runs (`#nextSeq`).
    while (this.#failure === null && !this.#closed && this.#flushedSeq < target) {
      if (this.#syncing !== null) await this.#syncing;
      else {
        await this.#enqueue(async () => {
          if (this.#syncing === null && this.#flushedSeq < target) void this.#startSync();
        });
      }
    }
    this.#throwIfFailed();
  }

  #throwIfFailed(): void {
    if (this.#failure !== null) throw this.#failure;
  }

  get #interval(): number {
    return this.#config.syncIntervalMicros ?? limits.headSyncIntervalMicros;
  }

  /**
   * The next seq after the last one written whose slot is neither the flushed slot nor the one
   * being flushed; with three slots one of the next three always qualifies.
   */
  #nextSeq(): number {
    const flushed = headSlotOf(this.#flushedSeq);
    const syncing = this.#syncingSeq === null ? flushed : headSlotOf(this.#syncingSeq);
    let seq = this.#state.seq + 1;
    while (headSlotOf(seq) === flushed || headSlotOf(seq) === syncing) seq++;
    return seq;
  }

  async #writeSlot(
    durableOffset: number,
    firstOffset = this.#state.firstOffset,
    pendingTruncation = this.#state.pendingTruncation,
  ): Promise<void> {
    const seq = this.#nextSeq();
    const writtenAtMs = Date.now();
    this.#lastWriteMicros = this.#config.clock.nowMicros();
    const next: HeadState = { ...this.#state, seq, durableOffset, firstOffset, pendingTruncation, writtenAtMs };
    await wrapIo('writev', this.#path, () => this.#handle.writev([encodeHeadSlot(next)], headSlotPosition(next.seq)));
    this.#state = next;
    this.#config.onWritten?.();
  }

  /**
   * Starts an fdatasync covering the last completed write; called on the chain only, so no write is
   * in flight. Never rejects: a failure poisons the log through `#failed`.
   */
  #startSync(): Promise<void> {
    const seq = this.#state.seq;
    this.#syncingSeq = seq;
    const syncing = wrapIo('fdatasync', this.#path, () => this.#handle.datasync()).then(
      () => {
        this.#flushedSeq = Math.max(this.#flushedSeq, seq);
        this.#lastSyncMicros = this.#config.clock.nowMicros();
      },
      (error: unknown) => this.#failed(error),
    );
    this.#syncing = syncing.finally(() => {
      this.#syncingSeq = null;
      this.#syncing = null;
    });
    return this.#syncing;
  }

  #failed(error: unknown): void {
    if (this.#failure !== null) return;
    // wrapIo turns every file error into a SeglogError; anything else is kept as the cause.
    this.#failure = error instanceof Error ? error : SeglogError.io('write', this.#path, error);
    this.#config.onError(error);
  }
}
