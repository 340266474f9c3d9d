/**
 * One job: encode and decode the slots of the HEAD file, the log's durable checkpoint. See
 * docs/format.md ("HEAD").
 *
 * HEAD is 1536 bytes: three 512-byte slots, slot = seq % 3, each rewritten in place. A slot is one
 * sector, so a torn write can only damage the slot being written, never another; its CRC tells a
 * torn slot from a whole one, and a reader takes the valid slot with the highest seq. Three, not
 * two: the writer never overwrites the last flushed slot nor the one being flushed, and with a
 * third it can still publish a new end while a flush is running (head-checkpoint.ts).
 *
 * Version 1 (before the third slot) had two slots, 1024 bytes, slot = seq % 2. It is still read:
 * a slot's version says which rule placed it, so a reader accepts an old HEAD as it is, and a
 * writer that opens one rewrites it whole as version 2. A version-1 reader meets a valid slot of
 * version 2 and refuses it (SEGLOG_UNSUPPORTED_FORMAT) rather than miss the third slot.
 * Every value ever written is a lower bound of what was acknowledged, so an open that recovers
 * less than `durableOffset` knows acknowledged records were lost.
 *
 * Issue 12 uses `firstOffset`, `truncateEpoch` and `pendingTruncation`; issue 9 writes them (as
 * 0 / 0 / none, or as read) so the layout does not change when they come into use.
 */
import { assert, SeglogError } from '@seglog/types';
import { readU64, view, writeU64 } from './bytes.js';
import { crc32c } from './crc32c.js';
import { LOG_ID_BYTES } from './segment-header.js';

export const HEAD_FILE_NAME = 'HEAD';
export const HEAD_SLOT_BYTES = 512;
export const HEAD_SLOT_COUNT = 3;
export const HEAD_FILE_BYTES = HEAD_SLOT_BYTES * HEAD_SLOT_COUNT;
export const HEAD_VERSION = 2;
/** The slots of a version-1 HEAD (1024 bytes, slot = seq % 2): still read, never written. */
export const HEAD_V1_SLOT_COUNT = 2;
const MAGIC = new TextEncoder().encode('SEGLHEAD');
/** The CRC-32C covers the slot up to here and sits in its last 4 bytes. */
const CRC_AT = HEAD_SLOT_BYTES - 4;

/** A truncation that was decided but may not have finished (issue 12 finishes it at open). */
export interface PendingTruncation {
  /** 1: drop records at `offset` and after (truncateAfter); 2: drop below `offset` (truncateBefore). */
  readonly kind: 1 | 2;
  readonly offset: number;
}

export interface HeadState {
  /** Write sequence number; the slot written is seq % 3 (seq % 2 in a version-1 HEAD). */
  readonly seq: number;
  readonly logId: Uint8Array;
  /** One past the last acknowledged record (a lower bound: later acknowledgements may be missing). */
  readonly durableOffset: number;
  /** The low-water mark: no record below it is readable. */
  readonly firstOffset: number;
  /** Bumped by every truncation after an offset and every accepted loss: offsets were reused. */
  readonly truncateEpoch: number;
  readonly pendingTruncation: PendingTruncation | null;
  /**
   * Where the newest reuse of offsets began: the offset of the last `truncateAfter` or accepted
   * loss (0 before any). A reader that saw `truncateEpoch` move by one and had read up to this
   * offset has seen nothing that was taken back.
   */
  readonly truncatedAt: number;
  /** Wall-clock time of the write, ms since the epoch (for people; nothing depends on it). */
  readonly writtenAtMs: number;
}

/**
 * Layout (little-endian): 0 magic "SEGLHEAD" (8), 8 version u16, 10 pending kind u8, 11 reserved
 * (5, zero), 16 seq u64, 24 log id (16), 40 durableOffset u64, 48 firstOffset u64,
 * 56 truncateEpoch u64, 64 pending offset u64, 72 writtenAtMs u64, 80 truncatedAt u64, 88..507
 * zero, 508 CRC-32C of bytes 0..507. (truncatedAt was zero before issue 12 wrote it; 0 reads as
 * "unknown where", which readers treat as "everything after the last offset they knew".)
 */
