/**
 * One job: a batch being filled. Records are framed straight into one pool buffer (so the
 * caller's payload is free as soon as `append` returns), and `finish` turns it into the exact bytes
 * of one aligned write: header, frames, zero padding to the block size.
 *
 * Invariants: framed bytes never exceed the buffer; offsets inside a batch are dense; waiters
 * are kept in offset order, so resolving them in array order resolves in offset order.
 */
import { assert } from '@seglog/types';
import {
  BATCH_HEADER_BYTES,
  RECORD_FRAME_BYTES,
  batchSpanBytes,
  recordFrameBytes,
  writeBatchHeader,
  writeRecordFrameLength,
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
  recordCount = 0;
  payloadBytes = 0;
  /** Framed bytes so far, header included. */
  #usedBytes = BATCH_HEADER_BYTES;

  constructor(buffer: Uint8Array, firstOffset: number, openedMicros: number, maxRecords: number) {
    this.#maxRecords = maxRecords;
    this.buffer = buffer;
    this.firstOffset = firstOffset;
    this.openedMicros = openedMicros;
  }

  get framedBytes(): number {
    return this.#usedBytes;
  }

  get nextOffset(): number {
    return this.firstOffset + this.recordCount;
  }

  fits(payloadBytes: number): boolean {
    const roomLeft = this.#usedBytes + recordFrameBytes(payloadBytes) <= this.buffer.length;
    return this.recordCount < this.#maxRecords && roomLeft;
  }

  /** Frames `payload` into the buffer; returns its offset. */
  add(payload: Uint8Array): number {
    assert(this.fits(payload.length), 'record fits the open batch');
    writeRecordFrameLength(this.buffer, this.#usedBytes, payload.length);
    this.buffer.set(payload, this.#usedBytes + RECORD_FRAME_BYTES);
    this.#usedBytes += recordFrameBytes(payload.length);
    this.payloadBytes += payload.length;
    return this.firstOffset + this.recordCount++;
  }

  /** Fills header and padding; returns the bytes to write (a view of the pool buffer). */
  finish(logId: Uint8Array, blockBytes: number): Uint8Array {
    assert(this.recordCount > 0, 'only non-empty batches are finished');
    const bodyBytes = this.#usedBytes - BATCH_HEADER_BYTES;
    const spanBytes = batchSpanBytes(bodyBytes, blockBytes);
    assert(spanBytes <= this.buffer.length, 'padded batch fits its buffer');
    // Pool buffers are reused, so stale bytes must not leak into the padding.
    this.buffer.fill(0, this.#usedBytes, spanBytes);
    writeBatchHeader(
      this.buffer.subarray(0, BATCH_HEADER_BYTES),
      logId,
      { firstOffset: this.firstOffset, recordCount: this.recordCount, bodyBytes },
      [this.buffer.subarray(BATCH_HEADER_BYTES, this.#usedBytes)],
    );
    return this.buffer.subarray(0, spanBytes);
  }
}
