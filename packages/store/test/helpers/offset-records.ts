/**
 * One job: records that carry their own offset, for the tests of the offset bounds (firstOffset,
 * truncateBefore, truncateAfter, retention): make them, append runs of them, list the segment base
 * offsets, and find the first acknowledged offset that does not read back as appended.
 */
import { segmentNames } from '@seglog/testkit';
import type { FileIO } from '@seglog/types';
import type { Log } from '../../src/index.js';

const RECORD_BYTES = 40;

/**
 * The record appended at `offset`: the offset and `generation` (u32 each, little-endian), then a
 * fill derived from both. A truncation test appends the offsets it took back again with a new
 * generation, so the records that replace them differ from the ones they replace.
 */
export function payloadAt(offset: number, generation = 0): Uint8Array {
  const bytes = new Uint8Array(RECORD_BYTES);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, offset, true);
  view.setUint32(4, generation, true);
  bytes.fill((offset + generation) % 251, 8);
  return bytes;
}

/** Appends `count` records of `generation` at the log's next offsets; resolves to the first. */
export async function appendRun(log: Log, count: number, generation = 0): Promise<number> {
  const first = log.nextOffset;
  return log.appendMany(Array.from({ length: count }, (_, i) => payloadAt(first + i, generation)));
}

/** The base offsets of the segment files in `dir`, ascending. */
export async function segmentBases(io: FileIO, dir: string): Promise<number[]> {
  return segmentNames(await io.readdir(dir)).map((segment) => segment.baseOffset);
}

/**
 * The first offset in [from, to) whose record in `payloads` (read from offset `base` on) is not
 * `payloadAt(offset)`, or undefined when every one reads back as appended.
 */
export function firstWrongOffset(
  payloads: readonly Uint8Array[],
  base: number,
  from: number,
  to: number,
): number | undefined {
  for (let offset = from; offset < to; offset++) {
    const got = payloads[offset - base];
    const expected = payloadAt(offset);
    const same = got !== undefined && got.length === expected.length && got.every((byte, i) => byte === expected[i]);
    if (!same) return offset;
  }
  return undefined;
}
