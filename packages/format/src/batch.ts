/**
 * One job: encode a batch (header + record frames + chunk table) in the format the store writes,
 * version 2. See docs/format.md ("Batch, version 2").
 *
 * The store frames records straight into pool buffers, so encoding is split in two: it writes
 * frames with `writeRecordFrameLength`, plans chunks with a `ChunkPlan` (batch-chunks.ts) as it
 * goes, and finishes with `writeBatchHeader`, which writes the chunk table after the frames and the
 * header before them. `encodeBatch` is the one-buffer reference encoder used by tests, fixtures and
 * tools. Version 1 (batch-v1.ts) is only ever decoded by the store; decoding is batch-decode.ts.
 */
import { assert, limits } from '@seglog/types';
import { alignUp } from './align.js';
import { CHUNK_ENTRY_BYTES, ChunkPlan, writeChunkTable } from './batch-chunks.js';
import { view, writeU64 } from './bytes.js';
import { crc32c } from './crc32c.js';
import { LOG_ID_BYTES } from './segment-header.js';

/** Header bytes of the batch version the store writes (2); version 1's are `BATCH_HEADER_BYTES_V1`. */
export const BATCH_HEADER_BYTES = 48;
/** The smallest header of any version: fewer bytes than this at a position are no batch. */
export const BATCH_HEADER_BYTES_MIN = 32;
export const RECORD_FRAME_BYTES = 4;
/** Largest body a reader will consider; bigger claimed sizes are garbage, not a batch. */
export const BATCH_BODY_BYTES_MAX = 2 ** 31;
/** 'SGB1' read as a little-endian u32: the magic of a version-1 batch header. */
export const BATCH_MAGIC_V1 = 0x31424753;
/** 'SGB2' read as a little-endian u32: the magic of a version-2 batch header. */
export const BATCH_MAGIC_V2 = 0x32424753;

export interface BatchHeader {
  /** The batch format version, from the header's magic (batch-decode.ts `readBatchHeader`). */
  readonly version: number;
  /** Bytes of the header itself: 32 (v1) or 48 (v2). The body follows it. */
  readonly headerBytes: number;
  readonly firstOffset: number;
  readonly recordCount: number;
  /** Bytes after the header: the frames, and in v2 the chunk table after them. */
  readonly bodyBytes: number;
  /** Bytes of record frames at the start of the body (v1: the whole body). */
  readonly framesBytes: number;
  /** Entries of the chunk table (v2, at least 1); 0 in v1, whose one CRC covers the whole body. */
  readonly chunkCount: number;
  /** v1: the CRC over log id, header and body; v2: the CRC over log id, header and chunk table. */
  readonly crc: number;
  /** One past the last record the log had acknowledged when the batch was sealed; undefined in v1. */
  readonly ackedOffset: number | undefined;
  /** Wall-clock milliseconds when the batch was sealed; undefined in v1. */
  readonly appendTimeMs: number | undefined;
}

export interface DecodedBatch {
  readonly header: BatchHeader;
  /** Views into the decoded buffer, in offset order. */
  readonly payloads: Uint8Array[];
  /** Bytes the batch occupies on disk, padding included. */
  readonly spanBytes: number;
}

/** What the writer knows when it seals a batch, and only then. */
export interface BatchStamp {
  /** One past the last record the log had acknowledged: at most the batch's first offset. */
  readonly ackedOffset: number;
  /** Wall-clock milliseconds (`Date.now()`). */
  readonly appendTimeMs: number;
}

export interface BatchFields extends BatchStamp {
  readonly firstOffset: number;
}

/** Bytes a batch with `bodyBytes` after its header occupies on disk. */
export function batchSpanBytes(
  bodyBytes: number,
  blockBytes: number,
  headerBytes: number = BATCH_HEADER_BYTES,
): number {
  return alignUp(headerBytes + bodyBytes, blockBytes);
}