export function encodeHeadSlot(state: HeadState): Uint8Array {
  assert(state.logId.length === LOG_ID_BYTES, 'log id is 16 bytes');
  assert(state.firstOffset <= state.durableOffset, 'the low-water mark is at or below the durable end');
  const slot = new Uint8Array(HEAD_SLOT_BYTES);
  const dv = view(slot);
  slot.set(MAGIC, 0);
  dv.setUint16(8, HEAD_VERSION, true);
  dv.setUint8(10, state.pendingTruncation?.kind ?? 0);
  writeU64(dv, 16, state.seq);
  slot.set(state.logId, 24);
  writeU64(dv, 40, state.durableOffset);
  writeU64(dv, 48, state.firstOffset);
  writeU64(dv, 56, state.truncateEpoch);
  writeU64(dv, 64, state.pendingTruncation?.offset ?? 0);
  writeU64(dv, 72, Math.max(0, Math.floor(state.writtenAtMs)));
  writeU64(dv, 80, state.truncatedAt);
  dv.setUint32(CRC_AT, crc32c(slot.subarray(0, CRC_AT)), true);
  return slot;
}

/**
 * Decodes one slot; null when it is not a whole, valid slot (never written, torn, damaged).
 * A valid slot of a newer version is SEGLOG_UNSUPPORTED_FORMAT naming `file`.
 */
export function decodeHeadSlot(slot: Uint8Array, file: string): HeadState | null {
  return decodeVersionedSlot(slot, file)?.state ?? null;
}

/** A valid slot and the version that wrote it (which says how many slots its file has). */
interface VersionedSlot {
  readonly state: HeadState;
  readonly version: number;
}

function decodeVersionedSlot(slot: Uint8Array, file: string): VersionedSlot | null {
  if (slot.length < HEAD_SLOT_BYTES) return null;
  for (let i = 0; i < MAGIC.length; i++) if (slot[i] !== MAGIC[i]) return null;
  const dv = view(slot);
  if (crc32c(slot.subarray(0, CRC_AT)) !== dv.getUint32(CRC_AT, true)) return null;
  const version = dv.getUint16(8, true);
  if (version > HEAD_VERSION) throw SeglogError.unsupportedFormat(file, version, HEAD_VERSION);
  const kind = dv.getUint8(10);
  const fields = [16, 40, 48, 56, 64, 72, 80].map((at) => readU64(dv, at));
  const [seq, durableOffset, firstOffset, truncateEpoch, pendingOffset, writtenAtMs, truncatedAt] = fields as [
    number, number, number, number, number, number, number,
  ];
  // A whole slot with impossible fields was written by something else: not ours to trust.
  if (version < 1 || fields.some((value) => value < 0) || kind > 2 || firstOffset > durableOffset) return null;
  const pendingTruncation = kind === 0 ? null : { kind: kind as 1 | 2, offset: pendingOffset };
  const logId = slot.slice(24, 40);
  const state = { seq, logId, durableOffset, firstOffset, truncateEpoch, pendingTruncation, writtenAtMs, truncatedAt };
  return { state, version };
}

/** The newest valid slot of a HEAD file and the version of its layout (1: two slots, 2: three). */
export interface DecodedHead {
  readonly state: HeadState;
  readonly version: number;
}

/**
 * The valid slot with the highest seq in a HEAD file's bytes (either layout), with its version, or
 * null when no slot is valid.
 */
export function decodeHeadFile(bytes: Uint8Array, file: string): DecodedHead | null {
  // Slots are tried from the highest seq they claim down, and the first valid one is the answer:
  // a valid slot's claim is its seq, so no valid slot below it can be newer. A follower decodes
  // HEAD at every wake-up, and this verifies one slot instead of three when the newest is whole.
  const dv = view(bytes);
  const claims = Array.from({ length: HEAD_SLOT_COUNT }, (_, slot) => {
    const at = slot * HEAD_SLOT_BYTES + 16;
    return { slot, seq: at + 8 <= bytes.length ? readU64(dv, at) : -1 };
  });
  claims.sort((a, b) => b.seq - a.seq || a.slot - b.slot);
  for (const { slot } of claims) {
    const start = slot * HEAD_SLOT_BYTES;
    const found = decodeVersionedSlot(bytes.subarray(start, start + HEAD_SLOT_BYTES), file);
    // A slot found where its own version's rule would not put it was not written by us.
    if (found !== null && found.state.seq % slotCountOf(found.version) === slot) return found;
  }
  return null;
}

/** The valid slot with the highest seq in a HEAD file's bytes, or null when no slot is valid. */
export function decodeHead(bytes: Uint8Array, file: string): HeadState | null {
  return decodeHeadFile(bytes, file)?.state ?? null;
}

/** How many slots a HEAD of `version` has. */
function slotCountOf(version: number): number {
  return version === 1 ? HEAD_V1_SLOT_COUNT : HEAD_SLOT_COUNT;
}

/** The slot (0, 1 or 2) that `seq` is written to. */
export function headSlotOf(seq: number): number {
  return seq % HEAD_SLOT_COUNT;
}

/** Byte position of the slot that `seq` is written to. */
export function headSlotPosition(seq: number): number {
  return headSlotOf(seq) * HEAD_SLOT_BYTES;
}
