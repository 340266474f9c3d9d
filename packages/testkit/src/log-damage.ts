/**
 * One job: the corruption fuzzer's damage. It damages a copy of a log's files the ways disks,
 * people and bugs do, from a seeded PRNG:
 * flipped bits, random bytes, zeroed ranges, truncation, a block duplicated elsewhere, blocks
 * spliced in from another segment or from another log, a header copied from another segment,
 * blocks appended past the end,
 * damaged or deleted index files, deleted segments. Positions favour the places that decide how
 * bytes are read (segment headers, batch headers) as well as anywhere at all.
 * What the damage touched is for the caller to work out afterwards by comparing bytes (the
 * layouts tell which bytes hold which records), not from what was intended, so a damage that
 * happens to change nothing is not counted. Used by the store's corruption fuzz; any test that
 * damages a seglog log should draw from here, so there is one catalogue of damage.
 */
import { NEXT_SEGMENT_TMP, SEGMENT_HEADER_BYTES, crc32c } from '@seglog/format';
import type { SegmentLayout } from './log-layout.js';
import type { Prng } from './prng.js';

/** A log's files: name -> bytes. */
export type LogFiles = Map<string, Uint8Array>;

/** An undamaged log to damage copies of. */
export interface LogImage {
  readonly blockBytes: number;
  /** File name -> bytes, as the closed log left them (next.seg.tmp and index files included). */
  readonly files: ReadonlyMap<string, Uint8Array>;
  /** The layout of every segment of `files` (log-layout.ts). */
  readonly segments: readonly SegmentLayout[];
  /** An unrelated log of the same shape: a source of valid-looking foreign blocks. */
  readonly foreign: ReadonlyMap<string, Uint8Array>;
}

type Damage = (files: LogFiles, base: LogImage, prng: Prng) => string;

/** A segment to damage: the last one often, since that is where torn tails and corruption meet. */
function pickSegment(files: LogFiles, base: LogImage, prng: Prng): SegmentLayout | null {
  const present = base.segments.filter((segment) => files.has(segment.name));
  if (present.length === 0) return null;
  return prng.bool(0.4) ? present[present.length - 1]! : prng.pick(present);
}

/** A byte position in a segment: its header, a batch header, inside a batch, or anywhere. */
function pickPosition(segment: SegmentLayout, sizeBytes: number, prng: Prng): number {
  const roll = prng.float();
  const batch = segment.batches.length > 0 ? prng.pick(segment.batches) : null;
  let position: number;
  if (roll < 0.15) position = prng.int(0, 44);
  else if (roll < 0.35 && batch !== null) position = batch.positionBytes + prng.int(0, 32);
  else if (roll < 0.65 && batch !== null) position = prng.int(batch.positionBytes, batch.endBytes);
  else position = prng.int(0, Math.max(1, sizeBytes));
  return Math.min(position, Math.max(0, sizeBytes - 1));
}

function blockCount(bytes: Uint8Array, blockBytes: number): number {
  return Math.floor(bytes.length / blockBytes);
}

/** Copies `source[from, from + length)` over `target` at `at`, clipped to the target's size. */
function overwrite(target: Uint8Array, at: number, source: Uint8Array): void {
  const length = Math.min(source.length, target.length - at);
  if (length > 0) target.set(source.subarray(0, length), at);
}

const flipBits: Damage = (files, base, prng) => {
  const segment = pickSegment(files, base, prng);
  if (segment === null) return 'flip: no segment';
  const bytes = files.get(segment.name)!;
  const flips = prng.int(1, 5);
  const at = pickPosition(segment, bytes.length, prng);
  for (let i = 0; i < flips; i++) {
    const position = Math.min(bytes.length - 1, at + (i === 0 ? 0 : prng.int(0, 64)));
    bytes[position]! ^= 1 << prng.int(0, 8);
  }
  return `flip ${flips} bits near byte ${at} of ${segment.name}`;
};

const randomBytes: Damage = (files, base, prng) => {
  const segment = pickSegment(files, base, prng);
  if (segment === null) return 'random: no segment';
  const bytes = files.get(segment.name)!;
  const at = pickPosition(segment, bytes.length, prng);
  const length = prng.int(1, 65);
  overwrite(bytes, at, prng.bytes(length));
  return `random ${length} bytes at ${at} of ${segment.name}`;
};

