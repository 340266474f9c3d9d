/**
 * One job: a batch being filled. Records are framed straight into one pool buffer (so the
 * caller's payload is free as soon as `append` returns), and `finish` turns it into the exact bytes
 * of one aligned write: header, frames, chunk table, zero padding to the block size.
 *
 * Invariants: framed bytes never exceed the buffer; offsets inside a batch are dense; waiters
 * are kept in offset order, so resolving them in array order resolves in offset order.
 */
import { assert, limits } from '@seglog/types';
import {
  BATCH_HEADER_BYTES,
  CHUNK_ENTRY_BYTES,
  ChunkPlan,
  RECORD_FRAME_BYTES,
  batchSpanBytes,
  recordFrameBytes,
  writeBatchHeader,
  writeRecordFrameLength,
  type BatchStamp,
} from '@seglog/format';

export interface AppendWaiter {
  /** Offset resolved to the caller: the first offset of its run. */
  readonly firstOffset: number;
  readonly startedMicros: number;
  readonly resolve: (offset: number) => void;
  readonly reject: (error: unknown) => void;
}

export class OpenBatch {
  readonly buffer: Uint8Array;
  readonly firstOffset: number;
  readonly openedMicros: number;
  readonly waiters: AppendWaiter[] = [];
  readonly #maxRecords: number;
  /** Where chunk boundaries fall (format v2), decided as records are framed. */
  readonly #chunks = new ChunkPlan(limits.batchChunkBytes);
  recordCount = 0;
  payloadBytes = 0;

  constructor(buffer: Uint8Array, firstOffset: number, openedMicros: number, maxRecords: number) {
    this.#maxRecords = maxRecords;
    this.buffer = buffer;
    this.firstOffset = firstOffset;
    this.openedMicros = openedMicros;
  }

  /** Bytes of record frames so far (what in-flight accounting counts). */
  get framesBytes(): number {
    return this.#chunks.framesBytes;
  }

  /** Bytes of the batch before its padding: header, frames and chunk table. */
  get framedBytes(): number {
    return BATCH_HEADER_BYTES + this.#chunks.framesBytes + this.#chunks.chunkCount * CHUNK_ENTRY_BYTES;
  }

  get nextOffset(): number {
    return this.firstOffset + this.recordCount;
  }

  fits(payloadBytes: number): boolean {
    const frameBytes = recordFrameBytes(payloadBytes);
    const tableBytes = this.#chunks.chunkCountWith(frameBytes) * CHUNK_ENTRY_BYTES;
    const roomLeft = BATCH_HEADER_BYTES + this.#chunks.framesBytes + frameBytes + tableBytes <= this.buffer.length;
    return this.recordCount < this.#maxRecords && roomLeft;
  }

  /** Frames `payload` into the buffer; returns its offset. */
  add(payload: Uint8Array): number {
    assert(this.fits(payload.length), 'record fits the open batch');
    const at = BATCH_HEADER_BYTES + this.#chunks.framesBytes;
    writeRecordFrameLength(this.buffer, at, payload.length);
    this.buffer.set(payload, at + RECORD_FRAME_BYTES);
    this.#chunks.add(recordFrameBytes(payload.length));
    this.payloadBytes += payload.length;
    return this.firstOffset + this.recordCount++;
  }

  /**
   * Writes chunk table, header and padding; returns the bytes to write (a view of the pool buffer).
   * `stamp` is what only the committer knows: how far the log was acknowledged, and the time.
   */
  finish(logId: Uint8Array, blockBytes: number, stamp: BatchStamp): Uint8Array {
    assert(this.recordCount > 0, 'only non-empty batches are finished');
    const fields = { firstOffset: this.firstOffset, ackedOffset: stamp.ackedOffset, appendTimeMs: stamp.appendTimeMs };
    const endBytes = writeBatchHeader(this.buffer, logId, fields, this.#chunks);
    const spanBytes = batchSpanBytes(endBytes - BATCH_HEADER_BYTES, blockBytes);
    assert(spanBytes <= this.buffer.length, 'padded batch fits its buffer');
    // Pool buffers are reused, so stale bytes must not leak into the padding.
    this.buffer.fill(0, endBytes, spanBytes);
    return this.buffer.subarray(0, spanBytes);
  }
}
