/**
 * One job: the one decoder of a batch, and the one place that says why the bytes at a position
 * are not the next batch of the chain. See docs/format.md ("Finding the end of the log").
 *
 * `stepBatch` is pure and never throws on bad bytes: it returns the batch, or a classified break.
 * Every reader of segments (store recovery, the reader, tools) follows the chain with it, so the
 * classes below mean the same thing everywhere. What a break means for the log (a torn tail, the
 * live end, corruption) needs more than these bytes and is decided by the caller, the way etcd's
 * repair.go reuses the decoder of ReadAll and only then decides.
 *
 * The header layout is chosen by its magic in `readBatchHeader`, the one place a later format
 * version adds a case; the checks after it are the same for every version.
 */
import {
  BATCH_BODY_BYTES_MAX,
  BATCH_HEADER_BYTES,
  BATCH_HEADER_BYTES_MIN,
  BATCH_MAGIC_V1,
  BATCH_MAGIC_V2,
  RECORD_FRAME_BYTES,
  batchBytes,
  batchSpanBytes,
  headerCrcV2,
} from './batch.js';
import type { BatchHeader, DecodedBatch } from './batch.js';
import { CHUNK_ENTRY_BYTES, chunkTableConsistent } from './batch-chunks.js';
import { BATCH_HEADER_BYTES_V1 } from './batch-v1.js';
import { readU64, view } from './bytes.js';
import { crc32c } from './crc32c.js';

/** Why the bytes at a position are not the batch the chain expects, cheapest check first. */
export type BreakReason =
  /** Fewer bytes than a batch header from the position to the end of the bytes given. */
  | 'end-of-bytes'
  /** The header bytes are all zero: never written, or preallocated space. */
  | 'zero'
  /** Non-zero bytes without a batch magic: a torn first sector, or foreign bytes. */
  | 'not-a-batch'
  /** A batch magic with fields no writer produces (no records, a body too small or too big). */
  | 'header-insane'
  /** The header claims a body that runs past the bytes given (`neededBytes` says how far). */
  | 'truncated'
  /** A CRC-32C differs from the stored one: the batch's (v1), the header's or a chunk's (v2). */
  | 'crc-mismatch'
  /** The CRCs hold but the frames (or v2's chunk table) do not add up (a writer bug, not a tear). */
  | 'frames-mismatch'
  /** A valid batch, but its first offset is not the one the chain expects here. */
  | 'offset-mismatch';

export interface BatchFound {
  readonly kind: 'batch';
  readonly header: BatchHeader;
  /** Bytes the batch occupies on disk, padding included: the next batch starts this far on. */
  readonly spanBytes: number;
}

export interface BatchBreak {
  readonly kind: 'break';
  readonly reason: BreakReason;
  /** The header as read, when the bytes had a batch magic and sane fields; else null. */
  readonly header: BatchHeader | null;
  /** Bytes from the position the header claims (header plus body); 0 without a sane header. */
  readonly neededBytes: number;
  /**
   * The CRC computed over the bytes, when the whole claimed batch was there; else null. For a v2
   * chunk that fails, the chunk's CRC (`chunkIndex` says which; the stored one is in the table).
   */
  readonly computedCrc: number | null;
  /** The v2 chunk whose CRC or frames failed; null for a header failure and for v1. */
  readonly chunkIndex: number | null;
}

export type BatchStep = BatchFound | BatchBreak;

type HeaderProblem = 'end-of-bytes' | 'zero' | 'not-a-batch' | 'header-insane';

/**
 * The header at `at` by its magic, without its CRC checked, or the reason it is none.
 * Version dispatch lives here and only here.
 */
export function readBatchHeader(bytes: Uint8Array, at: number): BatchHeader | HeaderProblem {
  if (at < 0 || at + BATCH_HEADER_BYTES_MIN > bytes.length) return 'end-of-bytes';
  const dv = view(bytes);
  const magic = dv.getUint32(at, true);
  switch (magic) {
    case BATCH_MAGIC_V1:
      return readHeaderV1(dv, at);
    case BATCH_MAGIC_V2:
      // A v2 header lies in the batch's first sector, so fewer bytes than it means the end, not a tear.
      return at + BATCH_HEADER_BYTES > bytes.length ? 'end-of-bytes' : readHeaderV2(dv, at);
    case 0:
      return isZero(bytes, at, BATCH_HEADER_BYTES_MIN) ? 'zero' : 'not-a-batch';
    default:
      return 'not-a-batch';
  }
}