const zeroRange: Damage = (files, base, prng) => {
  const segment = pickSegment(files, base, prng);
  if (segment === null) return 'zero: no segment';
  const bytes = files.get(segment.name)!;
  const at = pickPosition(segment, bytes.length, prng);
  const length = prng.int(1, 2 * base.blockBytes);
  bytes.fill(0, at, at + length);
  return `zero ${length} bytes at ${at} of ${segment.name}`;
};

const truncate: Damage = (files, base, prng) => {
  const segment = pickSegment(files, base, prng);
  if (segment === null) return 'truncate: no segment';
  const bytes = files.get(segment.name)!;
  const length = prng.bool(0.2) ? prng.int(0, base.blockBytes + 1) : pickPosition(segment, bytes.length, prng);
  files.set(segment.name, bytes.slice(0, length));
  return `truncate ${segment.name} to ${length} bytes`;
};

const duplicateBlock: Damage = (files, base, prng) => {
  const segment = pickSegment(files, base, prng);
  if (segment === null) return 'duplicate: no segment';
  const { blockBytes } = base;
  const bytes = files.get(segment.name)!;
  const blocks = blockCount(bytes, blockBytes);
  if (blocks < 2) return 'duplicate: too short';
  const from = prng.int(1, blocks);
  const to = prng.int(1, blocks);
  overwrite(bytes, to * blockBytes, bytes.slice(from * blockBytes, (from + 1) * blockBytes));
  return `duplicate block ${from} onto block ${to} of ${segment.name}`;
};

/** Copies 1-3 blocks from `source` (another segment, or another log) into a segment. */
function splice(files: LogFiles, base: LogImage, prng: Prng, source: Uint8Array, sourceName: string): string {
  const segment = pickSegment(files, base, prng);
  if (segment === null) return 'splice: no segment';
  const { blockBytes } = base;
  const bytes = files.get(segment.name)!;
  const count = prng.int(1, 4);
  const sourceBlocks = blockCount(source, blockBytes);
  const targetBlocks = blockCount(bytes, blockBytes);
  if (sourceBlocks < 1 || targetBlocks < 1) return 'splice: too short';
  const from = prng.int(0, sourceBlocks);
  // Often the same block number: what a misdirected write of the right block would do.
  const to = prng.bool(0.5) ? Math.min(from, targetBlocks - 1) : prng.int(0, targetBlocks);
  overwrite(bytes, to * blockBytes, source.slice(from * blockBytes, (from + count) * blockBytes));
  return `splice ${count} blocks from block ${from} of ${sourceName} onto block ${to} of ${segment.name}`;
}

const spliceOtherSegment: Damage = (files, base, prng) => {
  const name = prng.pick(base.segments).name;
  return splice(files, base, prng, base.files.get(name)!, name);
};

const spliceOtherLog: Damage = (files, base, prng) => {
  const names = [...base.foreign.keys()].filter((name) => name.endsWith('.seg'));
  const name = prng.pick(names);
  return splice(files, base, prng, base.foreign.get(name)!, `foreign ${name}`);
};

const copyHeader: Damage = (files, base, prng) => {
  const segment = pickSegment(files, base, prng);
  if (segment === null) return 'header: no segment';
  const fromForeign = prng.bool(0.5);
  const source = fromForeign ? base.foreign : base.files;
  const name = prng.pick([...source.keys()].filter((candidate) => candidate.endsWith('.seg')));
  overwrite(files.get(segment.name)!, 0, source.get(name)!.slice(0, base.blockBytes));
  return `header of ${fromForeign ? 'foreign ' : ''}${name} copied onto ${segment.name}`;
};

/** Grows a segment: zeros, random bytes, or copies of batch blocks from anywhere in the log. */
const appendBlocks: Damage = (files, base, prng) => {
  const segment = pickSegment(files, base, prng);
  if (segment === null) return 'append: no segment';
  const { blockBytes } = base;
  const bytes = files.get(segment.name)!;
  const count = prng.int(1, 4);
  const grown = new Uint8Array(bytes.length + count * blockBytes);
  grown.set(bytes);
  const kind = prng.pick(['zeros', 'random', 'copies'] as const);
  for (let i = 0; i < count; i++) {
    const at = bytes.length + i * blockBytes;
    if (kind === 'random') grown.set(prng.bytes(blockBytes), at);
    if (kind === 'copies') {
      const source = base.files.get(prng.pick(base.segments).name)!;
      const from = prng.int(1, Math.floor(source.length / blockBytes));
      grown.set(source.subarray(from * blockBytes, (from + 1) * blockBytes), at);
    }
  }
  files.set(segment.name, grown);
  return `append ${count} blocks of ${kind} to ${segment.name}`;
};

