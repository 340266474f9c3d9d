/**
 * One job: turn "the batch that must start at block B with first offset X" into a verified batch
 * or a plain "no", with as few reads as possible.
 *
 * Every batch comes out of `decodeBatch`, so its CRC (log id, offset, count, lengths, payloads) is
 * checked before anything is cached or returned. A verified batch never changes on disk (design
 * invariant 2), so it is cached by segment and block. A "no" is never cached: at the tail of a live
 * log it only means "not written yet". Reads are chunks of `readLimits.readerChunkBytes`; a walk hands the previous
 * chunk back in, so scanning small batches costs one read per chunk, not one per batch.
 */
import { LRUCache } from 'lru-cache';
import { batchPayloads, decodeBatch, readBatchBytes, stepBatch, type BreakReason, type DecodedBatch } from '@seglog/format';
import { readLimits } from '@seglog/types';
import type { HandlePool } from './handle-pool.js';
import type { SegmentInfo } from './segment-catalog.js';

/** Where a batch must start, and the first offset it must carry to continue the chain. */
export interface Position {
  readonly blockNumber: number;
  readonly expectedOffset: number;
}

/** Bytes read from one segment starting at `startBytes`; chunks are never reused or written. */
export interface Chunk {
  readonly segment: SegmentInfo;
  readonly startBytes: number;
  readonly bytes: Uint8Array;
}

export interface BatchRead {
  readonly batch: DecodedBatch | null;
  /** Why there is no batch (format's break class), when `batch` is null. */
  readonly reason: BreakReason | null;
  /** The chunk to hand to the next read of the same walk. */
  readonly chunk: Chunk | undefined;
}

export function positionBytes(segment: SegmentInfo, position: Position): number {
  return position.blockNumber * segment.blockBytes;
}

/** Where the batch after `batch` (read at `position`) must start. */
export function nextPosition(segment: SegmentInfo, position: Position, batch: DecodedBatch): Position {
  return {
    blockNumber: position.blockNumber + batch.spanBytes / segment.blockBytes,
    expectedOffset: position.expectedOffset + batch.header.recordCount,
  };
}

export class BatchReader {
  readonly #handles: HandlePool;
  readonly #cache: LRUCache<string, DecodedBatch>;

  constructor(handles: HandlePool, cacheBatches: number) {
    this.#handles = handles;
    this.#cache = new LRUCache<string, DecodedBatch>({ max: cacheBatches });
  }

  /**
   * The verified batch at `position`, or null when there is none: a torn or unwritten tail, damage,
   * or a batch that does not carry the expected offset. A null always comes from a fresh disk read,
   * never from `chunk` alone, so a batch written since the chunk was read is seen.
   */
  async read(segment: SegmentInfo, position: Position, chunk?: Chunk): Promise<BatchRead> {
    const key = `${segment.baseOffset}:${position.blockNumber}`;
    const cached = this.#cache.get(key);
    if (cached !== undefined) {
      const matches = cached.header.firstOffset === position.expectedOffset;
      return { batch: matches ? cached : null, reason: matches ? null : 'offset-mismatch', chunk };
    }
    const atBytes = positionBytes(segment, position);
    if (chunk !== undefined && chunk.segment.baseOffset === segment.baseOffset && atBytes >= chunk.startBytes) {
      const at = atBytes - chunk.startBytes;
      const batch = decodeBatch(segment.logId, chunk.bytes, at, segment.blockBytes, position.expectedOffset);
      if (batch !== null) return { batch: this.#remember(key, batch), reason: null, chunk };
    }
    const fresh: Chunk = { segment, startBytes: atBytes, bytes: await this.#readBatchBytes(segment, position) };
    const step = stepBatch(segment.logId, fresh.bytes, 0, segment.blockBytes, position.expectedOffset);
    if (step.kind === 'break') return { batch: null, reason: step.reason, chunk: fresh };
    const payloads = batchPayloads(fresh.bytes, 0, step.header);
    const batch: DecodedBatch = { header: step.header, payloads, spanBytes: step.spanBytes };
    return { batch: this.#remember(key, batch), reason: null, chunk: fresh };
  }

  /** Reads a chunk at `position`, or the whole batch there when it claims to be bigger than a chunk. */
  async #readBatchBytes(segment: SegmentInfo, position: Position): Promise<Uint8Array> {
    const chunkBytes = Math.max(readLimits.readerChunkBytes, segment.blockBytes);
    return this.#handles.use(segment.path, (handle) =>
      readBatchBytes(handle, positionBytes(segment, position), chunkBytes, position.expectedOffset, () =>
        handle.sizeBytes(),
      ),
    );
  }

  #remember(key: string, batch: DecodedBatch): DecodedBatch {
    this.#cache.set(key, batch);
    return batch;
  }
}