function readHeaderV1(dv: DataView, at: number): BatchHeader | 'header-insane' {
  const firstOffset = readU64(dv, at + 8);
  const recordCount = dv.getUint32(at + 16, true);
  const bodyBytes = dv.getUint32(at + 20, true);
  if (firstOffset < 0 || recordCount < 1) return 'header-insane';
  if (bodyBytes < recordCount * RECORD_FRAME_BYTES || bodyBytes > BATCH_BODY_BYTES_MAX) return 'header-insane';
  return {
    version: 1,
    headerBytes: BATCH_HEADER_BYTES_V1,
    firstOffset,
    recordCount,
    bodyBytes,
    framesBytes: bodyBytes,
    chunkCount: 0,
    crc: dv.getUint32(at + 4, true),
    ackedOffset: undefined,
    appendTimeMs: undefined,
  };
}

function readHeaderV2(dv: DataView, at: number): BatchHeader | 'header-insane' {
  const firstOffset = readU64(dv, at + 8);
  const recordCount = dv.getUint32(at + 16, true);
  const bodyBytes = dv.getUint32(at + 20, true);
  const ackedOffset = readU64(dv, at + 24);
  const appendTimeMs = readU64(dv, at + 32);
  const chunkCount = dv.getUint32(at + 40, true);
  const tableBytes = chunkCount * CHUNK_ENTRY_BYTES;
  if (firstOffset < 0 || recordCount < 1 || chunkCount < 1 || chunkCount > recordCount) return 'header-insane';
  if (bodyBytes < tableBytes + recordCount * RECORD_FRAME_BYTES || bodyBytes > BATCH_BODY_BYTES_MAX) return 'header-insane';
  // Acknowledged means durable, and this batch was not durable when it was sealed.
  if (ackedOffset < 0 || ackedOffset > firstOffset || appendTimeMs < 0) return 'header-insane';
  return {
    version: 2,
    headerBytes: BATCH_HEADER_BYTES,
    firstOffset,
    recordCount,
    bodyBytes,
    framesBytes: bodyBytes - tableBytes,
    chunkCount,
    crc: dv.getUint32(at + 4, true),
    ackedOffset,
    appendTimeMs,
  };
}

/**
 * The batch at `at` in `bytes`, or why there is none. `expectedOffset` null accepts any first
 * offset (a search for valid data past a break). Verifies every byte of the batch (a v2 batch:
 * its header CRC and each chunk's). Allocates the header object and nothing per record.
 */
export function stepBatch(
  logId: Uint8Array,
  bytes: Uint8Array,
  at: number,
  blockBytes: number,
  expectedOffset: number | null,
): BatchStep {
  const header = readBatchHeader(bytes, at);
  if (typeof header === 'string') return broken(header, null, 0, null);
  const neededBytes = batchBytes(header);
  if (at + neededBytes > bytes.length) return broken('truncated', header, neededBytes, null);
  const check = header.version === 1 ? checkV1(logId, bytes, at, header) : checkV2(logId, bytes, at, header);
  if (check.reason !== null) return broken(check.reason, header, neededBytes, check.computedCrc, check.chunkIndex);
  if (expectedOffset !== null && header.firstOffset !== expectedOffset) {
    return broken('offset-mismatch', header, neededBytes, check.computedCrc);
  }
  return { kind: 'batch', header, spanBytes: batchSpanBytes(header.bodyBytes, blockBytes, header.headerBytes) };
}

interface Check {
  readonly reason: 'crc-mismatch' | 'frames-mismatch' | null;
  /** The header's (or v1 batch's) computed CRC; a failed chunk's when `chunkIndex` is set. */
  readonly computedCrc: number;
  readonly chunkIndex: number | null;
}

function checkV1(logId: Uint8Array, bytes: Uint8Array, at: number, header: BatchHeader): Check {
  const computedCrc = crc32c(bytes.subarray(at + 8, at + batchBytes(header)), crc32c(logId));
  if (computedCrc !== header.crc) return { reason: 'crc-mismatch', computedCrc, chunkIndex: null };
  const framesEnd = at + header.headerBytes + header.framesBytes;
  const reason = walkFrames(bytes, at, header) === framesEnd ? null : 'frames-mismatch';
  return { reason, computedCrc, chunkIndex: null };
}

function checkV2(logId: Uint8Array, bytes: Uint8Array, at: number, header: BatchHeader): Check {
  const framesAt = at + header.headerBytes;
  const table = bytes.subarray(framesAt + header.framesBytes, at + batchBytes(header));
  const computedCrc = headerCrcV2(logId, bytes.subarray(at + 8, framesAt), table);
  if (computedCrc !== header.crc) return { reason: 'crc-mismatch', computedCrc, chunkIndex: null };
  if (!chunkTableConsistent(table, header.recordCount, header.framesBytes)) {
    return { reason: 'frames-mismatch', computedCrc, chunkIndex: null };
  }
  // One pass over the frames: each chunk's CRC, then its frames, which must end at its end.
  const tableView = view(table);
  const framesView = view(bytes);
  let cursor = framesAt;
  let records = 0;
  for (let i = 0; i < header.chunkCount; i++) {
    const entryAt = i * CHUNK_ENTRY_BYTES;
    const recordsThrough = tableView.getUint32(entryAt, true);
    const chunkEnd = framesAt + tableView.getUint32(entryAt + 4, true);
    const chunkCrc = crc32c(bytes.subarray(cursor, chunkEnd));
    if (chunkCrc !== tableView.getUint32(entryAt + 8, true)) return { reason: 'crc-mismatch', computedCrc: chunkCrc, chunkIndex: i };
    cursor = framesEnd(framesView, cursor, chunkEnd, recordsThrough - records);
    if (cursor !== chunkEnd) return { reason: 'frames-mismatch', computedCrc, chunkIndex: i };
    records = recordsThrough;
  }
  return { reason: null, computedCrc, chunkIndex: null };
}

