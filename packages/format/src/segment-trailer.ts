/**
 * One job: encode, decode and locate the sealed-segment trailer (format v2; docs/format.md).
 *
 * When the writer rolls to a new segment it writes one block into the old one, the trailer, and
 * flushes it before the new segment gets its name. It says what a scan of the segment would find
 * (where the chain ends, at which offset, how many batches, the first and last append time), so
 * the next open trusts it instead of reading the segment, and tools (`stat`, `segments`, offsets by
 * time) get a segment's summary with one read. The trailer is always the last block of its file:
 * it goes right after the last batch, or into the last block of a preallocated file, whose batches
 * never use that block. So `sizeBytes - blockBytes` finds it without knowing where the chain ends.
 *
 * A trailer is a claim, not a proof: its own CRC (seeded with the log id, as batches are) shows it
 * was written whole by this log, and `trailerMatches` checks it against what the directory says
 * (the segment's name, the next segment's name, the file size). Batches stay verified by their own
 * CRCs on every read, and `verify` compares the claim with a full scan. v1 segments have none.
 */
import { assert, SeglogError } from '@seglog/types';
import { readAt } from './byte-source.js';
import type { ByteSource } from './byte-source.js';
import { readU64, view, writeU64 } from './bytes.js';
import { crc32c } from './crc32c.js';
import { LOG_ID_BYTES } from './segment-header.js';

/** Bytes of the trailer's fields; the rest of its block is zeros (covered by nothing, read as nothing). */
export const SEGMENT_TRAILER_BYTES = 96;
export const SEGMENT_TRAILER_VERSION = 1;
const MAGIC = new TextEncoder().encode('SGT2');
/** The CRC covers the log id, then bytes 8..96: every field but the magic and the CRC itself. */
const CRC_FROM = 8;

export interface SegmentTrailer {
  /** The segment's first offset (its name). */
  readonly baseOffset: number;
  /** One past the segment's last record: the next segment's base offset. */
  readonly endOffset: number;
  /** Batches in the segment (each at least one record). */
  readonly batches: number;
  /** Byte position of the trailer block: every batch lies before it. */
  readonly positionBytes: number;
  /** Byte position where the chain of batches ends (the block after the last batch). */
  readonly chainEndBytes: number;
  /** Byte position of the last batch. */
  readonly lastBatchPositionBytes: number;
  /**
   * The segment's ordinal in its log: each new segment's is the previous one's plus one. Open
   * compares the first and the second-to-last segment's ordinals with the number of names between
   * them, so a segment missing from the middle is noticed without reading the ones between.
   */
  readonly segmentSeq: number;
  /** Wall-clock ms of the first and last batch (their v2 `appendTimeMs`); undefined when unknown. */
  readonly firstAppendTimeMs: number | undefined;
  readonly lastAppendTimeMs: number | undefined;
}

/** The trailer in a zeroed block of `blockBytes`, ready to write at `trailer.positionBytes`. */
export function encodeSegmentTrailer(trailer: SegmentTrailer, logId: Uint8Array, blockBytes: number): Uint8Array {
  assert(logId.length === LOG_ID_BYTES, 'log id is 16 bytes');
  assert(blockBytes >= SEGMENT_TRAILER_BYTES, 'a trailer fits in one block');
  assert(trailer.endOffset > trailer.baseOffset, 'a sealed segment holds at least one record');
  assert(trailer.batches >= 1 && trailer.batches < 2 ** 32, 'batch count fits u32');
  assert(trailer.positionBytes % blockBytes === 0, 'the trailer starts on a block');
  assert(trailer.chainEndBytes <= trailer.positionBytes, 'the trailer follows the chain');
  assert(trailer.lastBatchPositionBytes < trailer.chainEndBytes, 'the last batch lies inside the chain');
  const block = new Uint8Array(blockBytes);
  const dv = view(block);
  block.set(MAGIC, 0);
  dv.setUint16(8, SEGMENT_TRAILER_VERSION, true);
  dv.setUint32(12, trailer.batches, true);
  writeU64(dv, 16, trailer.baseOffset);
  writeU64(dv, 24, trailer.endOffset);
  writeU64(dv, 32, trailer.positionBytes);
  writeU64(dv, 40, trailer.chainEndBytes);
  writeU64(dv, 48, trailer.lastBatchPositionBytes);
  writeU64(dv, 56, trailer.segmentSeq);
  writeU64(dv, 64, trailer.firstAppendTimeMs ?? 0);
  writeU64(dv, 72, trailer.lastAppendTimeMs ?? 0);
  dv.setUint32(4, trailerCrc(logId, block), true);
  return block;
}

/** What the bytes of a block say about a trailer. */
export type TrailerDecode =
  | { readonly kind: 'trailer'; readonly trailer: SegmentTrailer }
  /** No trailer magic: a v1 segment, a segment not sealed yet, or a trailer never written. */
  | { readonly kind: 'none' }
  /** The magic with a wrong CRC, a newer version or impossible fields: torn, damaged or foreign. */
  | { readonly kind: 'invalid'; readonly reason: string };

