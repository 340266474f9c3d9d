/**
 * One job: CRC-32C (Castagnoli), unsigned, incremental. crc-32 is CommonJS, so it is imported by
 * default; its `buf` returns a signed int32, hence `>>> 0`.
 */
import CRC32C from 'crc-32/crc32c.js';

/** CRC-32C of `bytes`, continuing from `seed` (the unsigned result of an earlier call). */
export function crc32c(bytes: Uint8Array, seed?: number): number {
  // crc-32 wants the seed in its own signed form.
  return (seed === undefined ? CRC32C.buf(bytes) : CRC32C.buf(bytes, seed | 0)) >>> 0;
}
