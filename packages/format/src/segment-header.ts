/**
 * One job: encode and decode the segment header (block 0 of a segment). See docs/format.md.
 */
import { assert, limits, SeglogError } from '@seglog/types';
import { isPowerOfTwo } from './align.js';
import { readU64, view, writeU64 } from './bytes.js';
import { crc32c } from './crc32c.js';

export const FORMAT_VERSION = 1;
export const SEGMENT_HEADER_BYTES = 44;
export const LOG_ID_BYTES = 16;
const MAGIC = new TextEncoder().encode('SEGLOGv1');

export interface SegmentHeader {
  readonly version: number;
  readonly blockBytes: number;
  readonly baseOffset: number;
  readonly logId: Uint8Array;
}

/** Encodes a header into a zeroed block of `blockBytes`. */
export function encodeSegmentHeader(header: Omit<SegmentHeader, 'version'>): Uint8Array {
  assert(isPowerOfTwo(header.blockBytes), 'blockBytes is a power of two');
  assert(header.blockBytes >= limits.blockBytesMin && header.blockBytes <= limits.blockBytesMax, 'blockBytes is one the decoder accepts');
  assert(header.logId.length === LOG_ID_BYTES, 'log id is 16 bytes');
  const block = new Uint8Array(header.blockBytes);
  const dv = view(block);
  block.set(MAGIC, 0);
  dv.setUint16(8, FORMAT_VERSION, true);
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
  if (version < FORMAT_VERSION) throw SeglogError.corrupt(`${file}: segment header has no valid version (${version})`, { file, positionBytes: 0 });
  const blockBytes = dv.getUint32(12, true);
  const baseOffset = readU64(dv, 16);
  if (!isPowerOfTwo(blockBytes) || blockBytes < limits.blockBytesMin || blockBytes > limits.blockBytesMax || baseOffset < 0) {
    throw SeglogError.corrupt(`${file}: segment header fields out of range`, { file, positionBytes: 0 });
  }
  return { version, blockBytes, baseOffset, logId: bytes.slice(24, 40) };
}
