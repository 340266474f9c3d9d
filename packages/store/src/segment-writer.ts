/**
 * One job: the active segment file. Places each sealed batch at the next aligned position, makes
 * it durable (one writev on an O_DSYNC descriptor, or one writev and one fdatasync), rolls to a new segment when a batch would not fit, and
 * keeps the segment's sparse index. This is the only store code that issues writes.
 *
 * Segment creation is crash-safe: the file is prepared under a temporary name (preallocated with
 * zeros in the background when the policy says so, see `#zeroFillNext`), its header is written and fdatasynced, it is
 * renamed to `<base>.seg`, and the directory is fsynced, all before the first batch in it is
 * written, so no acknowledgement ever depends on a directory entry that could vanish.
 */
import { join } from 'node:path';
import { assert } from '@seglog/types';
import type { Clock, FileHandle, FileIO, SyncMethod } from '@seglog/types';
import { INDEX_ENTRY_BYTES, NEXT_SEGMENT_TMP, encodeSegmentHeader, indexFileName, segmentFileName, writeIndexEntry } from '@seglog/format';
import type { IndexEntry } from '@seglog/format';
import { readFully } from '@seglog/format';
import { wrapIo } from './io-errors.js';
import type { PreallocatePolicy } from './options.js';
import type { Telemetry } from './telemetry.js';

const ZERO_FILL_CHUNK_BYTES = 1024 * 1024;
/** Index entries buffered before one write: 256 entries = one 4 KiB write. */
const INDEX_BUFFER_ENTRIES = 256;
/**
 * Under `preallocate: 'auto'`, the next segment is zero-filled only while the average batch is
 * smaller than this. Measured here (benchmarks/dist/preallocate.js, medians of 3): zero-filled
 * segments won with 33 KiB and 66 KiB batches (+9% appends/s each: an overwrite needs no block
 * allocation or size change in the fdatasync), and lost with 260 KiB batches (-11% and -37%) and
 * 4 MiB batches (-72%), where writing every byte twice costs more than the cheaper flushes save.
 */
export const AUTO_ZERO_FILL_MAX_BATCH_BYTES = 128 * 1024;
/** Weight of the newest batch in the average batch size. */
const BATCH_BYTES_SMOOTHING = 0.1;

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
}

/** Under `open_datasync` the write is the flush: its whole time is `fdatasyncMicros`, `writeMicros` is 0. */
export interface BatchTimings {
  readonly writeMicros: number;
  readonly fdatasyncMicros: number;
}

interface PreparedFile {
  readonly handle: FileHandle;
  readonly zeroFilled: boolean;
}

interface ActiveSegment {
  readonly baseOffset: number;
  readonly path: string;
  readonly handle: FileHandle;
  readonly indexHandle: FileHandle;
  positionBytes: number;
  lastIndexedPositionBytes: number;
  indexEntriesWritten: number;
}

export class SegmentWriter {
  readonly #config: SegmentWriterConfig;
  #active: ActiveSegment | null = null;
  /** The next segment file being prepared in the background, if any. */
  #next: Promise<PreparedFile> | null = null;
  /** Smoothed span of the batches written (null before the first). */
  #averageBatchBytes: number | null = null;
  readonly #indexBuffer = new Uint8Array(INDEX_BUFFER_ENTRIES * INDEX_ENTRY_BYTES);
  #indexBuffered = 0;

  constructor(config: SegmentWriterConfig) {
    this.#config = config;
  }

