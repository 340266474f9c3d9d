/** One job: block alignment arithmetic, asserted. */
import { assert } from '@seglog/types';

export function isPowerOfTwo(value: number): boolean {
  return Number.isInteger(value) && value > 0 && (value & (value - 1)) === 0;
}

/** Rounds `bytes` up to a whole number of blocks: alignUp(5144, 4096) = 8192. */
export function alignUp(bytes: number, blockBytes: number): number {
  assert(isPowerOfTwo(blockBytes), 'blockBytes is a power of two');
  assert(Number.isSafeInteger(bytes) && bytes >= 0, 'bytes is a non-negative integer');
  return Math.ceil(bytes / blockBytes) * blockBytes;
}