const damageIndex: Damage = (files, base, prng) => {
  const segment = prng.pick(base.segments);
  const bytes = files.get(segment.indexName);
  if (bytes === undefined || bytes.length === 0) return `index ${segment.indexName}: nothing to damage`;
  const roll = prng.float();
  if (roll < 0.2) {
    files.delete(segment.indexName);
    return `delete ${segment.indexName}`;
  }
  if (roll < 0.4) {
    files.set(segment.indexName, bytes.slice(0, prng.int(0, bytes.length)));
    return `truncate ${segment.indexName}`;
  }
  if (roll < 0.6) {
    // Another segment's entries: well-formed, checksummed, and wrong for this segment.
    const other = files.get(prng.pick(base.segments).indexName) ?? new Uint8Array(0);
    files.set(segment.indexName, other.slice());
    return `replace ${segment.indexName} with another segment's index`;
  }
  const at = prng.int(0, bytes.length);
  bytes[at]! ^= 1 << prng.int(0, 8);
  return `flip a bit at ${at} of ${segment.indexName}`;
};

const deleteSegment: Damage = (files, base, prng) => {
  const present = base.segments.filter((segment) => files.has(segment.name));
  if (present.length < 3) return 'delete: too few segments';
  const ends = [present[0]!, present[present.length - 1]!];
  const segment = prng.bool(0.7) ? prng.pick(present.slice(1, -1)) : prng.pick(ends);
  files.delete(segment.name);
  if (prng.bool(0.5)) files.delete(segment.indexName);
  return `delete ${segment.name}`;
};

const damageTmp: Damage = (files, _base, prng) => {
  const bytes = files.get(NEXT_SEGMENT_TMP);
  if (bytes === undefined || bytes.length === 0) return 'tmp: none';
  overwrite(bytes, prng.int(0, bytes.length), prng.bytes(prng.int(1, 600)));
  return `garbage in ${NEXT_SEGMENT_TMP}`;
};

const DAMAGES: ReadonlyArray<readonly [weight: number, damage: Damage]> = [
  [20, flipBits],
  [12, randomBytes],
  [10, zeroRange],
  [10, truncate],
  [8, duplicateBlock],
  [8, spliceOtherSegment],
  [8, spliceOtherLog],
  [4, copyHeader],
  [10, damageIndex],
  [6, deleteSegment],
  [2, damageTmp],
  [5, appendBlocks],
];
const WEIGHT_TOTAL = DAMAGES.reduce((sum, [weight]) => sum + weight, 0);

/** Applies one to three seeded damages to `files` (a copy of `base.files`, in place); returns what was done. */
export function damageLog(files: LogFiles, base: LogImage, prng: Prng): string[] {
  const count = prng.bool(0.75) ? 1 : prng.int(2, 4);
  const done: string[] = [];
  for (let i = 0; i < count; i++) {
    let pick = prng.int(0, WEIGHT_TOTAL);
    const entry = DAMAGES.find(([weight]) => (pick -= weight) < 0)!;
    done.push(entry[1](files, base, prng));
  }
  return done;
}

/** A fresh, independent copy of a log's files for one case. */
export function copyFiles(files: ReadonlyMap<string, Uint8Array>): LogFiles {
  return new Map([...files].map(([name, bytes]) => [name, bytes.slice()]));
}

/**
 * A copy of a segment's bytes as a writer of format `version` would have written its header: the
 * version field (u16 at byte 8) set and the header CRC (the last 4 of its 44 bytes) recomputed,
 * so only the version speaks. For tests of SEGLOG_UNSUPPORTED_FORMAT.
 */
export function withFormatVersion(segment: Uint8Array, version: number): Uint8Array {
  const bytes = segment.slice();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const crcAt = SEGMENT_HEADER_BYTES - 4;
  view.setUint16(8, version, true);
  view.setUint32(crcAt, crc32c(bytes.subarray(0, crcAt)), true);
  return bytes;
}
