/**
 * One job: `reader.offsetForTime(ms)`: the first offset appended at or after a wall-clock time,
 * found by binary search over the append times in v2 batch headers, never by a scan of the log.
 *
 * Append times rise with offsets (each batch is stamped when it is sealed, in offset order), so:
 * 1. Over segments: the time of each one's first batch, O(log segments) header reads, finds the
 *    last segment whose first batch is older than `ms`.
 * 2. Inside it: the batches its sparse index points at (`.idx`, checked by reading each batch),
 *    O(log entries) reads, find the last indexed batch older than `ms`.
 * 3. From there a walk of at most one index interval finds the first batch at or after `ms`; if
 *    the segment ends first, the answer is the next segment's first record.
 * Records in format v1 segments carry no time; they count as older than any time asked for, so
 * the answer is never one of them. The writer keeps append times from going down, within one open
 * and across restarts (it starts from the last time recovery found), even when the wall clock steps
 * back; a log whose times still go down (written by another tool) gets one offset appended at or
 * after `ms`, maybe not the first.
 */
import { batchAt, decodeIndexEntries, readFully } from '@seglog/format';
import type { ChainFile } from '@seglog/format';
import type { FileHandle, FileIO } from '@seglog/types';
import { SeglogError } from '@seglog/types';
import type { SegmentInfo } from './segment-catalog.js';

/** Batches walked at most from an index entry (the writer indexes every 16 KiB by default). */
const WALK_BATCHES_MAX = 1 << 20;

interface Stamp {
  readonly firstOffset: number;
  /** -Infinity for a v1 batch (no time): older than anything asked for. */
  readonly timeMs: number;
}

class SegmentFile {
  readonly #segment: SegmentInfo;
  readonly #handle: FileHandle;
  readonly #file: ChainFile;

  private constructor(segment: SegmentInfo, handle: FileHandle, sizeBytes: number) {
    this.#segment = segment;
    this.#handle = handle;
    this.#file = { source: handle, sizeBytes, logId: segment.logId, blockBytes: segment.blockBytes };
  }

  static async open(io: FileIO, segment: SegmentInfo): Promise<SegmentFile> {
    const handle = await io.open(segment.path, 'read');
    try {
      return new SegmentFile(segment, handle, await handle.sizeBytes());
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw error;
    }
  }

  /** The batch at `positionBytes` that must start at `offset`: its stamp and where the next one starts. */
  async at(positionBytes: number, offset: number): Promise<{ stamp: Stamp; next: number; count: number } | null> {
    const step = await batchAt(this.#file, positionBytes, offset);
    if (step.kind === 'break') return null;
    const timeMs = step.header.appendTimeMs ?? Number.NEGATIVE_INFINITY;
    const next = positionBytes + step.spanBytes;
    return { stamp: { firstOffset: offset, timeMs }, next, count: step.header.recordCount };
  }

  async first(): Promise<Stamp | null> {
    return (await this.at(this.#segment.blockBytes, this.#segment.baseOffset))?.stamp ?? null;
  }

  /** The first batch stamped at or after `ms`, or null when the segment ends before one. */
  async firstAtOrAfter(io: FileIO, ms: number): Promise<number | null> {
    const { blockBytes, baseOffset } = this.#segment;
    let position = blockBytes;
    let offset = baseOffset;
    // Binary search over the index entries whose batch verifies: the last one older than `ms`.
    const entries = await readEntries(io, this.#segment);
    let low = 0;
    let high = entries.length - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const entry = entries[middle]!;
      const found = await this.at(entry.blockNumber * blockBytes, entry.firstOffset);
      if (found === null) break; // a stale index: walk from the last good point
      if (found.stamp.timeMs < ms) {
        position = entry.blockNumber * blockBytes;
        offset = entry.firstOffset;
        low = middle + 1;
      } else high = middle - 1;
    }
    for (let walked = 0; walked < WALK_BATCHES_MAX; walked++) {
      const found = await this.at(position, offset);
      if (found === null) return null;
      if (found.stamp.timeMs >= ms) return offset;
      position = found.next;
      offset += found.count;
    }
    throw SeglogError.corrupt(`${this.#segment.path}: more than ${WALK_BATCHES_MAX} batches after one index entry`, { file: this.#segment.path });
  }

  close(): Promise<void> {
    return this.#handle.close().catch(() => undefined);
  }
}

async function readEntries(io: FileIO, segment: SegmentInfo): Promise<{ firstOffset: number; blockNumber: number }[]> {
  try {
    const handle = await io.open(segment.indexPath, 'read');
    try {
      const bytes = new Uint8Array(await handle.sizeBytes());
      const read = await readFully(handle, bytes, 0);
      return decodeIndexEntries(bytes.subarray(0, read)).filter((entry) => entry.firstOffset >= segment.baseOffset);
    } finally {
      await handle.close().catch(() => undefined);
    }
  } catch {
    return []; // no index (yet): the walk starts at the segment's first batch
  }
}

/** Checks a segment's header before anything in it is read (segment-catalog.ts `check`). */
export type SegmentCheck = (segment: SegmentInfo) => Promise<void>;

/** The segment files a search opens, each header checked before its first read. */
interface Files {
  readonly io: FileIO;
  readonly check: SegmentCheck;
}

async function withFile<T>(files: Files, segment: SegmentInfo, use: (file: SegmentFile) => Promise<T>): Promise<T> {
  await files.check(segment);
  const { io } = files;
  const file = await SegmentFile.open(io, segment);
  try {
    return await use(file);
  } finally {
    await file.close();
  }
}

/** The first offset stamped at or after `ms` among `segments` (in offset order), or null. */
export async function findOffsetForTime(
  io: FileIO,
  segments: readonly SegmentInfo[],
  ms: number,
  check: SegmentCheck,
): Promise<number | null> {
  const files: Files = { io, check };
  // The last segment whose first batch is older than `ms` (segments with no batch count as newer).
  let low = 0;
  let high = segments.length - 1;
  let older = -1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const first = await withFile(files, segments[middle]!, (file) => file.first());
    if (first !== null && first.timeMs < ms) {
      older = middle;
      low = middle + 1;
    } else high = middle - 1;
  }
  if (older === -1) {
    const first = segments[0];
    if (first === undefined) return null;
    return withFile(files, first, async (file) => (await file.first())?.firstOffset ?? null);
  }
  const inside = await withFile(files, segments[older]!, (file) => file.firstAtOrAfter(io, ms));
  if (inside !== null) return inside;
  const next = segments[older + 1];
  return next === undefined ? null : withFile(files, next, async (file) => (await file.first())?.firstOffset ?? null);
}
