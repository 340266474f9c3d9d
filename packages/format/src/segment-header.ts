/**
 * One job: encode and decode the segment header (block 0 of a segment). See docs/format.md.
 */
import { assert, limits, SeglogError } from '@seglog/types';
import { isPowerOfTwo } from './align.js';
import { equalBytes, readU64, view, writeU64 } from './bytes.js';
import { crc32c } from './crc32c.js';

/** The version new segments are written in: their batches are version 2 (SGB2). */
export const FORMAT_VERSION = 2;
/** The oldest version still read: version-1 segments hold SGB1 batches. */
export const FORMAT_VERSION_MIN = 1;
export const SEGMENT_HEADER_BYTES = 44;
export const LOG_ID_BYTES = 16;
const MAGIC = new TextEncoder().encode('SEGLOGv1');

export interface SegmentHeader {
  readonly version: number;
  readonly blockBytes: number;
  readonly baseOffset: number;
  readonly logId: Uint8Array;
}

/**
 * Encodes a header into a zeroed block of `blockBytes`, in `FORMAT_VERSION` unless `version` says
 * otherwise (tests and fixtures build version-1 segments).
 */
export function encodeSegmentHeader(header: Omit<SegmentHeader, 'version'> & { readonly version?: number }): Uint8Array {
  assert(isPowerOfTwo(header.blockBytes), 'blockBytes is a power of two');
  assert(header.blockBytes >= limits.blockBytesMin && header.blockBytes <= limits.blockBytesMax, 'blockBytes is one the decoder accepts');
  assert(header.logId.length === LOG_ID_BYTES, 'log id is 16 bytes');
  const block = new Uint8Array(header.blockBytes);
  const dv = view(block);
  block.set(MAGIC, 0);
  const version = header.version ?? FORMAT_VERSION;
  assert(version >= FORMAT_VERSION_MIN && version <= FORMAT_VERSION, 'a version this code writes');
  dv.setUint16(8, version, true);
  dv.setUint32(12, header.blockBytes, true);
  writeU64(dv, 16, header.baseOffset);
  block.set(header.logId, 24);
  dv.setUint32(40, crc32c(block.subarray(0, 40)), true);
  return block;
}

/**
 * Decodes and verifies a segment header. Throws SEGLOG_CORRUPT (bad magic, CRC or fields) or
 * SEGLOG_UNSUPPORTED_FORMAT (a newer version), naming `file`.
 */
export function decodeSegmentHeader(bytes: Uint8Array, file: string): SegmentHeader {
  if (bytes.length < SEGMENT_HEADER_BYTES) {
    throw SeglogError.corrupt(`${file}: segment header is truncated (${bytes.length} bytes)`, { file, positionBytes: 0 });
  }
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC[i]) throw SeglogError.corrupt(`${file}: not a seglog segment (bad magic)`, { file, positionBytes: 0 });
  }
  const dv = view(bytes);
  const version = dv.getUint16(8, true);
  const storedCrc = dv.getUint32(40, true);
  if (crc32c(bytes.subarray(0, 40)) !== storedCrc) {
    // A newer format may lay the header out differently, so report the version first when it differs.
    // Only a higher version is "newer"; there is no version 0, so that is damage.
    if (version > FORMAT_VERSION) throw SeglogError.unsupportedFormat(file, version, FORMAT_VERSION);
    throw SeglogError.corrupt(`${file}: segment header checksum mismatch`, { file, positionBytes: 0 });
  }
  if (version > FORMAT_VERSION) throw SeglogError.unsupportedFormat(file, version, FORMAT_VERSION);
  if (version < FORMAT_VERSION_MIN) throw SeglogError.corrupt(`${file}: segment header has no valid version (${version})`, { file, positionBytes: 0 });
  const blockBytes = dv.getUint32(12, true);
  const baseOffset = readU64(dv, 16);
  const blockBytesValid =
    isPowerOfTwo(blockBytes) && blockBytes >= limits.blockBytesMin && blockBytes <= limits.blockBytesMax;
  if (!blockBytesValid || baseOffset < 0) {
    throw SeglogError.corrupt(`${file}: segment header fields out of range`, { file, positionBytes: 0 });
  }
  return { version, blockBytes, baseOffset, logId: bytes.slice(24, 40) };
}

/** What a segment's header must agree with: its file name, and the log it is listed in. */
export interface SegmentExpectation {
  /** The base offset its file name gives. */
  readonly baseOffset: number;
  /** The log id and block size of the log's first segment, and that segment's path; null for the first. */
  readonly log: { readonly logId: Uint8Array; readonly blockBytes: number; readonly path: string } | null;
}

/**
 * Decodes a segment header and checks it belongs where it was found: the base offset its name
 * gives, and the log id and block size of the rest of the log. SEGLOG_CORRUPT names the file and
 * the field's byte position; a newer version is SEGLOG_UNSUPPORTED_FORMAT (`decodeSegmentHeader`).
 */
export function checkSegmentHeader(bytes: Uint8Array, file: string, expected: SegmentExpectation): SegmentHeader {
  const header = decodeSegmentHeader(bytes, file);
  if (header.baseOffset !== expected.baseOffset) {
    throw SeglogError.corrupt(`${file}: header says base offset ${header.baseOffset}, the file name says ${expected.baseOffset}`, { file, positionBytes: 16 });
  }
  const log = expected.log;
  if (log !== null && !equalBytes(header.logId, log.logId)) {
    throw SeglogError.corrupt(`${file}: segment belongs to another log (its log id differs from ${log.path})`, { file, positionBytes: 24 });
  }
  if (log !== null && header.blockBytes !== log.blockBytes) {
    throw SeglogError.corrupt(`${file}: block size ${header.blockBytes} differs from the log's ${log.blockBytes} (${log.path})`, { file, positionBytes: 12 });
  }
  return header;
}