  /** Batches are written through a handle of this mode: under O_DSYNC each write is durable. */
  get #writeMode(): 'write' | 'write-dsync' {
    return this.#config.syncMethod === 'open_datasync' ? 'write-dsync' : 'write';
  }

  get #tmpPath(): string {
    return join(this.#config.dir, NEXT_SEGMENT_TMP);
  }

  /**
   * Continues the last segment found by recovery at `positionBytes`. The bytes from
   * `lastBatchPositionBytes` to there (the last batch) are first written again, unchanged, and
   * fdatasynced: after a failed fdatasync (fsyncgate) Linux marks the pages clean, so a reopen in the
   * same boot reads a batch from the page cache that the disk may never get, and no later fsync
   * would send it. Rewriting dirties the pages so this fdatasync really sends them; the bytes are
   * identical, so a torn rewrite cannot change what a sector holds.
   */
  async resume(baseOffset: number, positionBytes: number, index: readonly IndexEntry[], lastBatchPositionBytes: number | null): Promise<void> {
    const { io, dir } = this.#config;
    const path = join(dir, segmentFileName(baseOffset));
    const handle = await wrapIo('open', path, () => io.open(path, this.#writeMode));
    try {
      if (lastBatchPositionBytes !== null) await this.#rewriteDurably(handle, path, lastBatchPositionBytes, positionBytes);
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw error;
    }
    const indexPath = join(dir, indexFileName(baseOffset));
    const indexHandle = await wrapIo('open', indexPath, () => io.open(indexPath, 'write'));
    const last = index[index.length - 1];
    this.#active = {
      baseOffset,
      path,
      handle,
      indexHandle,
      positionBytes,
      lastIndexedPositionBytes: last === undefined ? -Infinity : last.blockNumber * this.#config.blockBytes,
      indexEntriesWritten: index.length,
    };
  }

  async #rewriteDurably(handle: FileHandle, path: string, fromBytes: number, toBytes: number): Promise<void> {
    assert(fromBytes < toBytes && fromBytes % this.#config.blockBytes === 0, 'the last batch is a whole, aligned span');
    // The file may end inside the batch's padding (padding is not checksummed, so a torn or cut
    // tail can lose it while the batch still verifies); the buffer's zeros stand in for it.
    const bytes = new Uint8Array(toBytes - fromBytes);
    await wrapIo('read', path, () => readFully(handle, bytes, fromBytes));
    await wrapIo('writev', path, () => handle.writev([bytes], fromBytes));
    await wrapIo('fdatasync', path, () => handle.datasync());
    this.#config.telemetry.writes++;
    this.#config.telemetry.fdatasyncs++;
  }

  /** Creates the first segment of an empty log. */
  async createFirst(baseOffset: number): Promise<void> {
    assert(this.#active === null, 'createFirst runs on an empty log');
    await this.#createSegment(baseOffset, await this.#prepareFile(this.#zeroFillNext()));
  }

  /** Bytes a batch of `spanBytes` can take in the current segment without rolling. */
  fits(spanBytes: number): boolean {
    const active = this.#active;
    return active !== null && active.positionBytes + spanBytes <= this.#config.segmentBytes;
  }

  /** Writes one sealed batch durably. Rolls first when it does not fit. */
  async writeBatch(bytes: Uint8Array, firstOffset: number): Promise<BatchTimings> {
    const { clock, blockBytes, segmentBytes } = this.#config;
    assert(bytes.length % blockBytes === 0, 'a batch is whole blocks');
    assert(bytes.length <= segmentBytes - blockBytes, 'a batch fits in an empty segment');
    if (!this.fits(bytes.length)) await this.#roll(firstOffset);
    const active = this.#active!;
    const position = active.positionBytes;
    const started = clock.nowMicros();
    await wrapIo('writev', active.path, () => active.handle.writev([bytes], position));
    const dsync = this.#writeMode === 'write-dsync';
    // Under O_DSYNC the writev was the flush, so its time counts as flush time.
    const written = dsync ? started : clock.nowMicros();
    if (!dsync) await wrapIo('fdatasync', active.path, () => active.handle.datasync());
    const synced = clock.nowMicros();
    active.positionBytes += bytes.length;
    this.#averageBatchBytes = this.#averageBatchBytes === null ? bytes.length : this.#averageBatchBytes + BATCH_BYTES_SMOOTHING * (bytes.length - this.#averageBatchBytes);
    this.#maybeIndex(active, firstOffset, position);
    if (this.#config.preallocate !== 'never' && this.#next === null && active.positionBytes >= segmentBytes / 2) this.#prepareNext();
    return { writeMicros: written - started, fdatasyncMicros: synced - written };
  }

  #maybeIndex(active: ActiveSegment, firstOffset: number, position: number): void {
    if (position - active.lastIndexedPositionBytes < this.#config.indexIntervalBytes) return;
    writeIndexEntry(this.#indexBuffer, this.#indexBuffered * INDEX_ENTRY_BYTES, { firstOffset, blockNumber: position / this.#config.blockBytes });
    this.#indexBuffered++;
    active.lastIndexedPositionBytes = position;
    if (this.#indexBuffered === INDEX_BUFFER_ENTRIES) void this.#flushIndex(active);
  }

  /**
   * Writes buffered index entries without fsync: the index is a hint that recovery rebuilds, so a
   * failed index write is not a failed append. It runs between batch writes, never concurrently
   * with another flush, because the buffer is copied first.
   */
  async #flushIndex(active: ActiveSegment): Promise<void> {
    if (this.#indexBuffered === 0) return;
    const bytes = this.#indexBuffer.slice(0, this.#indexBuffered * INDEX_ENTRY_BYTES);
    const position = active.indexEntriesWritten * INDEX_ENTRY_BYTES;
    active.indexEntriesWritten += this.#indexBuffered;
    this.#indexBuffered = 0;
    await active.indexHandle.writev([bytes], position).catch(() => undefined);
  }

  /** Whether the segment prepared now should be zero-filled, by the policy and recent batches. */
  #zeroFillNext(): boolean {
    const { preallocate } = this.#config;
    if (preallocate !== 'auto') return preallocate === 'always';
    // No batches yet (a new log): assume small ones, the common case for a log.
    return this.#averageBatchBytes === null || this.#averageBatchBytes < AUTO_ZERO_FILL_MAX_BATCH_BYTES;
  }

  #prepareNext(): void {
    const preparing = this.#prepareFile(this.#zeroFillNext());
    // Errors surface when the roll takes the file; until then they must not be unhandled.
    preparing.catch(() => undefined);
    this.#next = preparing;
  }

  /** Opens the temporary next-segment file, zero-filled to full size when `zeroFill`. */
  async #prepareFile(zeroFill: boolean): Promise<PreparedFile> {
    const { io, segmentBytes } = this.#config;
    const path = this.#tmpPath;
    const handle = await wrapIo('open', path, () => io.open(path, 'truncate'));
    try {
      if (zeroFill) {
        const zeros = new Uint8Array(Math.min(ZERO_FILL_CHUNK_BYTES, segmentBytes));
        for (let position = 0; position < segmentBytes; position += zeros.length) {
          const chunk = zeros.subarray(0, Math.min(zeros.length, segmentBytes - position));
          await wrapIo('preallocate', path, () => handle.writev([chunk], position));
        }
        await wrapIo('fdatasync', path, () => handle.datasync());
      }
      return { handle, zeroFilled: zeroFill };
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw error;
    }
  }

  async #roll(baseOffset: number): Promise<void> {
    const previous = this.#active;
    assert(previous !== null, 'roll has a segment to leave');
    await this.#flushIndex(previous);
    this.#active = null;
    await Promise.all([previous.handle.close().catch(() => undefined), previous.indexHandle.close().catch(() => undefined)]);
    const next = this.#next ?? this.#prepareFile(this.#zeroFillNext());
    this.#next = null;
    await this.#createSegment(baseOffset, await next);
  }

  /** Header, fdatasync, rename, directory fsync: only then may records go into the segment. */
  async #createSegment(baseOffset: number, prepared: PreparedFile): Promise<void> {
    const { handle } = prepared;
    const { io, dir, logId, blockBytes, telemetry } = this.#config;
    const path = join(dir, segmentFileName(baseOffset));
    const tmp = this.#tmpPath;
    try {
      await wrapIo('writev', tmp, () => handle.writev([encodeSegmentHeader({ blockBytes, baseOffset, logId })], 0));
      await wrapIo('fdatasync', tmp, () => handle.datasync());
      await wrapIo('rename', tmp, () => io.rename(tmp, path));
      await wrapIo('fsync', dir, () => io.syncDir(dir));
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw error;
    }
    telemetry.writes++;
    telemetry.fdatasyncs++;
    telemetry.dirSyncs++;
    telemetry.segmentsCreated++;
    if (prepared.zeroFilled) telemetry.segmentsPreallocated++;
    const indexPath = join(dir, indexFileName(baseOffset));
    const writeHandle = await this.#reopenForBatches(path, handle);
    const indexHandle = await wrapIo('open', indexPath, () => io.open(indexPath, 'truncate')).catch(async (error: unknown) => {
      await writeHandle.close().catch(() => undefined);
      throw error;
    });
    this.#active = { baseOffset, path, handle: writeHandle, indexHandle, positionBytes: blockBytes, lastIndexedPositionBytes: -Infinity, indexEntriesWritten: 0 };
  }

  /**
   * Under `open_datasync`, the handle batches are written through is opened anew with O_DSYNC
   * (Linux cannot add it to an open descriptor). The segment was prepared without it, so its zero
   * fill was one flush rather than one per chunk.
   */
  async #reopenForBatches(path: string, prepared: FileHandle): Promise<FileHandle> {
    if (this.#writeMode === 'write') return prepared;
    try {
      return await wrapIo('open', path, () => this.#config.io.open(path, 'write-dsync'));
    } finally {
      await prepared.close().catch(() => undefined);
    }
  }

  /** Flushes the index and closes files. A prepared next segment is left for the next open to delete. */
  async close(): Promise<void> {
    const active = this.#active;
    this.#active = null;
    if (active !== null) {
      await this.#flushIndex(active);
      await Promise.all([active.handle.close().catch(() => undefined), active.indexHandle.close().catch(() => undefined)]);
    }
    const next = this.#next;
    this.#next = null;
    if (next !== null) {
      const prepared = await next.catch(() => null);
      await prepared?.handle.close().catch(() => undefined);
    }
  }
}
