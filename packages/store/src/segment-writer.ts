/**
 * One job: the active segment file. Places each finished batch at the next aligned position,
 * makes it durable (one writev on an O_DSYNC descriptor, or one writev and one fdatasync), and
 * rolls to a new segment when a batch would not fit. This is the only store code that writes
 * batches. The next segment's file comes from segment-preparer.ts, the sparse index goes through
 * index-writer.ts.
 *
 * Segment creation is crash-safe: the file is prepared under a temporary name, its header is
 * written and fdatasynced, it is renamed to `<base>.seg`, and the directory is fsynced, all before
 * the first batch in it is written, so no acknowledgement ever depends on a directory entry that
 * could vanish.
 *
 * A roll first seals the segment it leaves: its trailer (format's segment-trailer.ts: where the
 * chain ends, at which offset, the segment's ordinal) goes into its last block and is flushed,
 * together with HEAD and the sparse index, before the next segment gets its name. So every segment
 * that is not the last has a durable trailer, which the next open trusts instead of reading the
 * segment (recovery.ts), and a crash anywhere in a roll leaves the old segment last, scanned whole.
 */
import { join } from 'node:path';
import { assert } from '@seglog/types';
import type { Clock, FileHandle, FileIO, SyncMethod } from '@seglog/types';
import {
  FORMAT_VERSION,
  encodeSegmentHeader,
  encodeSegmentTrailer,
  indexFileName,
  peekBatchHeader,
  segmentFileName,
} from '@seglog/format';
import type { IndexEntry, SegmentTrailer } from '@seglog/format';
import { readFully } from '@seglog/format';
import { IndexWriter } from './index-writer.js';
import { closeAbandoned, closeFlushed, ioFailure, wrapIo } from './io-errors.js';
import type { PreallocatePolicy } from './options.js';
import { SegmentPreparer } from './segment-preparer.js';
import type { PreparedFile } from './segment-preparer.js';
import type { Telemetry } from './telemetry.js';

export interface SegmentWriterConfig {
  readonly io: FileIO;
  readonly clock: Clock;
  readonly dir: string;
  readonly logId: Uint8Array;
  readonly blockBytes: number;
  readonly segmentBytes: number;
  readonly preallocate: PreallocatePolicy;
  readonly syncMethod: SyncMethod;
  readonly indexIntervalBytes: number;
  readonly telemetry: Telemetry;
  /** Permission bits of the files it creates (before the umask). */
  readonly fileMode: number;
  /** Runs at each roll, before the new segment is created (the HEAD checkpoint flushes). */
  readonly onRoll?: () => Promise<void>;
}

/** Where recovery left the last segment, and what the writer must settle before appending to it. */
export interface ResumePoint {
  readonly baseOffset: number;
  /** Where the next batch goes: the end of the valid chain. */
  readonly positionBytes: number;
  /** Index entries of the segment, rebuilt by recovery. */
  readonly index: readonly IndexEntry[];
  /** Start of the batches that may not be durable (rewritten and flushed), or null when none. */
  readonly rewriteFromBytes: number | null;
  /** End of the remains of unacknowledged batches past `positionBytes` (zeroed); no more than it when none. */
  readonly staleEndBytes: number;
  /** Format version of the segment's header; default today's. */
  readonly formatVersion?: number;
  /** What the segment's trailer will say when a roll seals it, as recovery's scan found it. */
  readonly seal: SealState;
}

interface RewriteSpan {
  readonly fromBytes: number;
  readonly toBytes: number;
  readonly zeroToBytes: number;
}

/**
 * What the active segment's trailer will say, kept up to date batch by batch. A resumed segment
 * starts from what recovery's scan of it found.
 */
export interface SealState {
  /** The segment's ordinal in the log (the previous segment's plus one). */
  readonly segmentSeq: number;
  batches: number;
  lastBatchPositionBytes: number | null;
  firstAppendTimeMs: number | undefined;
  lastAppendTimeMs: number | undefined;
  /** Batches open trusted instead of scanning, counted in the background (tail-prefix-check.ts). */
  uncounted?: Promise<number>;
}

interface ActiveSegment {
  readonly path: string;
  readonly handle: FileHandle;
  readonly index: IndexWriter;
  readonly baseOffset: number;
  readonly seal: SealState;
  /** The segment header's version: batches go only into a segment of today's `FORMAT_VERSION`. */
  readonly formatVersion: number;
  positionBytes: number;
}

