/**
 * One job: the payload every crash and fuzz test writes at an offset, computed from the offset
 * alone (plus a per-log salt), so a checker knows the exact bytes of any record without being told
 * them: a killed child process never has to ship its payloads to the parent.
 *
 * Sizes are varied on purpose: mostly small records (many per batch), some of a few blocks, and a
 * few large ones that fill batches and force segment rolls; zero-length records are included.
 */

/** murmur3's 32-bit finaliser: spreads every input bit over the whole word. */
function fmix32(value: number): number {
  let h = value >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A 32-bit hash of (offset, salt, lane); offsets may exceed 2^32. */
function hashOffset(offset: number, salt: number, lane: number): number {
  const low = offset >>> 0;
  const high = Math.floor(offset / 2 ** 32) >>> 0;
  return fmix32(fmix32(low ^ Math.imul(salt, 0x9e3779b1)) ^ fmix32(high + lane * 0x632be5ab));
}

export interface SizeProfile {
  /** Largest record this profile produces. */
  readonly maxBytes: number;
}

/** Up to 16 KiB: 75% under 200 bytes, 22% up to 2 KiB, 3% up to `maxBytes`. */
export const KILL_PROFILE: SizeProfile = { maxBytes: 16 * 1024 };
/** Small records for small fuzz logs: up to 600 bytes. */
export const FUZZ_PROFILE: SizeProfile = { maxBytes: 600 };

export function payloadSizeBytes(offset: number, salt: number, profile: SizeProfile): number {
  const h = hashOffset(offset, salt, 1);
  const bucket = h % 100;
  const spread = h >>> 7;
  if (bucket < 3) return 0;
  if (bucket < 75) return spread % Math.min(200, profile.maxBytes + 1);
  if (bucket < 97) return spread % Math.min(2048, profile.maxBytes + 1);
  return spread % (profile.maxBytes + 1);
}

/** The payload of the record at `offset` in a log salted with `salt`. */
export function payloadAt(offset: number, salt: number, profile: SizeProfile): Uint8Array {
  const sizeBytes = payloadSizeBytes(offset, salt, profile);
  const bytes = new Uint8Array(sizeBytes);
  let state = hashOffset(offset, salt, 2) | 1;
  for (let i = 0; i < sizeBytes; i += 4) {
    // xorshift32: cheap, and never sticks at zero because the state starts odd.
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    for (let k = 0; k < 4 && i + k < sizeBytes; k++) bytes[i + k] = (state >>> (8 * k)) & 0xff;
  }
  return bytes;
}

/** Null when `payload` is exactly what `offset` must hold, else a short description of the difference. */
export function payloadMismatch(
  offset: number,
  salt: number,
  profile: SizeProfile,
  payload: Uint8Array,
): string | null {
  const expected = payloadAt(offset, salt, profile);
  if (expected.length !== payload.length) return `offset ${offset}: ${payload.length} bytes, expected ${expected.length}`;
  for (let i = 0; i < expected.length; i++) {
    if (expected[i] !== payload[i]) return `offset ${offset}: byte ${i} is ${payload[i]}, expected ${expected[i]}`;
  }
  return null;
}
