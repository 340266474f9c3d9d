/**
 * One job: the 16-byte sparse index entry (offset -> block number). See docs/format.md.
 * Entries are hints: each carries its own CRC so a torn or stale index is skipped, never trusted.
 */
import { assert } from '@seglog/types';
import { readU64, view, writeU64 } from './bytes.js';
import { crc32c } from './crc32c.js';

export const INDEX_ENTRY_BYTES = 16;

export interface IndexEntry {
  readonly firstOffset: number;
  readonly blockNumber: number;
}

export function writeIndexEntry(target: Uint8Array, at: number, entry: IndexEntry): void {
  assert(Number.isInteger(entry.blockNumber) && entry.blockNumber >= 1 && entry.blockNumber < 2 ** 32, 'block number fits u32');
  const dv = view(target);
  writeU64(dv, at, entry.firstOffset);
  dv.setUint32(at + 8, entry.blockNumber, true);
  dv.setUint32(at + 12, crc32c(target.subarray(at, at + 12)), true);
}

export function encodeIndexEntries(entries: readonly IndexEntry[]): Uint8Array {
  const out = new Uint8Array(entries.length * INDEX_ENTRY_BYTES);
  entries.forEach((entry, i) => writeIndexEntry(out, i * INDEX_ENTRY_BYTES, entry));
  return out;
}

/**
 * Decodes the longest prefix of well-formed entries with strictly increasing offsets and block
 * numbers. Anything after the first bad entry is ignored.
 */
export function decodeIndexEntries(bytes: Uint8Array): IndexEntry[] {
  const dv = view(bytes);
  const entries: IndexEntry[] = [];
  for (let at = 0; at + INDEX_ENTRY_BYTES <= bytes.length; at += INDEX_ENTRY_BYTES) {
    if (crc32c(bytes.subarray(at, at + 12)) !== dv.getUint32(at + 12, true)) break;
    const firstOffset = readU64(dv, at);
    const blockNumber = dv.getUint32(at + 8, true);
    const previous = entries[entries.length - 1];
    if (firstOffset < 0 || blockNumber < 1) break;
    if (previous !== undefined && (firstOffset <= previous.firstOffset || blockNumber <= previous.blockNumber)) break;
    entries.push({ firstOffset, blockNumber });
  }
  return entries;
}

/** Index of the last entry with firstOffset <= offset, or -1. */
export function findIndexEntry(entries: readonly IndexEntry[], offset: number): number {
  return findLastAtOrBelow(entries, offset, (entry) => entry.firstOffset);
}

/**
 * Index of the last item whose key is at or below `key`, or -1, by binary search over items sorted
 * by key: the one search over index entries and over segments by base offset.
 */
export function findLastAtOrBelow<T>(items: readonly T[], key: number, keyOf: (item: T) => number): number {
  let low = 0;
  let high = items.length - 1;
  let found = -1;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    if (keyOf(items[mid]!) <= key) {
      found = mid;
      low = mid + 1;
    } else {
      high = mid - 1;
    }
  }
  return found;
}
