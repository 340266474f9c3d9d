/**
 * One job: CRC-32C (Castagnoli), unsigned, incremental.
 *
 * Two implementations of the same function. `@node-rs/crc32` computes it with the CPU's CRC32
 * instruction (prebuilt per platform, no compiler needed at install); every batch is checksummed
 * on the event loop, so on large buffers the native one is several times faster and it is what
 * keeps checksumming a small part of the writer's CPU. Where no prebuilt binary loads (an unusual
 * platform, or the optional package left out), the portable one from `crc-32` is used: same
 * results, only slower. Tests run both against the same vectors and against each other. Both are
 * exported (`crc32cNative`, `crc32cPortable`) so they can be timed on the machine in question.
 */
import { createRequire } from 'node:module';
import CRC32C from 'crc-32/crc32c.js';

type Crc32c = (bytes: Uint8Array, seed?: number) => number;

/** The portable implementation (crc-32 is CommonJS: default import; `buf` returns a signed int32). */
export function crc32cPortable(bytes: Uint8Array, seed?: number): number {
  // crc-32 wants the seed in its own signed form.
  return (seed === undefined ? CRC32C.buf(bytes) : CRC32C.buf(bytes, seed | 0)) >>> 0;
}

interface NativeCrc32 {
  crc32c(input: Uint8Array, initialState?: number | null): number;
}

/**
 * Below this size the fixed cost of a call into the addon is more than the portable loop spends on
 * the bytes, so headers and index entries stay portable. Chosen by timing both on x86-64; time them
 * again to move the threshold for another machine.
 */
const NATIVE_MIN_BYTES = 256;

function loadNative(): Crc32c | null {
  let native: NativeCrc32;
  try {
    native = createRequire(import.meta.url)('@node-rs/crc32') as NativeCrc32;
  } catch {
    return null;
  }
  const compute: Crc32c = (bytes, seed) =>
    bytes.byteLength < NATIVE_MIN_BYTES ? crc32cPortable(bytes, seed) : native.crc32c(bytes, seed ?? 0) >>> 0;
  // Trust it only if it agrees with the standard check value on a view into a larger buffer
  // (a plain Uint8Array, not a Buffer, at an offset), as the store will pass it.
  const probe = new Uint8Array(NATIVE_MIN_BYTES + 11);
  probe.set(new TextEncoder().encode('123456789'), 2);
  const view = probe.subarray(2, 2 + NATIVE_MIN_BYTES);
  try {
    const agrees = compute(view) === crc32cPortable(view) && native.crc32c(probe.subarray(2, 11)) >>> 0 === 0xe3069283;
    return agrees ? compute : null;
  } catch {
    return null;
  }
}

const nativeCrc32c = loadNative();

/** The native implementation, or null where it does not load on this platform. */
export const crc32cNative: Crc32c | null = nativeCrc32c;

/** Which implementation `crc32c` uses here. */
export const CRC32C_IMPLEMENTATION: 'native' | 'portable' = nativeCrc32c === null ? 'portable' : 'native';

/** CRC-32C of `bytes`, continuing from `seed` (the unsigned result of an earlier call). */
export const crc32c: Crc32c = nativeCrc32c ?? crc32cPortable;
