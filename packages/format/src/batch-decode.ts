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
import { BATCH_BODY_BYTES_MAX, BATCH_HEADER_BYTES, BATCH_MAGIC_V1, RECORD_FRAME_BYTES, batchSpanBytes } from './batch.js';
import type { BatchHeader, DecodedBatch } from './batch.js';
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
  /** The CRC-32C over log id, header fields and body differs from the stored one. */
  | 'crc-mismatch'
  /** The CRC holds but the frame lengths do not add up to the body (a writer bug, not a tear). */
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
  /** The CRC computed over the bytes, when the whole claimed batch was there; else null. */
  readonly computedCrc: number | null;
}

export type BatchStep = BatchFound | BatchBreak;

/**
 * The header at `at` by its magic, without its CRC checked, or the reason it is none.
 * Version dispatch lives here and only here.
 */
export function readBatchHeader(bytes: Uint8Array, at: number): BatchHeader | 'end-of-bytes' | 'zero' | 'not-a-batch' | 'header-insane' {
  if (at < 0 || at + BATCH_HEADER_BYTES > bytes.length) return 'end-of-bytes';
  const dv = view(bytes);
  const magic = dv.getUint32(at, true);
  switch (magic) {
    case BATCH_MAGIC_V1:
      return readHeaderV1(dv, at);
    case 0:
      return isZero(bytes, at, BATCH_HEADER_BYTES) ? 'zero' : 'not-a-batch';
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
  return { version: 1, firstOffset, recordCount, bodyBytes, crc: dv.getUint32(at + 4, true) };
}

/**
 * The batch at `at` in `bytes`, or why there is none. `expectedOffset` null accepts any first
 * offset (a search for valid data past a break). Allocates the header object and nothing per record.
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
  const neededBytes = BATCH_HEADER_BYTES + header.bodyBytes;
  if (at + neededBytes > bytes.length) return broken('truncated', header, neededBytes, null);
  const computedCrc = crc32c(bytes.subarray(at + 8, at + neededBytes), crc32c(logId));
  if (computedCrc !== header.crc) return broken('crc-mismatch', header, neededBytes, computedCrc);
  if (!framesAddUp(bytes, at, header)) return broken('frames-mismatch', header, neededBytes, computedCrc);
  if (expectedOffset !== null && header.firstOffset !== expectedOffset) return broken('offset-mismatch', header, neededBytes, computedCrc);
  return { kind: 'batch', header, spanBytes: batchSpanBytes(header.bodyBytes, blockBytes) };
}

function broken(
  reason: BreakReason,
  header: BatchHeader | null,
  neededBytes: number,
  computedCrc: number | null,
): BatchBreak {
  return { kind: 'break', reason, header, neededBytes, computedCrc };
}

/** True when the `recordCount` frame lengths of the body add up to exactly `bodyBytes`. */
function framesAddUp(bytes: Uint8Array, at: number, header: BatchHeader): boolean {
  return walkFrames(bytes, at, header) === at + BATCH_HEADER_BYTES + header.bodyBytes;
}

/**
 * Walks the frames of the body at `at`, calling `onFrame` with each payload's position and length,
 * and returns where the walk ended: past the last frame, or -1 where a frame runs past the body.
 * The one frame walk: the check, the payload split and tools' framing view all use it.
 */
export function walkFrames(
  bytes: Uint8Array,
  at: number,
  header: BatchHeader,
  onFrame?: (payloadAtBytes: number, payloadBytes: number) => void,
): number {
  const dv = view(bytes);
  const end = Math.min(at + BATCH_HEADER_BYTES + header.bodyBytes, bytes.length);
  let cursor = at + BATCH_HEADER_BYTES;
  for (let i = 0; i < header.recordCount; i++) {
    if (cursor + RECORD_FRAME_BYTES > end) return -1;
    const payloadBytes = dv.getUint32(cursor, true);
    const payloadAt = cursor + RECORD_FRAME_BYTES;
    if (payloadAt + payloadBytes > end) return -1;
    onFrame?.(payloadAt, payloadBytes);
    cursor = payloadAt + payloadBytes;
  }
  return cursor;
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
