/**
 * One job: the public Log: open (lock, recover, resume), append, metrics, close. It wires the
 * pieces and enforces the lifecycle; group-commit.ts does the batching and segment-writer.ts the
 * writing.
 */
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { SeglogError } from '@seglog/types';
import type { DirLock, LogMetrics, LogOptions } from '@seglog/types';
import { BufferPool } from '@seglog/bufpool';
import { LOG_ID_BYTES, equalBytes } from '@seglog/format';
import type { HeadState } from '@seglog/format';
import { GroupCommit } from './group-commit.js';
import { checkHead } from './head-check.js';
import { DurableListeners } from './durable-listeners.js';
import { PushWakeUp } from './push-wake-up.js';
import { dropSegmentsBelow } from './segment-dropper.js';
import { raiseLowWater } from './low-water.js';
import type { TruncateBeforeResult } from './low-water.js';
import { Retention } from './retention.js';
import { segmentLastAppendMs } from './segment-age.js';
import type { LostRecords } from './head-check.js';
import { HeadCheckpoint, readHead } from './head-checkpoint.js';
import type { FoundHead } from './head-checkpoint.js';
import { truncateTailOnDisk } from './tail-truncation.js';
import { wrapIo } from './io-errors.js';
import { resolveOptions } from './options.js';
import type { ResolvedOptions } from './options.js';
import { recoverLog } from './recovery.js';
import { emptyRecoveryReport } from './recovery.js';
import type { RecoveryReport } from './recovery.js';
import { SegmentWriter } from './segment-writer.js';
import { checkTailPrefix } from './tail-prefix-check.js';
import { Telemetry } from './telemetry.js';
import { WindowPolicy } from './window-policy.js';

type State = 'open' | 'closing' | 'closed';

/** What a Log is made of; `truncateAfter` replaces the writing side (writer, commit, head). */
interface LogParts {
  options: ResolvedOptions;
  lock: DirLock;
  pool: BufferPool;
  writer: SegmentWriter;
  commit: GroupCommit;
  telemetry: Telemetry;
  window: WindowPolicy;
  firstOffset: number;
  recovery: RecoveryReport;
  head: HeadCheckpoint;
  durableListeners: DurableListeners;
  lostRecords: LostRecords | null;
  pushWakeUp: PushWakeUp;
}

/** The parts a reopen of the writing side keeps, so metrics and followers' hooks carry on. */
type SharedParts = Pick<LogParts, 'pool' | 'telemetry' | 'window' | 'durableListeners'>;

/** What `truncateAfter` did. */
export interface TruncateAfterResult {
  /** The log's end now: `nextOffset` and `durableOffset` (the offset truncated at). */
  readonly nextOffset: number;
  /** Acknowledged records dropped (their offsets are handed out again). */
  readonly recordsDropped: number;
  /** HEAD's `truncateEpoch` now, bumped by the truncation (0 records dropped: unchanged). */
  readonly truncateEpoch: number;
}

export type { TruncateBeforeResult } from './low-water.js';

/** Options of `truncateBefore`. */
export interface TruncateBeforeOptions {
  /**
   * Drop past retention holds too. The result's `overriddenHolds` names the holds whose records
   * went; their holders get SEGLOG_BEHIND_RETENTION when they read there. Default false: the mark
   * stops at the lowest hold, and `heldBy` says which.
   */
  readonly force?: boolean;
}

export class Log {
  readonly dir: string;
  readonly recovery: RecoveryReport;
  /**
   * Acknowledged offsets this open found missing and, under `acceptDataLoss`, gave up: they are
   * handed out again. Null when nothing was lost (always, without `acceptDataLoss`).
   */
  readonly lostRecords: LostRecords | null;
  readonly #options: ResolvedOptions;
  #head: HeadCheckpoint;
  readonly #lock: DirLock;
  readonly #pool: BufferPool;
  // Replaced by truncateAfter, which closes the writing side and opens it again on the cut log.
  #writer: SegmentWriter;
  #commit: GroupCommit;
  /** While truncateAfter runs: appends wait for it (copies of their payloads). */
  #gate: Promise<void> | null = null;
  /** Set when a truncateAfter failed after closing the writing side: the log must be reopened. */
  #broken: Error | null = null;
  /** The offset of the truncateAfter in progress (see `pendingTruncation`). */
  #pendingTruncation: number | undefined = undefined;
  readonly #telemetry: Telemetry;
  readonly #window: WindowPolicy;
  readonly #durableListeners: DurableListeners;
  readonly #pushWakeUp: PushWakeUp;
  readonly #retention: Retention;
  #firstOffset: number;
  /** Truncations run one at a time, in call order. */
  #truncating: Promise<unknown> = Promise.resolve();
  #state: State = 'open';
  #closing: Promise<void> | null = null;

