/** One job: byte access: little-endian u64 for offsets that are safe JS integers, and byte equality. */
import { assert } from '@seglog/types';

export function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function writeU64(dv: DataView, at: number, value: number): void {
  assert(Number.isSafeInteger(value) && value >= 0, 'u64 value is a safe non-negative integer');
  dv.setUint32(at, value % 2 ** 32, true);
  dv.setUint32(at + 4, Math.floor(value / 2 ** 32), true);
}

/** Reads a u64; returns -1 when it is beyond 2^53 (which no valid field holds). */
export function readU64(dv: DataView, at: number): number {
  const low = dv.getUint32(at, true);
  const high = dv.getUint32(at + 4, true);
  if (high >= 2 ** 21) return -1;
  return high * 2 ** 32 + low;
}

/** True when `a` and `b` hold the same bytes (log ids, magics). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
