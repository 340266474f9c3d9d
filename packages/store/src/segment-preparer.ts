/**
 * One job: the file the next segment will be made from (etcd's file_pipeline.go is the model).
 * It is opened as `next.seg.tmp` and, when the policy says so, zero-filled to full size and
 * flushed (in steps of `limits.zeroFillStepBytes`), in the background while the active segment
 * fills, so a roll costs a header write and a rename instead of a zero fill. Overwriting allocated
 * blocks makes each later flush cheaper (no block allocation or size change to journal); for large
 * batches writing every byte twice costs more than that saves, so `'auto'` zero-fills only while
 * the average batch is small.
 *
 * The temporary file holds no record until the segment writer renames it, so losing it (a crash,
 * a failed preparation) loses nothing: the next open deletes a leftover `next.seg.tmp`.
 */
import { join } from 'node:path';
import { limits } from '@seglog/types';
import type { FileHandle, FileIO } from '@seglog/types';
import { NEXT_SEGMENT_TMP } from '@seglog/format';
import { closeAbandoned, wrapIo } from './io-errors.js';
import type { PreallocatePolicy } from './options.js';

export interface SegmentPreparerConfig {
  readonly io: FileIO;
  readonly dir: string;
  readonly segmentBytes: number;
  readonly preallocate: PreallocatePolicy;
  /** Permission bits of the file (before the umask). */
  readonly fileMode: number;
}

export interface PreparedFile {
  /** Opened without O_DSYNC, so a zero fill costs one flush rather than one per chunk. */
  readonly handle: FileHandle;
  readonly path: string;
  readonly zeroFilled: boolean;
}

export class SegmentPreparer {
  readonly #config: SegmentPreparerConfig;
  readonly #path: string;
  /** The next file being prepared in the background, if any. */
  #next: Promise<PreparedFile> | null = null;
  /** Smoothed span of the batches written (null before the first). */
  #averageBatchBytes: number | null = null;

  constructor(config: SegmentPreparerConfig) {
    this.#config = config;
    this.#path = join(config.dir, NEXT_SEGMENT_TMP);
  }

  /** Called after every batch written: tracks batch sizes, and starts preparing once the segment is half full. */
  noteBatch(spanBytes: number, segmentPositionBytes: number): void {
    const average = this.#averageBatchBytes;
    const weight = limits.averageBatchBytesSmoothingFraction;
    this.#averageBatchBytes = average === null ? spanBytes : average + weight * (spanBytes - average);
    const { preallocate, segmentBytes } = this.#config;
    if (preallocate === 'never' || this.#next !== null) return;
    if (segmentPositionBytes < segmentBytes * limits.prepareNextSegmentFullFraction) return;
    const preparing = this.#prepare(this.#zeroFillNext());
    // A failure surfaces when the roll takes the file (take() returns this promise); until then it
    // must not count as an unhandled rejection, which would crash the process.
    preparing.catch(() => undefined);
    this.#next = preparing;
  }

  /** The prepared file for the next segment: the one prepared in the background, or a new one now. */
  take(): Promise<PreparedFile> {
    const next = this.#next ?? this.#prepare(this.#zeroFillNext());
    this.#next = null;
    return next;
  }

  /**
   * Closes a file prepared but never taken, and deletes `next.seg.tmp` whether it was prepared in
   * the background or left by a preparation that failed (ENOSPC): up to `segmentBytes` of disk
   * must not stay taken by a closed log or a failed open.
   */
  async close(): Promise<void> {
    const next = this.#next;
    this.#next = null;
    if (next !== null) {
      try {
        await closeAbandoned((await next).handle);
      } catch {
        // A preparation that failed left nothing open, and nothing waits for it any more: the log
        // is closing, and the file it may have left is deleted below.
      }
    }
    const { io } = this.#config;
    const path = this.#path;
    if ((await wrapIo('stat', path, () => io.stat(path))) !== null) await wrapIo('unlink', path, () => io.unlink(path));
  }

  /** Whether the file prepared now should be zero-filled, by the policy and recent batches. */
  #zeroFillNext(): boolean {
    const { preallocate } = this.#config;
    if (preallocate !== 'auto') return preallocate === 'always';
    // No batches yet (a new log): assume small ones, the common case for a log.
    return this.#averageBatchBytes === null || this.#averageBatchBytes < limits.autoZeroFillBatchBytesMax;
  }

  /** Opens the temporary next-segment file, zero-filled to full size and flushed when `zeroFill`. */
  async #prepare(zeroFill: boolean): Promise<PreparedFile> {
    const { io, segmentBytes } = this.#config;
    const path = this.#path;
    const handle = await wrapIo('open', path, () => io.open(path, 'truncate', { fileMode: this.#config.fileMode }));
    try {
      if (zeroFill) await zeroFillInSteps(handle, path, segmentBytes);
      return { handle, path, zeroFilled: zeroFill };
    } catch (error) {
      await closeAbandoned(handle);
      throw error;
    }
  }
}

/**
 * Writes `sizeBytes` of zeros, flushing after every `limits.zeroFillStepBytes`. One flush at the end
 * would put a whole segment of zeros in front of the disk at once, and the batches flushed while it
 * drains wait behind it: that was the worst latency at many appenders (issue 11 item 4). In steps,
 * a batch waits behind one step at most.
 */
async function zeroFillInSteps(handle: FileHandle, path: string, sizeBytes: number): Promise<void> {
  const zeros = new Uint8Array(Math.min(limits.zeroFillChunkBytes, sizeBytes));
  let unflushedBytes = 0;
  for (let position = 0; position < sizeBytes; position += zeros.length) {
    const chunk = zeros.subarray(0, Math.min(zeros.length, sizeBytes - position));
    await wrapIo('preallocate', path, () => handle.writev([chunk], position));
    unflushedBytes += chunk.length;
    if (unflushedBytes >= limits.zeroFillStepBytes || position + chunk.length >= sizeBytes) {
      await wrapIo('fdatasync', path, () => handle.datasync());
      unflushedBytes = 0;
    }
  }
}
