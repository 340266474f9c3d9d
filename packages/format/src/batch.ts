/**
 * One job: encode and decode a batch (header + record frames). See docs/format.md.
 *
 * The store frames records straight into pool buffers, so encoding is split in two: it writes
 * frames with `writeRecordFrameLength` and finishes with `sealBatchHeader`, which computes the CRC
 * over the body parts where they lie. `encodeBatch` is the one-buffer reference encoder used by
 * tests, fixtures and tools. Decoding is pure and never throws on bad bytes: it returns null, and
 * the caller decides whether that is a torn tail or corruption.
 */
import { assert } from '@seglog/types';
import { alignUp } from './align.js';
import { readU64, view, writeU64 } from './bytes.js';
import { crc32c } from './crc32c.js';
import { LOG_ID_BYTES } from './segment-header.js';

export const BATCH_HEADER_BYTES = 32;
export const RECORD_FRAME_BYTES = 4;
/** Largest body a reader will consider; bigger claimed sizes are garbage, not a batch. */
export const BATCH_BODY_BYTES_MAX = 2 ** 31;
const MAGIC = 0x31424753; // 'SGB1' read as a little-endian u32

export interface BatchHeader {
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
export function sealBatchHeader(
  header: Uint8Array,
  logId: Uint8Array,
  fields: Omit<BatchHeader, 'crc'>,
  bodyParts: readonly Uint8Array[],
): number {
  assert(header.length >= BATCH_HEADER_BYTES, 'header buffer holds 32 bytes');
  assert(logId.length === LOG_ID_BYTES, 'log id is 16 bytes');
  assert(fields.recordCount >= 1, 'a batch holds at least one record');
  assert(fields.bodyBytes >= fields.recordCount * RECORD_FRAME_BYTES, 'body holds every frame');
  const dv = view(header);
  dv.setUint32(0, MAGIC, true);
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
  sealBatchHeader(out, logId, { firstOffset, recordCount: payloads.length, bodyBytes }, [body]);
  return out;
}

/**
 * Reads the header at `at` if the bytes there look like one (magic and sane sizes). It does not
 * check the CRC: that needs the body, see `verifyBatch`. Null means "not a batch here".
 */
export function peekBatchHeader(bytes: Uint8Array, at: number): BatchHeader | null {
  if (at < 0 || at + BATCH_HEADER_BYTES > bytes.length) return null;
  const dv = view(bytes);
  if (dv.getUint32(at, true) !== MAGIC) return null;
  const firstOffset = readU64(dv, at + 8);
  const recordCount = dv.getUint32(at + 16, true);
  const bodyBytes = dv.getUint32(at + 20, true);
  if (firstOffset < 0 || recordCount < 1) return null;
  if (bodyBytes < recordCount * RECORD_FRAME_BYTES || bodyBytes > BATCH_BODY_BYTES_MAX) return null;
  return { firstOffset, recordCount, bodyBytes, crc: dv.getUint32(at + 4, true) };
}

/** True when the whole batch is inside `bytes` and its CRC matches. */
export function verifyBatch(logId: Uint8Array, bytes: Uint8Array, at: number, header: BatchHeader): boolean {
  const end = at + BATCH_HEADER_BYTES + header.bodyBytes;
  if (end > bytes.length) return false;
  let crc = crc32c(logId);
  crc = crc32c(bytes.subarray(at + 8, end), crc);
  return crc === header.crc;
}

/** Splits a verified batch's body into payload views; null if the frames do not add up. */
export function decodeRecords(bytes: Uint8Array, at: number, header: BatchHeader): Uint8Array[] | null {
  const dv = view(bytes);
  const end = at + BATCH_HEADER_BYTES + header.bodyBytes;
  const payloads: Uint8Array[] = [];
  let cursor = at + BATCH_HEADER_BYTES;
  for (let i = 0; i < header.recordCount; i++) {
    if (cursor + RECORD_FRAME_BYTES > end) return null;
    const length = dv.getUint32(cursor, true);
    const start = cursor + RECORD_FRAME_BYTES;
    if (start + length > end) return null;
    payloads.push(bytes.subarray(start, start + length));
    cursor = start + length;
  }
  return cursor === end ? payloads : null;
}

/**
 * Decodes the batch at `at`: header, CRC, frames, and (when given) the expected first offset.
 * Null for anything that is not exactly a valid batch.
 */
export function decodeBatch(
  logId: Uint8Array,
  bytes: Uint8Array,
  at: number,
  blockBytes: number,
  expectedFirstOffset?: number,
): DecodedBatch | null {
  const header = peekBatchHeader(bytes, at);
  if (header === null) return null;
  if (expectedFirstOffset !== undefined && header.firstOffset !== expectedFirstOffset) return null;
  if (!verifyBatch(logId, bytes, at, header)) return null;
  const payloads = decodeRecords(bytes, at, header);
  if (payloads === null) return null;
  return { header, payloads, spanBytes: batchSpanBytes(header.bodyBytes, blockBytes) };
}