export class SegmentWriter {
  readonly #config: SegmentWriterConfig;
  readonly #preparer: SegmentPreparer;
  #active: ActiveSegment | null = null;

  constructor(config: SegmentWriterConfig) {
    this.#config = config;
    this.#preparer = new SegmentPreparer(config);
  }

  /** Batches are written through a handle of this mode: under O_DSYNC each write is durable. */
  get #writeMode(): 'write' | 'write-dsync' {
    return this.#config.syncMethod === 'open_datasync' ? 'write-dsync' : 'write';
  }

  /**
   * Continues the last segment found by recovery at `positionBytes`. The bytes from
   * `rewriteFromBytes` to there (the batches that may have been in flight when the log stopped)
   * are first written again, unchanged, and fdatasynced: after a failed fdatasync (fsyncgate) Linux
   * marks the pages clean, so a reopen in the same boot reads batches from the page cache that the
   * disk may never get, and no later fsync would send them. Rewriting dirties the pages so this
   * fdatasync really sends them; the bytes are identical, so a torn rewrite cannot change what a
   * sector holds. In the same write, the remains of unacknowledged batches recovery found past the
   * end (up to `staleEndBytes`) are zeroed: a new chain written there must never run into them.
   *
   * A last segment of an older `formatVersion` (a v1 log opened by this code) takes no new batch:
   * the first batch rolls to a new segment of today's version, so each segment's header says what
   * its batches are. When that old segment holds no batch, the new one has the same base offset
   * and its rename atomically replaces it (docs/format.md, "Version 1 and version 2 in one log").
   */
  async resume(tail: ResumePoint): Promise<void> {
    const { baseOffset, positionBytes, index, rewriteFromBytes, staleEndBytes, seal } = tail;
    const formatVersion = tail.formatVersion ?? FORMAT_VERSION;
    const { io, dir, blockBytes, indexIntervalBytes } = this.#config;
    const path = join(dir, segmentFileName(baseOffset));
    const handle = await wrapIo('open', path, () => io.open(path, this.#writeMode));
    let indexHandle: FileHandle;
    try {
      if (rewriteFromBytes !== null || staleEndBytes > positionBytes) {
        const fromBytes = rewriteFromBytes ?? positionBytes;
        const span = { fromBytes, toBytes: positionBytes, zeroToBytes: staleEndBytes };
        await this.#rewriteDurably(handle, path, span);
      }
      const indexPath = join(dir, indexFileName(baseOffset));
      indexHandle = await wrapIo('open', indexPath, () => io.open(indexPath, 'write'));
    } catch (error) {
      await closeAbandoned(handle);
      throw error;
    }
    const last = index[index.length - 1];
    const lastIndexedPositionBytes = last === undefined ? -Infinity : last.blockNumber * blockBytes;
    const indexWriter = new IndexWriter({
      handle: indexHandle,
      blockBytes,
      intervalBytes: indexIntervalBytes,
      entriesWritten: index.length,
      lastIndexedPositionBytes,
    });
    this.#active = { path, handle, index: indexWriter, baseOffset, formatVersion, seal: { ...seal }, positionBytes };
  }

  async #rewriteDurably(handle: FileHandle, path: string, span: RewriteSpan): Promise<void> {
    const { fromBytes, toBytes, zeroToBytes } = span;
    assert(fromBytes % this.#config.blockBytes === 0, 'the rewrite starts on a block');
    assert(fromBytes <= toBytes && fromBytes < Math.max(toBytes, zeroToBytes), 'the rewrite covers something');
    // The file may end inside the batch's padding (padding is not checksummed, so a torn or cut
    // tail can lose it while the batch still verifies); the buffer's zeros stand in for it, and
    // for the stale bytes past the end.
    const bytes = new Uint8Array(Math.max(toBytes, zeroToBytes) - fromBytes);
    await wrapIo('read', path, () => readFully(handle, bytes.subarray(0, toBytes - fromBytes), fromBytes));
    await wrapIo('writev', path, () => handle.writev([bytes], fromBytes));
    await wrapIo('fdatasync', path, () => handle.datasync());
    this.#config.telemetry.writes++;
    this.#config.telemetry.flushes++;
  }

  /** Creates the first segment of an empty log. */
  async createFirst(baseOffset: number): Promise<void> {
    assert(this.#active === null, 'createFirst runs on an empty log');
    await this.#createSegment(baseOffset, await this.#preparer.take(), 0);
  }

  /**
   * Whether a batch of `spanBytes` fits in the current segment without rolling. The segment's last
   * block is kept for its trailer, so sealing a preallocated file overwrites zeros instead of
   * growing the file (a size change costs the flush a journal commit); only a segment's first batch
   * may use it, since a batch as large as a segment allows must fit somewhere.
   */
  fits(spanBytes: number): boolean {
    const active = this.#active;
    if (active === null || active.formatVersion !== FORMAT_VERSION) return false;
    const { blockBytes, segmentBytes } = this.#config;
    const firstBatch = active.positionBytes === blockBytes;
    return active.positionBytes + spanBytes <= (firstBatch ? segmentBytes : segmentBytes - blockBytes);
  }

  /** True when batches are written through an O_DSYNC handle: each write is its own flush. */
  get writesAreDurable(): boolean {
    return this.#writeMode === 'write-dsync';
  }

  /**
   * Starts one finished batch's write at the next aligned position and resolves when it is done:
   * durable under `open_datasync`, in the page cache under `fdatasync` (then `flush` makes it
   * durable). Rolls first when the batch does not fit; the caller lets no other write or flush be
   * in flight then, so a segment is left only once everything in it is acknowledged.
   *
   * Several writes may be in flight at once: each takes its position synchronously, before its
   * first await, so positions follow call order whatever order the writes complete in.
   */
  writeBatch(bytes: Uint8Array, firstOffset: number, appendTimeMs?: number): Promise<number> {
    const { blockBytes, segmentBytes } = this.#config;
    assert(bytes.length % blockBytes === 0, 'a batch is whole blocks');
    assert(bytes.length <= segmentBytes - blockBytes, 'a batch fits in an empty segment');
    if (!this.fits(bytes.length)) return this.#rollThenWrite(bytes, firstOffset, appendTimeMs);
    return this.#writeAt(this.#active!, bytes, firstOffset, appendTimeMs);
  }

  async #rollThenWrite(bytes: Uint8Array, firstOffset: number, appendTimeMs: number | undefined): Promise<number> {
    await this.#roll(firstOffset);
    return this.#writeAt(this.#active!, bytes, firstOffset, appendTimeMs);
  }

  /**
   * Every batch comes through here, so it chains the write's promise itself instead of being an
   * async function inside `wrapIo`: two promise hops fewer between a batch's write returning and
   * its acknowledgement (at one appender, part of every append's latency). `appendTimeMs` is the
   * batch header's, passed in so the header need not be decoded again; read from it when absent.
   */
  #writeAt(
    active: ActiveSegment,
    bytes: Uint8Array,
    firstOffset: number,
    appendTimeMs: number | undefined,
  ): Promise<number> {
    const { clock, telemetry } = this.#config;
    const position = active.positionBytes;
    active.positionBytes += bytes.length;
    active.index.noteBatch(firstOffset, position);
    noteSealedBatch(active.seal, position, appendTimeMs ?? appendTimeOf(bytes));
    this.#preparer.noteBatch(bytes.length, active.positionBytes);
    const started = clock.nowMicros();
    const durable = this.writesAreDurable;
    return active.handle.writev([bytes], position).then(
      () => {
        telemetry.writes++;
        if (durable) telemetry.flushes++;
        return clock.nowMicros() - started;
      },
      (error: unknown) => {
        throw ioFailure('writev', active.path, error);
      },
    );
  }

  /**
   * fdatasync of the active segment (under `fdatasync`): makes durable every write that completed
   * before it was called. The caller runs at most one at a time, so a writeback error is reported
   * to exactly the flush the caller is waiting on (Linux reports it to one fdatasync of the file,
   * whichever checks first). Resolves with its duration in microseconds.
   */
  async flush(): Promise<number> {
    const { clock, telemetry } = this.#config;
    const active = this.#active;
    assert(active !== null, 'flush has a segment');
    const started = clock.nowMicros();
    await wrapIo('fdatasync', active.path, () => active.handle.datasync());
    telemetry.flushes++;
    return clock.nowMicros() - started;
  }

  /**
   * Hands over the background count of the batches at the start of the resumed segment that open
   * did not scan (tail-prefix-check.ts): its trailer needs them, so a roll waits for it, and a
   * close waits for the check to let go of the file.
   */
  countTrusted(batches: Promise<number>): void {
    assert(this.#active !== null, 'a resumed segment to count');
    this.#active.seal.uncounted = batches;
  }

  /**
   * Seals the active segment (its trailer and HEAD flushed, its index written, side by side) and
   * only then names the next, so the next segment's name never becomes durable before the trailer
   * that open will trust in its place.
   */
  async #roll(baseOffset: number): Promise<void> {
    const previous = this.#active;
    assert(previous !== null, 'roll has a segment to leave');
    // A segment without a batch (a v1 last segment left empty) gets no trailer: the new segment has
    // its base offset, replaces it by rename, and takes its ordinal.
    const sealed = previous.seal.batches > 0;
    assert(sealed ? baseOffset > previous.baseOffset : baseOffset === previous.baseOffset, 'a roll moves past its records');
    const prepared = await this.#preparer.take();
    // The next segment's header goes into its temporary file at the same time: that file has no
    // name a reader or recovery looks at until the rename below, so its flush need not wait.
    const steps = await Promise.allSettled([
      this.#config.onRoll?.(),
      sealed ? this.#writeTrailer(previous, baseOffset) : undefined,
      previous.index.close(),
      this.#writeHeader(prepared, baseOffset),
    ]);
    const failed = steps.find((step) => step.status === 'rejected');
    if (failed !== undefined) {
      await closeAbandoned(prepared.handle);
      throw failed.reason;
    }
    this.#active = null;
    await closeFlushed(previous.handle);
    await this.#createSegment(baseOffset, prepared, previous.seal.segmentSeq + (sealed ? 1 : 0), true);
  }

  /** The segment header, written into the prepared file and flushed (before it gets its name). */
  async #writeHeader(prepared: PreparedFile, baseOffset: number): Promise<void> {
    const { logId, blockBytes } = this.#config;
    const { handle, path } = prepared;
    await wrapIo('writev', path, () => handle.writev([encodeSegmentHeader({ blockBytes, baseOffset, logId })], 0));
    await wrapIo('fdatasync', path, () => handle.datasync());
  }

  /**
   * Writes the trailer into the last block of the file, or right after the chain when the file
   * ends there (not preallocated), and makes it durable. Batches never start in a preallocated
   * file's last block unless they reach its end, so the trailer overwrites zeros, never a batch.
   */
  async #writeTrailer(active: ActiveSegment, endOffset: number): Promise<void> {
    const { blockBytes, logId } = this.#config;
    const { seal } = active;
    assert(seal.lastBatchPositionBytes !== null && seal.batches > 0, 'a sealed segment holds a batch');
    const uncounted = seal.uncounted === undefined ? 0 : await seal.uncounted;
    const sizeBytes = await wrapIo('stat', active.path, () => active.handle.sizeBytes());
    const positionBytes = Math.max(active.positionBytes, alignDown(sizeBytes, blockBytes) - blockBytes);
    const trailer: SegmentTrailer = {
      baseOffset: active.baseOffset,
      endOffset,
      batches: seal.batches + uncounted,
      positionBytes,
      chainEndBytes: active.positionBytes,
      lastBatchPositionBytes: seal.lastBatchPositionBytes,
      segmentSeq: seal.segmentSeq,
      firstAppendTimeMs: seal.firstAppendTimeMs,
      lastAppendTimeMs: seal.lastAppendTimeMs,
    };
    const block = encodeSegmentTrailer(trailer, logId, blockBytes);
    await wrapIo('writev', active.path, () => active.handle.writev([block], positionBytes));
    // Bytes past the trailer can only be a torn write's tail that ends inside a block (a crash
    // tears at sectors): they are cut, so the trailer is the file's last block, where open looks.
    if (sizeBytes > positionBytes + blockBytes) {
      await wrapIo('truncate', active.path, () => active.handle.truncate(positionBytes + blockBytes));
    }
    // Under O_DSYNC the write was durable as it returned, but a truncation still needs the flush.
    const dsync = this.#writeMode === 'write-dsync';
    if (!dsync || sizeBytes > positionBytes + blockBytes) await wrapIo('fdatasync', active.path, () => active.handle.datasync());
    this.#config.telemetry.writes++;
    this.#config.telemetry.flushes++;
  }

  /** Header, fdatasync, rename, directory fsync: only then may records go into the segment. */
  async #createSegment(
    baseOffset: number,
    prepared: PreparedFile,
    segmentSeq: number,
    headerWritten = false,
  ): Promise<void> {
    const { handle, path: tmp } = prepared;
    const { io, dir, blockBytes, indexIntervalBytes, telemetry } = this.#config;
    const path = join(dir, segmentFileName(baseOffset));
    try {
      if (!headerWritten) await this.#writeHeader(prepared, baseOffset);
      await wrapIo('rename', tmp, () => io.rename(tmp, path));
      await wrapIo('fsync', dir, () => io.syncDir(dir));
    } catch (error) {
      await closeAbandoned(handle);
      throw error;
    }
    telemetry.writes++;
    telemetry.flushes++;
    telemetry.dirSyncs++;
    telemetry.segmentsCreated++;
    if (prepared.zeroFilled) telemetry.segmentsPreallocated++;
    const writeHandle = await this.#reopenForBatches(path, handle);
    const indexPath = join(dir, indexFileName(baseOffset));
    let indexHandle: FileHandle;
    try {
      indexHandle = await wrapIo('open', indexPath, () => io.open(indexPath, 'truncate', { fileMode: this.#config.fileMode }));
    } catch (error) {
      await closeAbandoned(writeHandle);
      throw error;
    }
    const index = new IndexWriter({
      handle: indexHandle,
      blockBytes,
      intervalBytes: indexIntervalBytes,
      entriesWritten: 0,
      lastIndexedPositionBytes: -Infinity,
    });
    const seal: SealState = {
      segmentSeq,
      batches: 0,
      lastBatchPositionBytes: null,
      firstAppendTimeMs: undefined,
      lastAppendTimeMs: undefined,
    };
    this.#active = {
      path,
      handle: writeHandle,
      index,
      baseOffset,
      formatVersion: FORMAT_VERSION,
      seal,
      positionBytes: blockBytes,
    };
  }

  /**
   * Under `open_datasync`, the handle batches are written through is opened anew with O_DSYNC
   * (Linux cannot add it to an open descriptor). The segment was prepared without it, so its zero
   * fill was one flush rather than one per chunk. The prepared handle's writes (zeros, header) are
   * flushed by now, so it is closed as flushed, whether the reopen worked or not.
   */
  async #reopenForBatches(path: string, prepared: FileHandle): Promise<FileHandle> {
    if (this.#writeMode === 'write') return prepared;
    try {
      return await wrapIo('open', path, () => this.#config.io.open(path, 'write-dsync'));
    } finally {
      await closeFlushed(prepared);
    }
  }

  /**
   * Flushes the index and closes files. A prepared next segment is deleted: it may hold up to
   * `segmentBytes` of disk, which must not stay taken by a closed log or a failed open.
   */
  async close(): Promise<void> {
    const active = this.#active;
    this.#active = null;
    if (active === null) return this.#preparer.close();
    const counted = active.seal.uncounted?.catch(() => 0);
    await Promise.all([active.index.close(), closeFlushed(active.handle), counted]);
    await this.#preparer.close();
  }
}

/** The append time in a finished batch's header (v2 headers carry it; v1 headers have no such field). */
function appendTimeOf(bytes: Uint8Array): number | undefined {
  const header = peekBatchHeader(bytes, 0);
  return header !== null && 'appendTimeMs' in header ? header.appendTimeMs : undefined;
}

/** Counts a batch written at `positionBytes`, sealed at `appendTimeMs`, into what the segment's trailer will say. */
function noteSealedBatch(seal: SealState, positionBytes: number, appendTimeMs: number | undefined): void {
  seal.batches++;
  seal.lastBatchPositionBytes = positionBytes;
  if (typeof appendTimeMs !== 'number') return;
  seal.firstAppendTimeMs ??= appendTimeMs;
  seal.lastAppendTimeMs = appendTimeMs;
}

function alignDown(value: number, blockBytes: number): number {
  return value - (value % blockBytes);
}