/** Bytes from a batch's first byte to the end of its body (its padding excluded). */
export function batchBytes(header: BatchHeader): number {
  return header.headerBytes + header.bodyBytes;
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
 * Finishes a version-2 batch framed in `batch`: the 48-byte header at 0, `plan.framesBytes` of
 * frames after it (as planned by `plan`, record by record). Writes the chunk table (each chunk's
 * CRC-32C) right after the frames, then the header and its CRC over `logId`, the header fields and
 * the table. Returns the bytes written from the batch's start (header + body, no padding).
 */
export function writeBatchHeader(batch: Uint8Array, logId: Uint8Array, fields: BatchFields, plan: ChunkPlan): number {
  assert(logId.length === LOG_ID_BYTES, 'log id is 16 bytes');
  assert(plan.recordCount >= 1, 'a batch holds at least one record');
  assert(Number.isSafeInteger(fields.ackedOffset) && fields.ackedOffset <= fields.firstOffset, 'acked offset is at most the first offset');
  const tableAt = BATCH_HEADER_BYTES + plan.framesBytes;
  const endBytes = tableAt + plan.chunkCount * CHUNK_ENTRY_BYTES;
  assert(batch.length >= endBytes, 'batch buffer holds header, frames and chunk table');
  writeChunkTable(batch.subarray(BATCH_HEADER_BYTES, tableAt), batch.subarray(tableAt, endBytes), plan);
  const dv = view(batch);
  dv.setUint32(0, BATCH_MAGIC_V2, true);
  writeU64(dv, 8, fields.firstOffset);
  dv.setUint32(16, plan.recordCount, true);
  dv.setUint32(20, endBytes - BATCH_HEADER_BYTES, true);
  writeU64(dv, 24, fields.ackedOffset);
  writeU64(dv, 32, fields.appendTimeMs);
  dv.setUint32(40, plan.chunkCount, true);
  dv.setUint32(44, 0, true);
  dv.setUint32(4, headerCrcV2(logId, batch.subarray(8, BATCH_HEADER_BYTES), batch.subarray(tableAt, endBytes)), true);
  return endBytes;
}

/** The v2 header CRC: log id, header bytes 8..48, chunk table. The chunks' own CRCs are in the table. */
export function headerCrcV2(logId: Uint8Array, headerFields: Uint8Array, table: Uint8Array): number {
  return crc32c(table, crc32c(headerFields, crc32c(logId)));
}

export interface EncodeBatchOptions extends Partial<BatchStamp> {
  /** Chunk target (`limits.batchChunkBytes` unless given); tests use small ones to get many chunks. */
  readonly chunkBytes?: number;
}

/**
 * Encodes a whole version-2 batch into one zero-padded buffer of its span. Without a stamp, the
 * batch says everything before it was acknowledged and was appended at time 0.
 */
export function encodeBatch(
  logId: Uint8Array,
  firstOffset: number,
  payloads: readonly Uint8Array[],
  blockBytes: number,
  options: EncodeBatchOptions = {},
): Uint8Array {
  const plan = new ChunkPlan(options.chunkBytes ?? limits.batchChunkBytes);
  for (const payload of payloads) plan.add(recordFrameBytes(payload.length));
  const bodyBytes = plan.framesBytes + plan.chunkCount * CHUNK_ENTRY_BYTES;
  const out = new Uint8Array(batchSpanBytes(bodyBytes, blockBytes));
  let at = BATCH_HEADER_BYTES;
  for (const payload of payloads) {
    writeRecordFrameLength(out, at, payload.length);
    out.set(payload, at + RECORD_FRAME_BYTES);
    at += recordFrameBytes(payload.length);
  }
  const ackedOffset = options.ackedOffset ?? firstOffset;
  const fields = { firstOffset, ackedOffset, appendTimeMs: options.appendTimeMs ?? 0 };
  writeBatchHeader(out, logId, fields, plan);
  return out;
}