/** Where `count` frames from `cursor` end, or -1 where one runs past `end`. */
function framesEnd(dv: DataView, cursor: number, end: number, count: number): number {
  let at = cursor;
  for (let i = 0; i < count; i++) {
    if (at + RECORD_FRAME_BYTES > end) return -1;
    at += RECORD_FRAME_BYTES + dv.getUint32(at, true);
    if (at > end) return -1;
  }
  return at;
}

function broken(
  reason: BreakReason,
  header: BatchHeader | null,
  neededBytes: number,
  computedCrc: number | null,
  chunkIndex: number | null = null,
): BatchBreak {
  return { kind: 'break', reason, header, neededBytes, computedCrc, chunkIndex };
}

/**
 * Walks the frames of the body at `at`, calling `onFrame` with each payload's position and length,
 * and returns where the walk ended: past the last frame, or -1 where a frame runs past the frames
 * (v2: past the frames, into the chunk table). The one frame walk over a whole batch: the check,
 * the payload split and tools' framing view all use it.
 */
export function walkFrames(
  bytes: Uint8Array,
  at: number,
  header: BatchHeader,
  onFrame?: (payloadAtBytes: number, payloadBytes: number) => void,
): number {
  const firstAt = at + header.headerBytes;
  const end = Math.min(firstAt + header.framesBytes, bytes.length);
  return walkFramesIn(bytes, firstAt, end, header.recordCount, onFrame);
}

/** `recordCount` frames from `from`, none past `end`: where they end, or -1. */
function walkFramesIn(
  bytes: Uint8Array,
  from: number,
  end: number,
  recordCount: number,
  onFrame?: (payloadAtBytes: number, payloadBytes: number) => void,
): number {
  const dv = view(bytes);
  let cursor = from;
  for (let i = 0; i < recordCount; i++) {
    if (cursor + RECORD_FRAME_BYTES > end) return -1;
    const payloadBytes = dv.getUint32(cursor, true);
    const payloadAt = cursor + RECORD_FRAME_BYTES;
    if (payloadAt + payloadBytes > end) return -1;
    onFrame?.(payloadAt, payloadBytes);
    cursor = payloadAt + payloadBytes;
  }
  return cursor;
}

/**
 * Walks `recordCount` frames of one v2 chunk (its bytes exactly), calling `onFrame` with each
 * payload's position in `chunk`; returns where the walk ended, or -1 where a frame runs past it.
 */
export function walkChunkFrames(
  chunk: Uint8Array,
  recordCount: number,
  onFrame?: (payloadAtBytes: number, payloadBytes: number) => void,
): number {
  return walkFramesIn(chunk, 0, chunk.length, recordCount, onFrame);
}

function isZero(bytes: Uint8Array, at: number, lengthBytes: number): boolean {
  for (let i = at; i < at + lengthBytes; i++) if (bytes[i] !== 0) return false;
  return true;
}

/** Payload views of a batch that `stepBatch` accepted at `at`, in offset order. */
export function batchPayloads(bytes: Uint8Array, at: number, header: BatchHeader): Uint8Array[] {
  const payloads: Uint8Array[] = [];
  walkFrames(bytes, at, header, (payloadAt, payloadBytes) => {
    payloads.push(bytes.subarray(payloadAt, payloadAt + payloadBytes));
  });
  return payloads;
}

/**
 * Reads the header at `at` if the bytes there look like one (magic and sane sizes), CRC not
 * checked. Null means "not a batch here".
 */
export function peekBatchHeader(bytes: Uint8Array, at: number): BatchHeader | null {
  const header = readBatchHeader(bytes, at);
  return typeof header === 'string' ? null : header;
}

/**
 * Decodes the batch at `at`: header, CRC, frames, and (when given) the expected first offset.
 * Null for anything that is not exactly a valid batch; `stepBatch` says why.
 */
export function decodeBatch(
  logId: Uint8Array,
  bytes: Uint8Array,
  at: number,
  blockBytes: number,
  expectedFirstOffset?: number,
): DecodedBatch | null {
  const step = stepBatch(logId, bytes, at, blockBytes, expectedFirstOffset ?? null);
  if (step.kind === 'break') return null;
  return { header: step.header, payloads: batchPayloads(bytes, at, step.header), spanBytes: step.spanBytes };
}
