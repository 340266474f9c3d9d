/**
 * One job: find the batch holding an offset inside one segment with a binary search and one read,
 * trusting the writer's sparse index only as far as the bytes on disk confirm it.
 *
 * The segment's entry list starts with the one position the format guarantees (the first batch is
 * at block 1 with the segment's base offset), then the `.idx` entries as unverified hints. A hint
 * becomes trusted when the batch it points at decodes with the hint's offset; a hint that fails is
 * dropped together with every unverified hint after it, because a stale index (never fsynced) goes
 * wrong from some point on. Walking the chain batch by batch adds trusted entries every
 * `limits.indexIntervalBytesDefault` (the writer's default interval), so a later lookup anywhere
 * already scanned costs a binary search plus one chunk read, with or without a `.idx` file.
 *
 * This file reports where the chain stops (a "break"); what a break means (end, next segment,
 * corruption) needs the other segments and is decided in log-walker.ts.
 */
import { decodeIndexEntries, findIndexEntry, readAt, type DecodedBatch, type IndexEntry } from '@seglog/format';
import { assert, limits, SeglogError, type FileIO } from '@seglog/types';
import {
  nextPosition,
  positionBytes,
  type BatchHead,
  type BatchReader,
  type BatchSpan,
  type Chunk,
  type Position,
} from './batch-cache.js';
import type { SegmentInfo } from './segment-catalog.js';

interface Entry {
  readonly firstOffset: number;
  readonly blockNumber: number;
  /** True once the batch here decoded with `firstOffset` (or for the segment's first batch). */
  trusted: boolean;
}

/** The writer's default index interval: the spacing of the entries a scan adds. */
const indexIntervalBytes = limits.indexIntervalBytesDefault;

export type Step =
  | { readonly kind: 'batch'; readonly position: Position; readonly batch: DecodedBatch; readonly chunk: Chunk | undefined }
  | { readonly kind: 'break'; readonly position: Position };

/** A step of a get's walk: batch heads only (header and chunk table), no payloads read. */
export type HeadStep =
  | { readonly kind: 'batch'; readonly position: Position; readonly head: BatchHead; readonly chunk: Chunk | undefined }
  | { readonly kind: 'break'; readonly position: Position };

/** Where a walk starts, with the chunk that proved it when one was just read. */
interface Start {
  readonly position: Position;
  readonly chunk: Chunk | undefined;
}

export class SegmentIndex {
  #entries: Entry[];
  /** The position right after the furthest verified batch: where the next batch must start. */
  #tail: Position;

  readonly segment: SegmentInfo;
  readonly #batches: BatchReader;

  private constructor(segment: SegmentInfo, batches: BatchReader, hints: readonly IndexEntry[]) {
    this.segment = segment;
    this.#batches = batches;
    const first: Entry = { firstOffset: segment.baseOffset, blockNumber: 1, trusted: true };
    this.#entries = [first, ...hintsAfter(first, hints)];
    this.#tail = { blockNumber: 1, expectedOffset: segment.baseOffset };
  }

  static async load(io: FileIO, segment: SegmentInfo, batches: BatchReader): Promise<SegmentIndex> {
    return new SegmentIndex(segment, batches, await readHints(io, segment.indexPath));
  }

  /** The batch holding `offset`, or the break where the chain stops before reaching it. */
  async seek(offset: number): Promise<Step> {
    let { position, chunk } = await this.#startFor(offset);
    for (;;) {
      const step = await this.step(position, chunk);
      if (step.kind === 'break') return step;
      const next = nextPosition(this.segment, position, step.batch);
      if (offset < next.expectedOffset) return step;
      assert(next.blockNumber > position.blockNumber, 'a walk moves forward');
      position = next;
      chunk = step.chunk;
    }
  }

  /**
   * The head of the batch holding `offset`, or the break before it: the walk of a get, which
   * verifies each batch's header and chunk table and reads no payload (batch-cache.ts `readHead`).
   */
  async seekHead(offset: number): Promise<HeadStep> {
    let { position, chunk } = await this.#startFor(offset);
    for (;;) {
      const read = await this.#batches.readHead(this.segment, position, chunk);
      if (read.head === null) return { kind: 'break', position };
      this.#note(position, read.head);
      const next = nextPosition(this.segment, position, read.head);
      if (offset < next.expectedOffset) return { kind: 'batch', position, head: read.head, chunk: read.chunk };
      assert(next.blockNumber > position.blockNumber, 'a walk moves forward');
      position = next;
      chunk = read.chunk;
    }
  }

  /**
   * Reads the one batch at `position`, which must be a trusted chain position; `remember`: whether
   * the batch is cached (BatchReader.read).
   */
  async step(position: Position, chunk?: Chunk, remember = true): Promise<Step> {
    const read = await this.#batches.read(this.segment, position, chunk, remember);
    if (read.batch === null) return { kind: 'break', position };
    this.#note(position, read.batch);
    return { kind: 'batch', position, batch: read.batch, chunk: read.chunk };
  }

