/**
 * One job: encode and decode a retention hold file, `<dir>/holds/<name>.hold`. See docs/format.md
 * ("Retention holds").
 *
 * A hold is one small file per holder, written whole (temp file, fdatasync, rename, directory
 * fsync) so a crash leaves the old hold or the new one, never a mix. Its CRC-32C still guards it:
 * a hold that fails it was damaged by something else, and a damaged hold must stop retention (it
 * may have protected records) rather than be ignored.
 *
 * Layout (little-endian, 128 bytes): 0 magic "SEGLHOLD" (8), 8 version u16, 10 name length u8,
 * 11 reserved (5, zero), 16 offset u64, 24 setAtMs u64, 32 name (UTF-8, up to 64 bytes, zero
 * padded to 96), 124 CRC-32C of bytes 0..123.
 */
import { SeglogError } from '@seglog/types';
import { readU64, view, writeU64 } from './bytes.js';
import { crc32c } from './crc32c.js';

export const HOLDS_DIR_NAME = 'holds';
export const HOLD_FILE_SUFFIX = '.hold';
export const HOLD_RECORD_BYTES = 128;
export const HOLD_VERSION = 1;
export const HOLD_NAME_BYTES_MAX = 64;
const MAGIC = new TextEncoder().encode('SEGLHOLD');
const NAME_AT = 32;
const CRC_AT = HOLD_RECORD_BYTES - 4;
/** Names are file names on every platform: letters, digits, '.', '_', '-', not starting with '.'. */
const NAME_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$/;

export interface HoldRecord {
  /** Who holds: one hold per name; setting it again moves it. */
  readonly name: string;
  /** Retention keeps every record at or above this offset. */
  readonly offset: number;
  /** Wall-clock ms when the hold was set (for people; nothing depends on it). */
  readonly setAtMs: number;
}

/** Whether `name` may name a hold (and so its file). */
export function isHoldName(name: unknown): name is string {
  return typeof name === 'string' && NAME_PATTERN.test(name);
}

/** The file name of the hold `name` (a name `isHoldName` accepts). */
export function holdFileName(name: string): string {
  return `${name}${HOLD_FILE_SUFFIX}`;
}

/** The hold name in a file name, or null when the file is not a hold (a temp file, anything else). */
export function parseHoldFileName(fileName: string): string | null {
  if (!fileName.endsWith(HOLD_FILE_SUFFIX)) return null;
  const name = fileName.slice(0, -HOLD_FILE_SUFFIX.length);
  return isHoldName(name) ? name : null;
}

export function encodeHoldRecord(hold: HoldRecord): Uint8Array {
  const name = new TextEncoder().encode(hold.name);
  if (!isHoldName(hold.name) || name.length > HOLD_NAME_BYTES_MAX) {
    throw SeglogError.invalidOption('hold name', `must match ${String(NAME_PATTERN)}, got ${JSON.stringify(hold.name)}`);
  }
  const bytes = new Uint8Array(HOLD_RECORD_BYTES);
  const dv = view(bytes);
  bytes.set(MAGIC, 0);
  dv.setUint16(8, HOLD_VERSION, true);
  dv.setUint8(10, name.length);
  writeU64(dv, 16, hold.offset);
  writeU64(dv, 24, Math.max(0, Math.floor(hold.setAtMs)));
  bytes.set(name, NAME_AT);
  dv.setUint32(CRC_AT, crc32c(bytes.subarray(0, CRC_AT)), true);
  return bytes;
}

/**
 * Decodes a hold file's bytes; null when they are not a whole, valid hold. A valid hold of a newer
 * version is SEGLOG_UNSUPPORTED_FORMAT naming `file`.
 */
export function decodeHoldRecord(bytes: Uint8Array, file: string): HoldRecord | null {
  if (bytes.length !== HOLD_RECORD_BYTES) return null;
  for (let i = 0; i < MAGIC.length; i++) if (bytes[i] !== MAGIC[i]) return null;
  const dv = view(bytes);
  if (crc32c(bytes.subarray(0, CRC_AT)) !== dv.getUint32(CRC_AT, true)) return null;
  const version = dv.getUint16(8, true);
  if (version > HOLD_VERSION) throw SeglogError.unsupportedFormat(file, version, HOLD_VERSION);
  const nameBytes = dv.getUint8(10);
  const offset = readU64(dv, 16);
  const setAtMs = readU64(dv, 24);
  if (version < 1 || nameBytes === 0 || nameBytes > HOLD_NAME_BYTES_MAX || offset < 0 || setAtMs < 0) return null;
  const name = new TextDecoder().decode(bytes.subarray(NAME_AT, NAME_AT + nameBytes));
  return isHoldName(name) ? { name, offset, setAtMs } : null;
}
