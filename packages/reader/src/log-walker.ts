/**
 * One job: follow the chain of batches across segments, and decide what each place where the chain
 * stops means: the visible end of the log, the start of the next segment, or corruption.
 *
 * A break (no batch that verifies with the expected offset) is the end only when nothing proves
 * that records continue past it. Three things prove it: a verified batch later in the same segment,
 * a next segment (whose base must then equal the expected offset), or a durable end (the `Log`'s or
 * HEAD's) beyond it. The proof is gathered *after* the read that found the break, and a writer
 * completes every write before the next one becomes visible, so the break position is read once
 * more: if it still fails, the bytes there are damaged, and reading past them would skip records.
 */
import { LRUCache } from 'lru-cache';
import type { BreakReason, DecodedBatch } from '@seglog/format';
import { assert, readLimits, SeglogError, type FileIO } from '@seglog/types';
import { nextPosition, positionBytes, type BatchHead, type BatchReader, type Chunk, type Position } from './batch-cache.js';
import type { SegmentCatalog, SegmentInfo } from './segment-catalog.js';
import { SegmentIndex } from './segment-index.js';
import type { VisibleEnd } from './visible-end.js';

export interface Cursor {
  readonly segment: SegmentInfo;
  readonly position: Position;
  readonly batch: DecodedBatch;
  readonly chunk: Chunk | undefined;
}

/** A verified batch, or the visible end of the chain (not clamped to `durable`). */
export type Found = { readonly kind: 'batch'; readonly cursor: Cursor } | { readonly kind: 'end'; readonly endOffset: number };

/** A batch head verified for a get (batch-cache.ts `readHead`), or the visible end of the chain. */
export type FoundHead =
  | {
      readonly kind: 'batch';
      readonly segment: SegmentInfo;
      readonly position: Position;
      readonly head: BatchHead;
      readonly chunk: Chunk | undefined;
    }
  | { readonly kind: 'end'; readonly endOffset: number };

type Resolution = 'end' | 'next' | 'retry';

export class LogWalker {
  readonly #indexes = new LRUCache<number, Promise<SegmentIndex>>({ max: readLimits.readerSegmentIndexesMax });

  readonly #io: FileIO;
  readonly #catalog: SegmentCatalog;
  readonly #batches: BatchReader;
  readonly #durable: VisibleEnd;

  constructor(io: FileIO, catalog: SegmentCatalog, batches: BatchReader, durable: VisibleEnd) {
    this.#io = io;
    this.#catalog = catalog;
    this.#batches = batches;
    this.#durable = durable;
  }