/** Decodes the block holding a trailer candidate. Pure: the caller decides what a miss means. */
export function decodeSegmentTrailer(bytes: Uint8Array, logId: Uint8Array): TrailerDecode {
  if (bytes.length < SEGMENT_TRAILER_BYTES) return { kind: 'none' };
  for (let i = 0; i < MAGIC.length; i++) if (bytes[i] !== MAGIC[i]) return { kind: 'none' };
  const dv = view(bytes);
  if (trailerCrc(logId, bytes) !== dv.getUint32(4, true)) return { kind: 'invalid', reason: 'checksum mismatch' };
  const version = dv.getUint16(8, true);
  if (version !== SEGMENT_TRAILER_VERSION) return { kind: 'invalid', reason: `version ${version}` };
  const trailer: SegmentTrailer = {
    batches: dv.getUint32(12, true),
    baseOffset: readU64(dv, 16),
    endOffset: readU64(dv, 24),
    positionBytes: readU64(dv, 32),
    chainEndBytes: readU64(dv, 40),
    lastBatchPositionBytes: readU64(dv, 48),
    segmentSeq: readU64(dv, 56),
    firstAppendTimeMs: timeOrUndefined(readU64(dv, 64)),
    lastAppendTimeMs: timeOrUndefined(readU64(dv, 72)),
  };
  const sane =
    trailer.batches >= 1 &&
    trailer.baseOffset >= 0 &&
    trailer.endOffset > trailer.baseOffset &&
    trailer.segmentSeq >= 0 &&
    trailer.lastBatchPositionBytes > 0 &&
    trailer.lastBatchPositionBytes < trailer.chainEndBytes &&
    trailer.chainEndBytes <= trailer.positionBytes;
  return sane ? { kind: 'trailer', trailer } : { kind: 'invalid', reason: 'fields out of range' };
}

/** What a trailer must agree with to be trusted without reading its segment. */
export interface TrailerExpectation {
  /** The base offset the segment's file name gives. */
  readonly baseOffset: number;
  /** The next segment's base offset (its name): where this one must end. */
  readonly nextBaseOffset: number;
  readonly sizeBytes: number;
  readonly blockBytes: number;
}

/** Why `trailer` cannot be trusted where it was found, or null when it agrees with everything. */
export function trailerMismatch(trailer: SegmentTrailer, expected: TrailerExpectation): string | null {
  if (trailer.baseOffset !== expected.baseOffset) return `it names base offset ${trailer.baseOffset}, the file ${expected.baseOffset}`;
  if (trailer.endOffset !== expected.nextBaseOffset) {
    return `it ends at offset ${trailer.endOffset}, the next segment starts at ${expected.nextBaseOffset}`;
  }
  if (trailer.positionBytes !== expected.sizeBytes - expected.blockBytes) {
    return `it claims byte ${trailer.positionBytes}, the file's last block is at ${expected.sizeBytes - expected.blockBytes}`;
  }
  if (trailer.positionBytes % expected.blockBytes !== 0 || trailer.chainEndBytes % expected.blockBytes !== 0) {
    return `its positions are not aligned to ${expected.blockBytes}-byte blocks`;
  }
  if (trailer.batches > trailer.endOffset - trailer.baseOffset) return `it counts more batches than records`;
  return null;
}

/** The trailer block of a segment file: its last block. One read. */
export async function readSegmentTrailer(
  source: ByteSource,
  sizeBytes: number,
  logId: Uint8Array,
  blockBytes: number,
): Promise<TrailerDecode> {
  if (sizeBytes < 2 * blockBytes || sizeBytes % blockBytes !== 0) return { kind: 'none' };
  return decodeSegmentTrailer(await readAt(source, sizeBytes - blockBytes, SEGMENT_TRAILER_BYTES), logId);
}

/**
 * The trailer of a sealed segment, trusted: read, decoded and matched against the directory; a
 * missing or mismatched one is SEGLOG_CORRUPT naming the file (for callers that require one).
 */
export async function requireSegmentTrailer(
  source: ByteSource,
  file: string,
  logId: Uint8Array,
  expected: TrailerExpectation,
): Promise<SegmentTrailer> {
  const decoded = await readSegmentTrailer(source, expected.sizeBytes, logId, expected.blockBytes);
  const positionBytes = Math.max(0, expected.sizeBytes - expected.blockBytes);
  if (decoded.kind !== 'trailer') {
    const why = decoded.kind === 'none' ? 'has no trailer' : `has a damaged trailer (${decoded.reason})`;
    throw SeglogError.corrupt(`${file}: sealed segment ${why}`, { file, positionBytes });
  }
  const mismatch = trailerMismatch(decoded.trailer, expected);
  if (mismatch !== null) throw SeglogError.corrupt(`${file}: the trailer disagrees: ${mismatch}`, { file, positionBytes });
  return decoded.trailer;
}

function trailerCrc(logId: Uint8Array, block: Uint8Array): number {
  return crc32c(block.subarray(CRC_FROM, SEGMENT_TRAILER_BYTES), crc32c(logId));
}

function timeOrUndefined(ms: number): number | undefined {
  return ms > 0 ? ms : undefined;
}