  /** @internal Use openLog. */
  constructor(parts: LogParts) {
    this.#retention = new Retention(
      {
        io: parts.options.io,
        dir: parts.options.dir,
        policy: parts.options.retention,
        raise: (offset) => this.#raise(offset, false),
        lastAppendMs: (segment) => segmentLastAppendMs(parts.options.io, parts.options.dir, segment),
      },
      parts.firstOffset,
    );
    this.dir = parts.options.dir;
    this.#options = parts.options;
    this.#lock = parts.lock;
    this.#pool = parts.pool;
    this.#writer = parts.writer;
    this.#commit = parts.commit;
    this.#telemetry = parts.telemetry;
    this.#window = parts.window;
    this.#firstOffset = parts.firstOffset;
    this.recovery = parts.recovery;
    this.#head = parts.head;
    this.lostRecords = parts.lostRecords;
    this.#durableListeners = parts.durableListeners;
    this.#pushWakeUp = parts.pushWakeUp;
  }

  /**
   * The low-water mark: the oldest readable offset. It rises with `truncateBefore`, also when the
   * mark falls inside a segment (the records below it stay in the file but are no longer readable).
   */
  get firstOffset(): number {
    return this.#firstOffset;
  }

  /**
   * Drops every record below `offset`: raises the low-water mark to `offset` durably (HEAD,
   * flushed) first, then unlinks the segments that hold only records below it, then fsyncs the
   * directory (low-water.ts). A crash anywhere in between is finished by the next open. `offset`
   * must be within [firstOffset, durableOffset]; a mark at or below the current one changes
   * nothing. Retention holds below `offset` stop the mark at the lowest of them unless
   * `{ force: true }`. Resolves with the new first offset, the whole segments (and bytes) dropped,
   * and the holds that stopped it (`heldBy`) or that a forced drop went past (`overriddenHolds`).
   * O(1) per segment.
   */
  truncateBefore(offset: number, options: TruncateBeforeOptions = {}): Promise<TruncateBeforeResult> {
    if (this.#state !== 'open') return Promise.reject(SeglogError.closed(`log ${this.dir}`));
    if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
      return Promise.reject(SeglogError.invalidOption('truncateBefore offset', `must be a non-negative safe integer, got ${String(offset)}`));
    }
    if (typeof options !== 'object' || options === null || (options.force !== undefined && typeof options.force !== 'boolean')) {
      return Promise.reject(SeglogError.invalidOption('truncateBefore options', 'must be { force?: boolean }'));
    }
    if (offset > this.durableOffset) {
      return Promise.reject(SeglogError.outOfRange(offset, this.#firstOffset, this.durableOffset));
    }
    return this.#raise(offset, options.force === true);
  }

  /**
   * Drops the records at `offset` and after (to roll back what a failed transaction appended):
   * waits for the appends in flight, records the truncation in HEAD (flushed), cuts the segments
   * on disk (tail-truncation.ts) and reopens the writing side on the cut log. `nextOffset` and
   * `durableOffset` become `offset`, and those offsets are handed out again to later appends:
   * a reader in any process that had read past `offset` gets SEGLOG_TRUNCATED. A crash at any
   * point is finished by the next open. Appends made while it runs wait and then follow it.
   * `offset` must be within [firstOffset, durableOffset] once the appends in flight are durable
   * (SEGLOG_OUT_OF_RANGE otherwise); at `durableOffset` nothing changes. Runs one at a time with
   * `truncateBefore` and retention passes.
   */
  truncateAfter(offset: number): Promise<TruncateAfterResult> {
    if (this.#state !== 'open') return Promise.reject(SeglogError.closed(`log ${this.dir}`));
    if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
      const problem = `must be a non-negative safe integer, got ${String(offset)}`;
      return Promise.reject(SeglogError.invalidOption('truncateAfter offset', problem));
    }
    let release = (): void => undefined;
    // Appends from now on follow the truncation, also while an earlier one still runs.
    const gate = new Promise<void>((resolve) => (release = resolve));
    this.#gate = gate;
    const run = this.#truncating.then(async () => {
      try {
        return await this.#truncateAfter(offset);
      } finally {
        if (this.#gate === gate) this.#gate = null;
        release();
      }
    });
    this.#truncating = run.catch(() => undefined);
    return run;
  }

  async #truncateAfter(offset: number): Promise<TruncateAfterResult> {
    await this.#commit.whenIdle();
    const failure = this.#broken ?? this.#commit.failure;
    if (failure !== null) throw failure;
    const end = this.durableOffset;
    if (offset < this.#firstOffset || offset > end) throw SeglogError.outOfRange(offset, this.#firstOffset, end);
    if (offset === end) return { nextOffset: end, recordsDropped: 0, truncateEpoch: this.#head.state.truncateEpoch };
    // In-process readers stop at the cut from now on, as HEAD's pending truncation tells others.
    this.#pendingTruncation = offset;
    try {
      await this.#head.markTruncateAfter(offset);
    } catch (error) {
      this.#pendingTruncation = undefined; // not announced: the log goes on with its old end
      throw error;
    }
    try {
      // Close the writing side (the lock stays), then open it again: the open finishes the
      // truncation HEAD records, exactly as after a crash.
      this.#commit.abort(SeglogError.closed(`log ${this.dir}`));
      await this.#head.close(true);
      await this.#writer.close();
      const shared: SharedParts = {
        pool: this.#pool,
        telemetry: this.#telemetry,
        window: this.#window,
        durableListeners: this.#durableListeners,
      };
      const parts = await openParts(this.#options, shared, this.#pushWakeUp);
      this.#writer = parts.writer;
      this.#commit = parts.commit;
      this.#head = parts.head;
      this.#firstOffset = parts.firstOffset;
      // Cleared in the same step that swaps in the cut log (new epoch and end): a reader never sees
      // the old end without the pending cut. A failure leaves it set: the cut stays announced (the
      // log is broken until reopened, and the next open finishes the truncation).
      this.#pendingTruncation = undefined;
    } catch (error) {
      this.#broken = error instanceof Error ? error : SeglogError.io('truncateAfter', this.dir, error);
      throw this.#broken;
    }
    this.#retention.noteTruncateAfter(end - offset, this.#firstOffset);
    await this.#retention.measure();
    this.#durableListeners.notify(this.durableOffset);
    return { nextOffset: offset, recordsDropped: end - offset, truncateEpoch: this.#head.state.truncateEpoch };
  }

  /** Bumped by every `truncateAfter` and every accepted loss: offsets from `truncatedAt` on were reused. */
  get truncateEpoch(): number {
    return this.#head.state.truncateEpoch;
  }

  /** Where the newest reuse of offsets began (see `truncateEpoch`); 0 before any. */
  get truncatedAt(): number {
    return this.#head.state.truncatedAt;
  }

  /**
   * The offset of a `truncateAfter` in progress, from just before HEAD announces it until the cut
   * log is reopened (or for good, if it failed after the announcement); undefined otherwise. An
   * in-process reader (`openReader({ dir, log })`) ends at it meanwhile, as HEAD's pending truncation
   * makes readers in other processes do: the chain may end below it until the split batch's copy is
   * renamed into place.
   */
  get pendingTruncation(): number | undefined {
    return this.#pendingTruncation;
  }

  /** Runs one automatic retention pass now (it also runs every `retention.intervalMs`). */
  async applyRetention(): Promise<void> {
    if (this.#state !== 'open') throw SeglogError.closed(`log ${this.dir}`);
    await this.#retention.runPass();
  }

  /** The one path that raises the low-water mark: calls run one at a time, in call order. */
  #raise(offset: number, force: boolean): Promise<TruncateBeforeResult> {
    const run = this.#truncating.then(async () => {
      const before = this.#firstOffset;
      const { io } = this.#options;
      const result = await raiseLowWater({ io, dir: this.dir, head: this.#head, current: before, offset, force });
      this.#firstOffset = result.firstOffset;
      this.#retention.noteRaise(result, before);
      if (result.segmentsDropped > 0) await this.#retention.measure();
      return result;
    });
    this.#truncating = run.catch(() => undefined);
    return run;
  }

  /** @internal Starts background retention; openLog calls it once the log is whole. */
  startRetention(): Promise<void> {
    return this.#retention.start();
  }

  /** The offset the next append will get. Readable after close (the end the log was left at). */
  get nextOffset(): number {
    return this.#commit.nextOffset;
  }

  /** One past the last durable (acknowledged) offset. Readable after close. */
  get durableOffset(): number {
    return this.#commit.durableOffset;
  }

  /**
   * Calls `listener` with the new `durableOffset` each time a batch becomes durable (before its
   * appends resolve); returns a function that unsubscribes. A wake-up hook for followers in this
   * process: keep it cheap, it runs inside the acknowledgement path.
   */
  onDurable(listener: (durableOffset: number) => void): () => void {
    return this.#durableListeners.add(listener);
  }

  /**
   * Appends one record; resolves with its offset once it and everything before it is durable.
   * `payload` may be reused as soon as this returns.
   */
  append(payload: Uint8Array): Promise<number> {
    const payloads = [payload];
    return this.#refuse(payloads) ?? this.#submit(payloads);
  }

  /** Appends a contiguous run; resolves with the first offset once all of it is durable. */
  appendMany(payloads: readonly Uint8Array[]): Promise<number> {
    if (!Array.isArray(payloads) || payloads.length === 0) {
      return Promise.reject(new TypeError('appendMany needs a non-empty array of Uint8Array'));
    }
    return this.#refuse(payloads) ?? this.#submit(payloads);
  }

  /** Submits now, or, while truncateAfter runs, after it (copies: the caller may reuse its buffers). */
  #submit(payloads: readonly Uint8Array[]): Promise<number> {
    if (this.#gate === null) return this.#commit.submit(payloads);
    const copies = payloads.map((payload) => payload.slice());
    return this.#gate.then(() => this.#refuse(copies) ?? this.#commit.submit(copies));
  }

  #refuse(payloads: readonly Uint8Array[]): Promise<never> | null {
    if (this.#state !== 'open') return Promise.reject(SeglogError.closed(`log ${this.dir}`));
    const failure = this.#broken ?? this.#commit.failure;
    if (failure !== null) return Promise.reject(failure);
    for (const payload of payloads) {
      if (!(payload instanceof Uint8Array)) return Promise.reject(new TypeError('payload must be a Uint8Array'));
      if (payload.length > this.#options.maxRecordBytes) {
        return Promise.reject(SeglogError.recordTooLarge(payload.length, this.#options.maxRecordBytes));
      }
    }
    return null;
  }

  metrics(): LogMetrics {
    const snapshot = this.#telemetry.snapshot({
      nowMicros: this.#options.clock.nowMicros(),
      queueDepth: this.#commit.queueDepth,
      inFlightBytes: this.#commit.inFlightBytes,
      commitWindow: this.#window.snapshot(),
      pool: this.#pool.metrics(),
    });
    return { ...snapshot, retention: this.#retention.snapshot() };
  }

  /**
   * Lets pending appends finish (they resolve, or reject if their batch fails), then flushes the
   * index and HEAD, closes files, deletes a prepared next segment and releases the lock. Later
   * appends reject with SEGLOG_CLOSED; `metrics()`, `nextOffset` and `durableOffset` still answer
   * (the final figures). Idempotent: every call returns the same promise.
   */
  close(): Promise<void> {
    if (this.#closing !== null) return this.#closing;
    this.#state = 'closing';
    this.#closing = (async () => {
      // A truncation or retention pass in progress finishes first (truncateAfter swaps the writer).
      await this.#retention.stop().catch(() => undefined);
      await this.#truncating;
      await this.#commit.whenIdle();
      // After a failed write nothing more is flushed (fsyncgate): HEAD keeps what it has.
      const healthy = this.#commit.failure === null;
      this.#commit.abort(SeglogError.closed(`log ${this.dir}`));
      // Every step runs even if one before it failed, so the lock is always released; the
      // first failure is what close reports.
      const first: { failure: Error | null } = { failure: null };
      const step = async (run: () => Promise<void>): Promise<void> => {
        await run().catch((error: unknown) => {
          // Every step reports SeglogErrors; a foreign value is kept as the cause of an I/O error.
          first.failure ??= error instanceof Error ? error : SeglogError.io('close', this.dir, error);
        });
      };
      await step(() => this.#retention.stop()); // no pass starts after this; one in progress finishes
      await step(() => this.#truncating.then(() => undefined)); // a truncation in progress finishes first
      await step(() => this.#head.close(healthy));
      await step(() => this.#writer.close());
      await step(() => this.#pushWakeUp.close()); // while the lock is held: the next writer's socket is its own
      this.#pool.close();
      await step(() => this.#lock.release());
      this.#state = 'closed';
      if (first.failure !== null) throw first.failure;
    })();
    return this.#closing;
  }

  /** `await using log = await openLog(...)` closes the log when the scope ends. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** Sizes the batch pool: one buffer per batch that can be alive at once, worked out term by term. */
function poolBytesCap(options: ResolvedOptions): number {
  const batchesFullOfInFlight = Math.ceil(options.maxInFlightBytes / options.maxBatchBytes);
  let buffers = 0;
  buffers += 2 * batchesFullOfInFlight; // sealed batches, each at least half full when records alternate in size
  buffers += 1; // the open batch
  buffers += options.maxBatchesInFlight; // the batches in the kernel
  return buffers * options.maxBatchBytes;
}

/** Opens (creating if needed) the log in `options.dir`: lock, recover, resume. */
export async function openLog(options: LogOptions): Promise<Log> {
  const resolved = resolveOptions(options);
  const { io, dir, fileMode } = resolved;
  await ensureDirectory(resolved);
  const lock = await wrapIo('lock', dir, () => io.lock(dir, { fileMode }));
  try {
    return await openLocked(resolved, lock);
  } catch (error) {
    // Why the open failed is what the caller must see. A lock that fails to release names this
    // process, so it is stale as soon as the process exits and the next opener takes it over.
    await lock.release().catch(() => undefined);
    throw error;
  }
}

async function ensureDirectory({ io, dir, dirMode }: ResolvedOptions): Promise<void> {
  const stat = await wrapIo('stat', dir, () => io.stat(dir));
  if (stat !== null && !stat.isDirectory) throw SeglogError.invalidOption('dir', `${dir} exists and is not a directory`);
  if (stat === null) {
    // A new directory's entry is durable only once its parent is fsynced, and mkdirp may create
    // several levels: find them all first, then fsync the parent of each, outermost first.
    const created = [dir];
    for (let parent = dirname(dir); parent !== dirname(parent) && (await wrapIo('stat', parent, () => io.stat(parent))) === null; parent = dirname(parent)) {
      created.unshift(parent);
    }
    await wrapIo('mkdir', dir, () => io.mkdirp(dir, dirMode));
    for (const child of created) {
      const parent = dirname(child);
      await wrapIo('fsync', parent, () => io.syncDir(parent));
    }
  }
}

/** Opens the parts under the lock, then the Log, then starts its background retention. */
async function openLocked(options: ResolvedOptions, lock: DirLock): Promise<Log> {
  const pushWakeUp = await PushWakeUp.start(options.io, options.dir, options.fileMode);
  let parts: Omit<LogParts, 'lock' | 'pushWakeUp'>;
  try {
    parts = await openParts(options, null, pushWakeUp);
  } catch (error) {
    await pushWakeUp.close();
    throw error;
  }
  const log = new Log({ ...parts, lock, pushWakeUp });
  try {
    await log.startRetention();
  } catch (error) {
    await log.close().catch(() => undefined);
    throw error;
  }
  return log;
}

/**
 * A truncation after an offset that HEAD records as pending (kind 1) is carried out on disk
 * before recovery looks at the segments; HEAD then continues in another slot (so a torn write
 * leaves the pending one, and the truncation is simply finished again) with the end at the offset,
 * the epoch bumped and `truncatedAt` set.
 */
async function finishPendingTruncation(options: ResolvedOptions, found: FoundHead): Promise<FoundHead> {
  if (found.kind !== 'valid' || found.state.pendingTruncation?.kind !== 1) return found;
  const { state } = found;
  const offset = state.pendingTruncation!.offset;
  await truncateTailOnDisk({ io: options.io, dir: options.dir, offset, fileMode: options.fileMode });
  return {
    kind: 'valid',
    version: found.version,
    state: {
      ...state,
      seq: state.seq + 1,
      durableOffset: Math.min(state.durableOffset, offset),
      firstOffset: Math.min(state.firstOffset, offset),
      truncateEpoch: state.truncateEpoch + 1,
      truncatedAt: offset,
      pendingTruncation: null,
    },
  };
}

/**
 * Recovers, checks HEAD, then opens the pieces in order; on failure closes what it opened.
 * `shared` (from truncateAfter) keeps the pool, telemetry, window and durable listeners.
 */
async function openParts(
  options: ResolvedOptions,
  shared: SharedParts | null,
  pushWakeUp: PushWakeUp,
): Promise<Omit<LogParts, 'lock' | 'pushWakeUp'>> {
  const { io, dir } = options;
  const found = await finishPendingTruncation(options, await readHead(io, dir));
  const vouch = found.kind === 'valid' ? { logId: found.state.logId, durableOffset: found.state.durableOffset } : null;
  const recovered = await recoverLog({ io, dir, indexIntervalBytes: options.indexIntervalBytes, head: vouch });
  if (recovered !== null && options.blockBytesExplicit && recovered.blockBytes !== options.blockBytes) {
    const problem = `is ${options.blockBytes} but the log in ${dir} uses ${recovered.blockBytes}`;
    throw SeglogError.invalidOption('blockBytes', problem);
  }
  const nextOffset = recovered?.nextOffset ?? options.firstOffset;
  const lastSegment = recovered?.segments[recovered.segments.length - 1];
  const tail =
    recovered === null || lastSegment === undefined
      ? null
      : { file: lastSegment.path, positionBytes: recovered.tailPositionBytes };
  const checked = checkHead({
    dir,
    found,
    recoveredEnd: nextOffset,
    logId: recovered?.logId ?? null,
    tail,
    acceptDataLoss: options.acceptDataLoss,
  });
  // HEAD's low-water mark above the first segment: a truncateBefore raised it and a crash may have
  // cut its unlinks short. Finish them; the mark itself holds either way.
  let firstOffset = recovered?.firstOffset ?? options.firstOffset;
  const markedFirst = Math.min(checked.continueFrom?.firstOffset ?? 0, nextOffset);
  if (recovered !== null && markedFirst > firstOffset) {
    await dropSegmentsBelow(io, dir, markedFirst);
    firstOffset = markedFirst;
  }
  if (recovered !== null && options.firstOffset > firstOffset) {
    const problem = `is ${options.firstOffset} but the log in ${dir} starts at ${firstOffset}; an existing log keeps its offsets`;
    throw SeglogError.invalidOption('firstOffset', problem);
  }
  const blockBytes = recovered?.blockBytes ?? options.blockBytes;
  const effective: ResolvedOptions = { ...options, blockBytes };
  if (recovered !== null && options.logId !== null && !equalBytes(recovered.logId, options.logId)) {
    const problem = `differs from the id of the existing log in ${dir}; an existing log keeps its id`;
    throw SeglogError.invalidOption('logId', problem);
  }
  const logId = recovered?.logId ?? options.logId ?? new Uint8Array(randomBytes(LOG_ID_BYTES));
  const telemetry =
    shared?.telemetry ??
    new Telemetry({
      maxBatchBytes: effective.maxBatchBytes,
      recentIntervalMicros: effective.recentIntervalMicros,
    });
  // The writer flushes HEAD at each roll; HEAD is opened after the writer (see below), hence the
  // late binding.
  let head: HeadCheckpoint | null = null;
  const onRoll = (): Promise<void> => head?.flush() ?? Promise.resolve();
  const writer = new SegmentWriter({ ...effective, logId, telemetry, onRoll });
  let commit: GroupCommit | null = null;
  try {
    if (recovered === null) await writer.createFirst(options.firstOffset);
    else {
      await writer.resume({
        baseOffset: recovered.segments[recovered.segments.length - 1]!.baseOffset,
        positionBytes: recovered.tailPositionBytes,
        index: recovered.tailIndex,
        rewriteFromBytes: recovered.tailRewriteFromBytes,
        staleEndBytes: recovered.tailStaleEndBytes,
        formatVersion: recovered.tailFormatVersion,
        seal: { ...recovered.tailSeal },
      });
    }
    // Only now is everything up to nextOffset durable (resume rewrote the batches that may not
    // have been), so only now may a fresh HEAD say so.
    const headConfig = {
      io: effective.io,
      clock: effective.clock,
      dir: effective.dir,
      fileMode: effective.fileMode,
      onError: (error: unknown) => commit?.poison(error),
      onWritten: () => pushWakeUp.poke(),
      // Appends admitted but not yet acknowledged will bring a newer durable end (head-checkpoint.ts).
      writerBusy: () => (commit?.queueDepth ?? 0) > 0,
    };
    // A drop intent (kind 2) left by a crash is cleared, not carried out: the holds are read again
    // by the next pass or call (low-water.ts).
    const continued = checked.continueFrom;
    const clearIntent = continued?.pendingTruncation?.kind === 2;
    const resumed = clearIntent ? { ...continued, seq: continued.seq + 1, pendingTruncation: null } : continued;
    head =
      resumed !== null
        ? await HeadCheckpoint.open(headConfig, resumed, found.kind === 'valid' ? found.version : undefined)
        : await HeadCheckpoint.create(headConfig, {
            ...freshHead(found.kind === 'valid' ? found.state.seq + 1 : 0, logId, firstOffset, nextOffset, checked.truncateEpoch),
            // After an accepted loss the offsets from the recovered end on are handed out again.
            truncatedAt: checked.lost !== null ? nextOffset : found.kind === 'valid' ? found.state.truncatedAt : 0,
          });
    // Recovery may find acknowledged records that HEAD's last write missed (a crash between a
    // flush and its HEAD write): they are durable, so readers in other processes may see them now.
    head.advance(nextOffset);
    await head.flush();
  } catch (error) {
    await writer.close().catch(() => undefined);
    throw error;
  }
  const poolSize = { bufferBytes: effective.maxBatchBytes, bytesCap: poolBytesCap(effective) };
  const pool = shared?.pool ?? new BufferPool(poolSize);
  const window = shared?.window ?? new WindowPolicy(effective.commitWindow, effective.clock.nowMicros());
  const checkpoint = head;
  const durableListeners = shared?.durableListeners ?? new DurableListeners();
  commit = new GroupCommit(
    {
      dir: effective.dir,
      logId,
      blockBytes,
      maxBatchBytes: effective.maxBatchBytes,
      maxBatchRecords: effective.maxBatchRecords,
      maxInFlightBytes: effective.maxInFlightBytes,
      maxQueuedBytes: effective.maxQueuedBytes,
      clock: effective.clock,
      pool,
      writer,
      telemetry,
      window,
      depth: effective.maxBatchesInFlight,
      appendTimeFloorMs: recovered?.lastAppendTimeMs,
      onDurable: (durableOffset) => {
        checkpoint.advance(durableOffset);
        durableListeners.notify(durableOffset);
      },
    },
    nextOffset,
  );
  const trusted = recovered?.tailTrusted ?? null;
  if (trusted !== null && lastSegment !== undefined) {
    // Open did not scan the start of the last segment (HEAD vouches for it): verify it now, in the
    // background. Damage there is acknowledged data damaged, so the log refuses writes from then on.
    const target = { io, path: lastSegment.path, baseOffset: lastSegment.baseOffset, logId, blockBytes, trusted };
    const counting = checkTailPrefix(target);
    const failed = commit;
    counting.catch((error: unknown) => failed.poison(error));
    writer.countTrusted(counting);
  }
  return {
    options: effective,
    pool,
    writer,
    commit,
    telemetry,
    window,
    firstOffset,
    recovery: recovered?.report ?? emptyRecoveryReport,
    head: checkpoint,
    durableListeners,
    lostRecords: checked.lost,
  };
}

function freshHead(
  seq: number,
  logId: Uint8Array,
  firstOffset: number,
  durableOffset: number,
  truncateEpoch: number,
): HeadState {
  const writtenAtMs = Date.now();
  const pendingTruncation = null;
  return { seq, logId, durableOffset, firstOffset, truncateEpoch, pendingTruncation, writtenAtMs, truncatedAt: 0 };
}