  /**
   * A verified batch start after `position`, if this segment has one: proof that a break at
   * `position` is damage, not the end. Unverified hints past it are checked on the way.
   */
  async trustedBeyond(position: Position): Promise<Position | null> {
    if (this.#tail.blockNumber > position.blockNumber) return this.#tail;
    for (;;) {
      const later = this.#entries.find(
        (entry) => entry.blockNumber > position.blockNumber || entry.firstOffset > position.expectedOffset,
      );
      if (later === undefined) return null;
      if (later.trusted || (await this.#verifyHint(later)) !== null) return toPosition(later);
    }
  }

  /** The trusted position closest below `offset` to start a walk from, verifying hints on the way. */
  async #startFor(offset: number): Promise<Start> {
    assert(offset >= this.segment.baseOffset, 'offset is in this segment');
    for (;;) {
      const entry = this.#entries[findIndexEntry(this.#entries, offset)]!;
      const tail = this.#tail;
      const tailIsCloser = entry.firstOffset <= tail.expectedOffset && tail.expectedOffset <= offset;
      if (tailIsCloser) return { position: tail, chunk: undefined };
      if (entry.trusted) return { position: toPosition(entry), chunk: undefined };
      const verified = await this.#verifyHint(entry);
      if (verified !== null) return verified;
    }
  }

  /**
   * Trusts `entry` if its batch's head verifies (header CRC over log id, fields and chunk table; a
   * v1 batch whole), else drops it and every unverified hint after it.
   */
  async #verifyHint(entry: Entry): Promise<Start | null> {
    const position = toPosition(entry);
    const read = await this.#batches.readHead(this.segment, position);
    if (read.head === null) {
      this.#dropHintsFrom(entry);
      return null;
    }
    this.#note(position, read.head);
    return { position, chunk: read.chunk };
  }

  /** Records what a verified batch at `position` proves: the tail, a sparse entry, wrong hints. */
  #note(position: Position, batch: BatchSpan): void {
    const next = nextPosition(this.segment, position, batch);
    if (next.expectedOffset > this.#tail.expectedOffset) this.#tail = next;
    const i = findIndexEntry(this.#entries, position.expectedOffset);
    const below = this.#entries[i]!;
    if (below.firstOffset === position.expectedOffset) {
      if (below.blockNumber === position.blockNumber) below.trusted = true;
      else if (!below.trusted) this.#dropHintsFrom(below);
      else throw this.#twoBatchesClaim(position, below);
    } else if ((position.blockNumber - below.blockNumber) * this.segment.blockBytes >= indexIntervalBytes) {
      this.#entries.splice(i + 1, 0, {
        firstOffset: position.expectedOffset,
        blockNumber: position.blockNumber,
        trusted: true,
      });
    }
    // A hint pointing inside this batch, or before the next one, contradicts the verified chain.
    const above = this.#entries[findIndexEntry(this.#entries, position.expectedOffset) + 1];
    if (above !== undefined && !above.trusted) {
      if (above.firstOffset < next.expectedOffset || above.blockNumber < next.blockNumber) this.#dropHintsFrom(above);
    }
  }

  #dropHintsFrom(entry: Entry): void {
    const from = this.#entries.indexOf(entry);
    if (from === -1) return;
    this.#entries = this.#entries.filter((kept, i) => i < from || kept.trusted);
  }

  #twoBatchesClaim(position: Position, entry: Entry): SeglogError {
    const file = this.segment.path;
    const atBytes = positionBytes(this.segment, position);
    const otherBytes = entry.blockNumber * this.segment.blockBytes;
    return SeglogError.corrupt(
      `${file}: batches at bytes ${otherBytes} and ${atBytes} both verify with first offset ${position.expectedOffset}`,
      { file, positionBytes: atBytes, offset: position.expectedOffset },
    );
  }
}

function toPosition(entry: Entry): Position {
  return { blockNumber: entry.blockNumber, expectedOffset: entry.firstOffset };
}

/** The hints that can follow the segment's first batch; from the first one that cannot, none. */
function hintsAfter(first: Entry, hints: readonly IndexEntry[]): Entry[] {
  const kept: Entry[] = [];
  for (const hint of hints) {
    if (hint.firstOffset === first.firstOffset && hint.blockNumber === first.blockNumber) continue;
    if (hint.firstOffset <= first.firstOffset || hint.blockNumber <= first.blockNumber) break;
    kept.push({ firstOffset: hint.firstOffset, blockNumber: hint.blockNumber, trusted: false });
  }
  return kept;
}

/**
 * The `.idx` entries of a segment. The index is only a hint (never fsynced, maybe torn or being
 * appended to right now), so any failure to read it means "no hints": scanning gives the same
 * answers, only slower.
 */
async function readHints(io: FileIO, indexPath: string): Promise<IndexEntry[]> {
  try {
    if ((await io.stat(indexPath)) === null) return [];
    const handle = await io.open(indexPath, 'read');
    try {
      return decodeIndexEntries(await readAt(handle, 0, await handle.sizeBytes()));
    } finally {
      await handle.close();
    }
  } catch {
    return [];
  }
}
