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
import { dropSegmentsBelow } from './segment-dropper.js';
import { raiseLowWater } from './low-water.js';
import type { TruncateBeforeResult } from './low-water.js';
import { Retention } from './retention.js';
import type { LostRecords } from './head-check.js';
import { HeadCheckpoint, readHead } from './head-checkpoint.js';
import { wrapIo } from './io-errors.js';
import { resolveOptions } from './options.js';
import type { ResolvedOptions } from './options.js';
import { recoverLog } from './recovery.js';
import type { RecoveryReport } from './recovery.js';
import { SegmentWriter } from './segment-writer.js';
import { Telemetry } from './telemetry.js';
import { WindowPolicy } from './window-policy.js';

type State = 'open' | 'closing' | 'closed';

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
  readonly #head: HeadCheckpoint;
  readonly #lock: DirLock;
  readonly #pool: BufferPool;
  readonly #writer: SegmentWriter;
  readonly #commit: GroupCommit;
  readonly #telemetry: Telemetry;
  readonly #window: WindowPolicy;
  readonly #durableListeners: DurableListeners;
  readonly #retention: Retention;
  #firstOffset: number;
  /** Truncations run one at a time, in call order. */
  #truncating: Promise<unknown> = Promise.resolve();
  #state: State = 'open';
  #closing: Promise<void> | null = null;

  /** @internal Use openLog. */
  constructor(parts: {
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
  }) {
    this.#retention = new Retention(
      {
        io: parts.options.io,
        dir: parts.options.dir,
        policy: parts.options.retention,
        raise: (offset) => this.#raise(offset, false),
        lastAppendMs: () => Promise.resolve(undefined),
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
    return this.#refuse(payloads) ?? this.#commit.submit(payloads);
  }

  /** Appends a contiguous run; resolves with the first offset once all of it is durable. */
  appendMany(payloads: readonly Uint8Array[]): Promise<number> {
    if (!Array.isArray(payloads) || payloads.length === 0) {
      return Promise.reject(new TypeError('appendMany needs a non-empty array of Uint8Array'));
    }
    return this.#refuse(payloads) ?? this.#commit.submit(payloads);
  }

  #refuse(payloads: readonly Uint8Array[]): Promise<never> | null {
    if (this.#state !== 'open') return Promise.reject(SeglogError.closed(`log ${this.dir}`));
    const failure = this.#commit.failure;
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
  buffers += 1; // the batch in the kernel
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

/** Recovers, checks HEAD, then opens the pieces in order; on failure closes what it opened. */
async function openLocked(options: ResolvedOptions, lock: DirLock): Promise<Log> {
  const { io, dir } = options;
  const recovered = await recoverLog({ io, dir, indexIntervalBytes: options.indexIntervalBytes });
  if (recovered !== null && options.blockBytesExplicit && recovered.blockBytes !== options.blockBytes) {
    const problem = `is ${options.blockBytes} but the log in ${dir} uses ${recovered.blockBytes}`;
    throw SeglogError.invalidOption('blockBytes', problem);
  }
  const found = await readHead(io, dir);
  const nextOffset = recovered?.nextOffset ?? 0;
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
  let firstOffset = recovered?.firstOffset ?? 0;
  const markedFirst = Math.min(checked.continueFrom?.firstOffset ?? 0, nextOffset);
  if (recovered !== null && markedFirst > firstOffset) {
    await dropSegmentsBelow(io, dir, markedFirst);
    firstOffset = markedFirst;
  }
  const blockBytes = recovered?.blockBytes ?? options.blockBytes;
  const effective: ResolvedOptions = { ...options, blockBytes };
  if (recovered !== null && options.logId !== null && !equalBytes(recovered.logId, options.logId)) {
    const problem = `differs from the id of the existing log in ${dir}; an existing log keeps its id`;
    throw SeglogError.invalidOption('logId', problem);
  }
  const logId = recovered?.logId ?? options.logId ?? new Uint8Array(randomBytes(LOG_ID_BYTES));
  const telemetry = new Telemetry({
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
    if (recovered === null) await writer.createFirst(0);
    else {
      await writer.resume(
        recovered.segments[recovered.segments.length - 1]!.baseOffset,
        recovered.tailPositionBytes,
        recovered.tailIndex,
        recovered.tailLastBatchPositionBytes,
      );
    }
    // Only now is everything up to nextOffset durable (resume rewrote the last batch), so only
    // now may a fresh HEAD say so.
    const headConfig = {
      io: effective.io,
      clock: effective.clock,
      dir: effective.dir,
      fileMode: effective.fileMode,
      onError: (error: unknown) => commit?.poison(error),
    };
    // A drop intent (kind 2) left by a crash is cleared, not carried out: the holds are read again
    // by the next pass or call (low-water.ts).
    const continued = checked.continueFrom;
    const resumed = continued?.pendingTruncation?.kind === 2 ? { ...continued, pendingTruncation: null } : continued;
    head =
      resumed !== null
        ? await HeadCheckpoint.open(headConfig, resumed)
        : await HeadCheckpoint.create(headConfig, freshHead(found.kind === 'valid' ? found.state.seq + 1 : 0, logId, firstOffset, nextOffset, checked.truncateEpoch));
    // Recovery may find acknowledged records that HEAD's last write missed (a crash between a
    // flush and its HEAD write): they are durable, so readers in other processes may see them now.
    head.advance(nextOffset);
    await head.flush();
  } catch (error) {
    await writer.close().catch(() => undefined);
    throw error;
  }
  const pool = new BufferPool({ bufferBytes: effective.maxBatchBytes, bytesCap: poolBytesCap(effective) });
  const window = new WindowPolicy(effective.commitWindow, effective.clock.nowMicros());
  const checkpoint = head;
  const durableListeners = new DurableListeners();
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
      onDurable: (durableOffset) => {
        checkpoint.advance(durableOffset);
        durableListeners.notify(durableOffset);
      },
    },
    nextOffset,
  );
  const log = new Log({
    options: effective,
    lock,
    pool,
    writer,
    commit,
    telemetry,
    window,
    firstOffset,
    recovery: recovered?.report ?? { segments: 0, batchesScanned: 0, tornTailAt: null },
    head: checkpoint,
    durableListeners,
    lostRecords: checked.lost,
  });
  try {
    await log.startRetention();
  } catch (error) {
    await log.close().catch(() => undefined);
    throw error;
  }
  return log;
}

function freshHead(
  seq: number,
  logId: Uint8Array,
  firstOffset: number,
  durableOffset: number,
  truncateEpoch: number,
): HeadState {
  return { seq, logId, durableOffset, firstOffset, truncateEpoch, pendingTruncation: null, writtenAtMs: Date.now() };
}