  /** The batch holding `offset` (at or above the first segment's base), or the end before it. */
  async find(offset: number): Promise<Found> {
    for (;;) {
      if (this.#catalog.count === 0) await this.#catalog.refresh();
      const segment = this.#catalog.find(offset);
      if (segment === undefined) return { kind: 'end', endOffset: this.#catalog.first?.baseOffset ?? 0 };
      const index = await this.#indexFor(segment);
      const step = await index.seek(offset);
      if (step.kind === 'batch') {
        return { kind: 'batch', cursor: { segment, position: step.position, batch: step.batch, chunk: step.chunk } };
      }
      const resolution = await this.#resolveBreak(segment, index, step.position);
      if (resolution === 'end') return { kind: 'end', endOffset: step.position.expectedOffset };
    }
  }

  /**
   * `find` for a get: the head of the batch holding `offset` (header and chunk table verified, no
   * payload read), or the end before it. Breaks mean the same as for `find`.
   */
  async findHead(offset: number): Promise<FoundHead> {
    for (;;) {
      if (this.#catalog.count === 0) await this.#catalog.refresh();
      const segment = this.#catalog.find(offset);
      if (segment === undefined) return { kind: 'end', endOffset: this.#catalog.first?.baseOffset ?? 0 };
      const index = await this.#indexFor(segment);
      const step = await index.seekHead(offset);
      if (step.kind === 'batch') return { kind: 'batch', segment, position: step.position, head: step.head, chunk: step.chunk };
      const resolution = await this.#resolveBreak(segment, index, step.position);
      if (resolution === 'end') return { kind: 'end', endOffset: step.position.expectedOffset };
    }
  }

  /** The batch after `cursor`'s, crossing into the next segment when the chain reaches its base. */
  async next(cursor: Cursor): Promise<Found> {
    let segment = cursor.segment;
    let position = nextPosition(segment, cursor.position, cursor.batch);
    let chunk = cursor.chunk;
    for (;;) {
      const following = this.#catalog.after(segment);
      if (following !== undefined && position.expectedOffset >= following.baseOffset) {
        if (position.expectedOffset > following.baseOffset) throw overlap(segment, position, following);
        segment = following;
        position = { blockNumber: 1, expectedOffset: following.baseOffset };
        chunk = undefined;
      }
      const index = await this.#indexFor(segment);
      // Not cached: the walk hands the batch on once (BatchReader.read says why that matters).
      const step = await index.step(position, chunk, false);
      if (step.kind === 'batch') {
        return { kind: 'batch', cursor: { segment, position, batch: step.batch, chunk: step.chunk } };
      }
      const resolution = await this.#resolveBreak(segment, index, position);
      if (resolution === 'end') return { kind: 'end', endOffset: position.expectedOffset };
      chunk = undefined;
    }
  }

  /** One past the last record of the chain in the last segment (not clamped to `durable`). */
  async end(): Promise<number> {
    for (;;) {
      if (this.#catalog.count === 0) await this.#catalog.refresh();
      const segment = this.#catalog.last;
      if (segment === undefined) return 0;
      const index = await this.#indexFor(segment);
      const step = await index.seek(Number.MAX_SAFE_INTEGER);
      assert(step.kind === 'break', 'a walk to the end stops at a break');
      const resolution = await this.#resolveBreak(segment, index, step.position);
      if (resolution === 'end') return step.position.expectedOffset;
    }
  }

  async #resolveBreak(segment: SegmentInfo, index: SegmentIndex, position: Position): Promise<Resolution> {
    // Read before listing: records durable now are in a segment that the listing will show.
    const durableOffset = this.#truncating() ? undefined : this.#durable.proof;
    const later = await index.trustedBeyond(position);
    let following = this.#catalog.after(segment);
    if (following === undefined) {
      await this.#catalog.refresh();
      following = this.#catalog.after(segment);
    }
    const durableBeyond =
      following === undefined && durableOffset !== undefined && durableOffset > position.expectedOffset;
    if (later === null && following === undefined && !durableBeyond) return 'end';
    const again = await this.#batches.read(segment, position);
    if (again.batch !== null) return 'retry';
    if (later === null && following !== undefined && following.baseOffset === position.expectedOffset) return 'next';
    throw brokenChain(segment, position, again.reason, later, following, durableOffset);
  }

  /**
   * A truncation after an offset is announced (pending in HEAD: an odd epoch) and not carried out.
   * The durable end is then its cut, yet proves nothing: a batch the cut splits is cut away whole
   * and its kept records wait in the writer's temp file until a rename names it a segment (store
   * tail-truncation.ts, step 2; a writer killed in between leaves it so until the next open). The
   * chain ends below the cut meanwhile, on purpose; the finished truncation moves the epoch again.
   */
  #truncating(): boolean {
    const epoch = this.#durable.epoch;
    return epoch !== undefined && epoch % 2 === 1;
  }

  #indexFor(segment: SegmentInfo): Promise<SegmentIndex> {
    let loading = this.#indexes.get(segment.baseOffset);
    if (loading === undefined) {
      // Nothing in a segment is read before its header was checked against its name and the log.
      loading = this.#catalog.check(segment).then(() => SegmentIndex.load(this.#io, segment, this.#batches));
      this.#indexes.set(segment.baseOffset, loading);
    }
    return loading;
  }
}

function brokenChain(
  segment: SegmentInfo,
  position: Position,
  reason: BreakReason | null,
  later: Position | null,
  following: SegmentInfo | undefined,
  durableOffset: number | undefined,
): SeglogError {
  const file = segment.path;
  const atBytes = positionBytes(segment, position);
  const where = `${file}: no valid batch with first offset ${position.expectedOffset} at byte ${atBytes} (${reason ?? 'unreadable'})`;
  let why: string;
  if (later !== null) why = `but a verified batch follows at byte ${positionBytes(segment, later)}`;
  else if (following !== undefined) why = `but the next segment ${following.path} starts at offset ${following.baseOffset}`;
  else why = `but the writer reports offsets below ${durableOffset} durable`;
  return SeglogError.corrupt(`${where}, ${why}`, { file, positionBytes: atBytes, offset: position.expectedOffset });
}

function overlap(segment: SegmentInfo, position: Position, following: SegmentInfo): SeglogError {
  const file = segment.path;
  const atBytes = positionBytes(segment, position);
  return SeglogError.corrupt(
    `${file}: records run to offset ${position.expectedOffset - 1} at byte ${atBytes}, past the base ${following.baseOffset} of ${following.path}`,
    { file, positionBytes: atBytes, offset: following.baseOffset },
  );
}
