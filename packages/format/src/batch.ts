/**
 * One job: encode and decode a batch (header + record frames). See docs/format.md.
 *
 * The store frames records straight into pool buffers, so encoding is split in two: it writes
 * frames with `writeRecordFrameLength` and finishes with `writeBatchHeader`, which computes the CRC
 * over the body parts where they lie. `encodeBatch` is the one-buffer reference encoder used by
 * tests, fixtures and tools. Decoding is batch-decode.ts.
 */
import { assert } from '@seglog/types';
import { alignUp } from './align.js';
import { view, writeU64 } from './bytes.js';
import { crc32c } from './crc32c.js';
import { LOG_ID_BYTES } from './segment-header.js';

export const BATCH_HEADER_BYTES = 32;
export const RECORD_FRAME_BYTES = 4;
/** Largest body a reader will consider; bigger claimed sizes are garbage, not a batch. */
export const BATCH_BODY_BYTES_MAX = 2 ** 31;
/** 'SGB1' read as a little-endian u32: the magic of a version-1 batch header. */
export const BATCH_MAGIC_V1 = 0x31424753;

export interface BatchHeader {
  /** The batch format version, from the header's magic (batch-decode.ts `readBatchHeader`). */
  readonly version: number;
  readonly firstOffset: number;
  readonly recordCount: number;
  readonly bodyBytes: number;
  readonly crc: number;
}

export interface DecodedBatch {
  readonly header: BatchHeader;
  /** Views into the decoded buffer, in offset order. */
  readonly payloads: Uint8Array[];
  /** Bytes the batch occupies on disk, padding included. */
  readonly spanBytes: number;
}

/** Bytes a batch with `bodyBytes` of frames occupies on disk. */
export function batchSpanBytes(bodyBytes: number, blockBytes: number): number {
  return alignUp(BATCH_HEADER_BYTES + bodyBytes, blockBytes);
}

export function recordFrameBytes(payloadBytes: number): number {
  return RECORD_FRAME_BYTES + payloadBytes;
}

/** Little-endian u32 length. Byte stores rather than a DataView: this runs once per record. */
export function writeRecordFrameLength(target: Uint8Array, at: number, payloadBytes: number): void {
  target[at] = payloadBytes & 0xff;
  target[at + 1] = (payloadBytes >>> 8) & 0xff;
  target[at + 2] = (payloadBytes >>> 16) & 0xff;
  target[at + 3] = payloadBytes >>> 24;
}

/**
 * Fills the 32-byte `header` and its CRC over `logId`, the header fields and `bodyParts` (the
 * frames, in order, wherever they lie).
 */
export function writeBatchHeader(
  header: Uint8Array,
  logId: Uint8Array,
  fields: Omit<BatchHeader, 'crc' | 'version'>,
  bodyParts: readonly Uint8Array[],
): number {
  assert(header.length >= BATCH_HEADER_BYTES, 'header buffer holds 32 bytes');
  assert(logId.length === LOG_ID_BYTES, 'log id is 16 bytes');
  assert(fields.recordCount >= 1, 'a batch holds at least one record');
  assert(fields.bodyBytes >= fields.recordCount * RECORD_FRAME_BYTES, 'body holds every frame');
  const dv = view(header);
  dv.setUint32(0, BATCH_MAGIC_V1, true);
  writeU64(dv, 8, fields.firstOffset);
  dv.setUint32(16, fields.recordCount, true);
  dv.setUint32(20, fields.bodyBytes, true);
  dv.setUint32(24, 0, true);
  dv.setUint32(28, 0, true);
  let crc = crc32c(logId);
  crc = crc32c(header.subarray(8, BATCH_HEADER_BYTES), crc);
  let seen = 0;
  for (const part of bodyParts) {
    crc = crc32c(part, crc);
    seen += part.length;
  }
  assert(seen === fields.bodyBytes, 'body parts add up to bodyBytes');
  dv.setUint32(4, crc, true);
  return crc;
}

/** Encodes a whole batch into one zero-padded buffer of `batchSpanBytes`. */
export function encodeBatch(
  logId: Uint8Array,
  firstOffset: number,
  payloads: readonly Uint8Array[],
  blockBytes: number,
): Uint8Array {
  let bodyBytes = 0;
  for (const payload of payloads) bodyBytes += recordFrameBytes(payload.length);
  const out = new Uint8Array(batchSpanBytes(bodyBytes, blockBytes));
  let at = BATCH_HEADER_BYTES;
  for (const payload of payloads) {
    writeRecordFrameLength(out, at, payload.length);
    out.set(payload, at + RECORD_FRAME_BYTES);
    at += recordFrameBytes(payload.length);
  }
  const body = out.subarray(BATCH_HEADER_BYTES, BATCH_HEADER_BYTES + bodyBytes);
  writeBatchHeader(out, logId, { firstOffset, recordCount: payloads.length, bodyBytes }, [body]);
  return out;
}
