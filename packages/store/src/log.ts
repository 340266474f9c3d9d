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
import { LOG_ID_BYTES } from '@seglog/format';
import { GroupCommit } from './group-commit.js';
import { wrapIo } from './io-errors.js';
import { resolveOptions } from './options.js';
import type { ResolvedOptions } from './options.js';
import { recoverLog } from './recovery.js';
import type { RecoveryReport } from './recovery.js';
import { SegmentWriter } from './segment-writer.js';
import { Telemetry } from './telemetry.js';
import { WindowPolicy } from './window-policy.js';

type State = 'open' | 'closing' | 'closed';

export class Log {
  readonly dir: string;
  readonly firstOffset: number;
  readonly recovery: RecoveryReport;
  readonly #options: ResolvedOptions;
  readonly #lock: DirLock;
  readonly #pool: BufferPool;
  readonly #writer: SegmentWriter;
  readonly #commit: GroupCommit;
  readonly #telemetry: Telemetry;
  readonly #window: WindowPolicy;
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
  }) {
    this.dir = parts.options.dir;
    this.#options = parts.options;
    this.#lock = parts.lock;
    this.#pool = parts.pool;
    this.#writer = parts.writer;
    this.#commit = parts.commit;
    this.#telemetry = parts.telemetry;
    this.#window = parts.window;
    this.firstOffset = parts.firstOffset;
    this.recovery = parts.recovery;
  }

  /** The offset the next append will get. */
  get nextOffset(): number {
    return this.#commit.nextOffset;
  }

  /** One past the last durable (acknowledged) offset. */
  get durableOffset(): number {
    return this.#commit.durableOffset;
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
    return this.#telemetry.snapshot({
      nowMicros: this.#options.clock.nowMicros(),
      queueDepth: this.#commit.queueDepth,
      inFlightBytes: this.#commit.inFlightBytes,
      commitWindow: this.#window.snapshot(),
      pool: this.#pool.metrics(),
    });
  }

  /**
   * Lets pending appends finish (they resolve, or reject if their batch fails), then flushes the
   * index, closes files and releases the lock. Later calls reject with SEGLOG_CLOSED.
   */
  close(): Promise<void> {
    if (this.#closing !== null) return this.#closing;
    this.#state = 'closing';
    this.#closing = (async () => {
      await this.#commit.whenIdle();
      this.#commit.abort(SeglogError.closed(`log ${this.dir}`));
      await this.#writer.close();
      this.#pool.close();
      await this.#lock.release();
      this.#state = 'closed';
    })();
    return this.#closing;
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
  const { io, dir } = resolved;
  await ensureDirectory(resolved);
  const lock = await wrapIo('lock', dir, () => io.lock(dir));
  try {
    return await openLocked(resolved, lock);
  } catch (error) {
    // Why the open failed is what the caller must see. A lock that fails to release names this
    // process, so it is stale as soon as the process exits and the next opener takes it over.
    await lock.release().catch(() => undefined);
    throw error;
  }
}

async function ensureDirectory({ io, dir }: ResolvedOptions): Promise<void> {
  const stat = await wrapIo('stat', dir, () => io.stat(dir));
  if (stat !== null && !stat.isDirectory) throw SeglogError.invalidOption('dir', `${dir} exists and is not a directory`);
  if (stat === null) {
    // A new directory's entry is durable only once its parent is fsynced, and mkdirp may create
    // several levels: find them all first, then fsync the parent of each, outermost first.
    const created = [dir];
    for (let parent = dirname(dir); parent !== dirname(parent) && (await wrapIo('stat', parent, () => io.stat(parent))) === null; parent = dirname(parent)) {
      created.unshift(parent);
    }
    await wrapIo('mkdir', dir, () => io.mkdirp(dir));
    for (const child of created) {
      const parent = dirname(child);
      await wrapIo('fsync', parent, () => io.syncDir(parent));
    }
  }
}

async function openLocked(options: ResolvedOptions, lock: DirLock): Promise<Log> {
  const recovered = await recoverLog({ io: options.io, dir: options.dir, indexIntervalBytes: options.indexIntervalBytes });
  if (recovered !== null && options.blockBytesExplicit && recovered.blockBytes !== options.blockBytes) {
    throw SeglogError.invalidOption('blockBytes', `is ${options.blockBytes} but the log in ${options.dir} uses ${recovered.blockBytes}`);
  }
  const blockBytes = recovered?.blockBytes ?? options.blockBytes;
  const effective: ResolvedOptions = { ...options, blockBytes };
  if (recovered !== null && options.logId !== null && !sameBytes(recovered.logId, options.logId)) {
    throw SeglogError.invalidOption('logId', `differs from the id of the existing log in ${options.dir}; an existing log keeps its id`);
  }
  const logId = recovered?.logId ?? options.logId ?? new Uint8Array(randomBytes(LOG_ID_BYTES));
  const telemetry = new Telemetry({ maxBatchBytes: effective.maxBatchBytes, recentIntervalMicros: effective.recentIntervalMicros });
  const writer = new SegmentWriter({ ...effective, logId, telemetry });
  if (recovered === null) await writer.createFirst(0);
  else await writer.resume(recovered.segments[recovered.segments.length - 1]!.baseOffset, recovered.tailPositionBytes, recovered.tailIndex, recovered.tailLastBatchPositionBytes);
  const pool = new BufferPool({ bufferBytes: effective.maxBatchBytes, bytesCap: poolBytesCap(effective) });
  const nextOffset = recovered?.nextOffset ?? 0;
  const window = new WindowPolicy(effective.commitWindow, effective.clock.nowMicros());
  const commit = new GroupCommit(
    {
      dir: effective.dir,
      logId,
      blockBytes,
      maxBatchBytes: effective.maxBatchBytes,
      maxBatchRecords: effective.maxBatchRecords,
      maxInFlightBytes: effective.maxInFlightBytes,
      clock: effective.clock,
      pool,
      writer,
      telemetry,
      window,
    },
    nextOffset,
  );
  return new Log({
    options: effective,
    lock,
    pool,
    writer,
    commit,
    telemetry,
    window,
    firstOffset: recovered?.firstOffset ?? 0,
    recovery: recovered?.report ?? { segments: 0, batchesScanned: 0, tornTailAt: null },
  });
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
