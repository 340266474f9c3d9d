/**
 * One job: small helpers shared by the format tests (not a test file: ava only runs *.test.ts).
 * Byte comparisons go through hex so a failure prints the bytes that differ, and property runs
 * take their seed from SEGLOG_SEED so any failure fast-check reports can be replayed exactly.
 */
import type { Parameters } from 'fast-check';
import { crc32cPortable } from '../src/index.js';

/** Hex of `bytes`; views and copies of the same bytes give the same string. */
export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export function fromHex(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'hex'));
}

export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** A payload whose bytes depend on `seed` and position, so two payloads rarely look alike. */
export function patternBytes(lengthBytes: number, seed: number): Uint8Array {
  const out = new Uint8Array(lengthBytes);
  for (let i = 0; i < lengthBytes; i++) out[i] = (seed * 31 + i * 7 + (i >> 8)) & 0xff;
  return out;
}

/** A fixed 16-byte log id built from one number, for tests that need two distinct logs. */
export function logIdOf(seed: number): Uint8Array {
  return Uint8Array.from({ length: 16 }, (_, i) => (seed * 17 + i * 29 + 1) & 0xff);
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let totalBytes = 0;
  for (const part of parts) totalBytes += part.length;
  const out = new Uint8Array(totalBytes);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

export function isAllZero(bytes: Uint8Array): boolean {
  return bytes.every((byte) => byte === 0);
}

/**
 * mulberry32: a tiny seeded PRNG for loops inside one property run (e.g. the XOR value used at
 * each byte position), so a fast-check seed still replays the whole run.
 */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** fast-check parameters: `numRuns`, plus SEGLOG_SEED when set so a reported failure replays. */
export function propertyParams<Ts>(numRuns: number): Parameters<Ts> {
  const seedText = process.env['SEGLOG_SEED'];
  if (seedText === undefined || seedText === '') return { numRuns };
  return { numRuns, seed: Number(seedText) };
}

/**
 * True when the batch at the start of `bytes` passes its CRC checks, recomputed here with the
 * portable CRC-32C and the layout of docs/format.md (not the decoder's code): v1, the one CRC over
 * log id, header and body; v2, the header CRC over log id, header and table, then every chunk's.
 */
export function independentlyValid(logId: Uint8Array, bytes: Uint8Array): boolean {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = String.fromCharCode(...bytes.subarray(0, 4));
  const bodyBytes = dv.getUint32(20, true);
  if (magic === 'SGB1') return crc32cPortable(bytes.subarray(8, 32 + bodyBytes), crc32cPortable(logId)) === dv.getUint32(4, true);
  if (magic !== 'SGB2') return false;
  const chunkCount = dv.getUint32(40, true);
  const tableAt = 48 + bodyBytes - 12 * chunkCount;
  const table = bytes.subarray(tableAt, 48 + bodyBytes);
  const headerCrc = crc32cPortable(table, crc32cPortable(bytes.subarray(8, 48), crc32cPortable(logId)));
  if (headerCrc !== dv.getUint32(4, true)) return false;
  let from = 48;
  for (let i = 0; i < chunkCount; i++) {
    const to = 48 + dv.getUint32(tableAt + 12 * i + 4, true);
    if (crc32cPortable(bytes.subarray(from, to)) !== dv.getUint32(tableAt + 12 * i + 8, true)) return false;
    from = to;
  }
  return true;
}
