/**
 * One job: the public reader: range checks, copies of payloads, and the closed state, over the
 * chain walk in log-walker.ts.
 *
 * What a reader sees (docs/architecture.md says the same for users). A reader never writes and
 * never takes the directory lock, so it runs beside a live writer in this process or another one.
 * - By default it sees only acknowledged (durable) records, in any process: the visible end is the
 *   `durableOffset` of the HEAD file (visible-end.ts), which the writer writes only after a batch's
 *   flush. With `durable` (the `Log` of this process) the end comes from the log instead, and
 *   `visibility: 'written'` opts in to records whose write completed but whose flush has not: a
 *   power loss can take those back, and later appends reuse their offsets with other data.
 * - A directory with no HEAD (a v1 log, or one no writer has opened since) has no durable end to
 *   learn: the reader sees every batch whose CRC-32C verifies, up to the chain's end.
 * A batch still being written fails its checksum and is not visible yet: the chain's end is the
 * first place where the chain of batches (each starting where the previous one ends, with the next
 * offset) stops in the last segment. The visible end only grows; records appended while `read`
 * iterates without `to` are returned when it gets to them, across segment rolls too. What it returns
 * is verified on every read from disk (`read`: each batch whole; `get`: the headers and chunk tables
 * it walks and its record's chunk): it never returns bytes that fail their checksum and never
 * skips a record. A stop that something proves is not the end (a verified batch after it in the same
 * segment, a next segment that does not start at the expected offset, or a durable end beyond it)
 * is SEGLOG_CORRUPT, naming the file and byte position. Known limit: damage in the last segment with
 * no verified batch after it and no durable end past it looks like a write in progress, so the
 * reader ends there; the writer's recovery at its next open tells the two apart.
 */
import { nodeFileIO } from '@seglog/io';
import { ErrorCodes, readLimits, SeglogError, type DurableSource, type FileIO, type LogRecord, type ReaderOptions, type ReaderVisibility } from '@seglog/types';
import { BatchReader, type BatchCacheLimits } from './batch-cache.js';
import { HandlePool } from './handle-pool.js';
import { LogWalker, type Found } from './log-walker.js';
import { SegmentCatalog, type SegmentInfo } from './segment-catalog.js';
import { findOffsetForTime } from './time-search.js';
import { HeadVisibleEnd, LogVisibleEnd, type VisibleEnd } from './visible-end.js';
import { WakeUps } from './wake-ups.js';

/** The options `openReader` accepts; anything else is SEGLOG_INVALID_OPTION, as for `openLog`. */
const KNOWN_OPTIONS = ['dir', 'io', 'durable', 'visibility', 'cacheBytes', 'cacheBatches', 'cacheHandles'] as const;
/** What an injected `io` must provide: every FileIO method a reader calls. */
const READER_IO_METHODS = ['open', 'readdir', 'stat'] as const;

export interface ReadRange {
  /** First offset to return. */
  readonly from: number;
  /** One past the last offset to return; without it, read to the visible end. Wins over `follow`. */
  readonly to?: number;
  /**
   * Without `to`: at the visible end, wait for more records to become durable instead of ending,
   * across segment rolls, until the loop breaks, `reader.close()`, or `signal` aborts.
   */
  readonly follow?: boolean;
  /** Ends the iteration, rejecting with `signal.reason` (as Node's own APIs do). */
  readonly signal?: AbortSignal;
  /**
   * When the position is (or falls) below the log's low-water mark because retention dropped those
   * records: `'error'` (the default) rejects SEGLOG_BEHIND_RETENTION carrying the first offset;
   * `'skip'` goes on from the first offset and reports the skipped range to `onGap`.
   */
  readonly onBehind?: 'error' | 'skip';
  /** Told `[fromOffset, toOffset)` each time `onBehind: 'skip'` skipped records dropped by retention. */
  readonly onGap?: (gap: { readonly fromOffset: number; readonly toOffset: number }) => void;
}

type BehindPolicy = Pick<ReadRange, 'onBehind' | 'onGap'>;

/** Where a walk goes on: the position (moved up to the low-water mark by a skip) and its batch. */
interface Located {
  readonly offset: number;
  readonly found: Found;
}

/** Opens a reader on `options.dir`; the directory's segment headers are checked now. */
export function openReader(options: ReaderOptions): Promise<Reader> {
  return Reader.open(options);
}

export class Reader {
  // Rebuilt when the writer reused offsets (a new truncateEpoch): cached batches, indexes and open
  // files may describe bytes a truncation cut or replaced.
  #catalog: SegmentCatalog;
  #handles: HandlePool;
  #batches: BatchReader;
  #walker: LogWalker;
  readonly #cacheLimits: BatchCacheLimits;
  readonly #cacheHandles: number;
  /**
   * The truncation generation (VisibleEnd.epoch) the caches belong to. It moves also when an
   * announced truncation is finished: caches filled in between describe the uncut files.
   */
  #cachesEpoch: string | undefined;
  readonly #end: VisibleEnd;
  readonly #io: FileIO;
  readonly #dir: string;
  readonly #durable: DurableSource | undefined;
  /** The wake-up sources of every follow in progress, closed by `close()`. */
  readonly #followers = new Set<WakeUps>();
  #closed = false;

  private constructor(options: ResolvedReaderOptions) {
    this.#handles = new HandlePool(options.io, options.cacheHandles);
    this.#catalog = new SegmentCatalog(options.io, options.dir, this.#handles);
    const { cacheBytes, cacheBatches } = options;
    this.#cacheLimits = { cacheBytes, cacheBatches };
    this.#batches = new BatchReader(this.#handles, this.#cacheLimits);
    this.#end = options.durable === undefined ? new HeadVisibleEnd(options.io, options.dir) : new LogVisibleEnd(options.durable, options.visibility === 'written');
    this.#walker = new LogWalker(options.io, this.#catalog, this.#batches, this.#end);
    this.#io = options.io;
    this.#dir = options.dir;
    this.#durable = options.durable;
    this.#cacheHandles = options.cacheHandles;
  }

  /**
   * Learns the visible end anew (`VisibleEnd.refresh`); when the writer reused offsets since the
   * caches were filled, drops them all (files, batches, indexes, the segment list) first.
   */
  async #learnEnd(): Promise<number | undefined> {
    const visible = await this.#end.refresh();
    const epoch = `${this.#end.epoch}`; // moves also when an announced truncation is finished
    if (this.#cachesEpoch === undefined) this.#cachesEpoch = epoch;
    else if (epoch !== this.#cachesEpoch) {
      this.#cachesEpoch = epoch;
      const handles = this.#handles;
      this.#handles = new HandlePool(this.#io, this.#cacheHandles);
      this.#catalog = new SegmentCatalog(this.#io, this.#dir, this.#handles);
      this.#batches = new BatchReader(this.#handles, this.#cacheLimits);
      this.#walker = new LogWalker(this.#io, this.#catalog, this.#batches, this.#end);
      await handles.close();
      await this.#catalog.refresh();
    }
    return visible;
  }

  /**
   * After the end was learned: SEGLOG_TRUNCATED when an iteration that returned [from, offset)
   * saw the epoch move past `seenEpoch` and returned records the truncation took back. Records
   * from `truncatedAt` on were taken back; an epoch that moved by more than one (or an unknown
   * `truncatedAt`) says nothing about where, so any record returned counts.
   */
  #checkReuse(from: number, offset: number, seenEpoch: number | undefined): void {
    const epoch = this.#end.epoch;
    if (seenEpoch === undefined || epoch === undefined || epoch === seenEpoch) return;
    const at = this.#end.truncatedAt;
    // One step (an announced truncation, or one finished) or one whole truncation (2 from a
    // finished state): `truncatedAt` is where it cut. More than that says nothing about where.
    const steps = epoch - seenEpoch;
    const known = (steps === 1 || (steps === 2 && seenEpoch % 2 === 0)) && at > 0;
    const end = Math.min(known ? at : Number.POSITIVE_INFINITY, this.#end.known ?? Number.POSITIVE_INFINITY);
    const tookBack = offset > from && (!known || offset > at);
    if (tookBack) throw SeglogError.truncated(offset, Number.isFinite(end) ? end : from);
  }

  /** The same as `openReader`. */
  static async open(options: ReaderOptions): Promise<Reader> {
    const reader = new Reader(resolveReaderOptions(options));
    try {
      await reader.#catalog.refresh();
    } catch (error) {
      await reader.close();
      throw error;
    }
    return reader;
  }

  /**
   * The payload of the record at `offset`: a fresh copy the caller owns. Reads and verifies only
   * the batch's header and chunk table (cached) and the one chunk holding the record (format v2;
   * a v1 batch is read whole): docs/format.md "Reading one record".
   */
  async get(offset: number): Promise<Uint8Array> {
    checkOffset('get offset', offset);
    this.#assertOpen();
    let visible = this.#end.known;
    if (visible === undefined || offset >= visible) visible = await this.#learnEnd();
    if (offset < this.#end.retainedFrom) throw SeglogError.behindRetention(offset, this.#end.retainedFrom);
    const first = await this.#first();
    if (offset < first || (visible !== undefined && offset >= visible)) throw await this.#outOfRange(offset);
    const found = await this.#walker.findHead(offset);
    if (found.kind === 'end') throw SeglogError.outOfRange(offset, first, clamp(found.endOffset, visible));
    return this.#batches.readRecord(found.segment, found.position, found.head, offset, found.chunk);
  }

  /**
   * Records from `from` (inclusive) to `to` (exclusive), in order, across segments. Without `to`,
   * up to the visible end as the iteration reaches it. Rejects SEGLOG_OUT_OF_RANGE when `from` is
   * outside [firstOffset, visible end], or, after the records that exist, when `to` is past the end.
   * With `follow` (and no `to`) it never ends by itself: see ReadRange. A record's position counts
   * as consumed only once the caller asks for the next one; read-ahead is one decoded batch.
   */
  read(range: ReadRange): AsyncIterableIterator<LogRecord> {
    if (typeof range !== 'object' || range === null) {
      throw badArgument('read range', `must be an object { from, to? }, got ${describe(range)}`);
    }
    checkOffset('read range from', range.from);
    if (range.to !== undefined) {
      checkOffset('read range to', range.to);
      if (range.to < range.from) throw badArgument('read range to', `must not be below from (${range.from}), got ${range.to}`);
    }
    if (range.follow !== undefined && typeof range.follow !== 'boolean') throw badArgument('read range follow', `must be a boolean, got ${describe(range.follow)}`);
    if (range.signal !== undefined && !(range.signal instanceof AbortSignal)) throw badArgument('read range signal', `must be an AbortSignal, got ${describe(range.signal)}`);
    if (range.onBehind !== undefined && range.onBehind !== 'error' && range.onBehind !== 'skip') throw badArgument('read range onBehind', `must be 'error' or 'skip', got ${describe(range.onBehind)}`);
    if (range.onGap !== undefined && typeof range.onGap !== 'function') throw badArgument('read range onGap', `must be a function, got ${describe(range.onGap)}`);
    return this.#iterate(range.from, range.to, range.follow === true && range.to === undefined, range.signal, range);
  }

  /**
   * The first offset appended at or after wall-clock time `ms` (ms since the epoch) that is
   * readable now (at or above the first offset, below the visible end), or undefined when none is.
   * A binary search over the batches' append times (time-search.ts), not a scan: O(log segments +
   * log index entries) batch reads and a walk of at most one index interval. Records in format v1
   * segments have no time and are never the answer.
   */
  async offsetForTime(ms: number): Promise<number | undefined> {
    if (typeof ms !== 'number' || Number.isNaN(ms)) throw badArgument('offsetForTime ms', `must be a number, got ${describe(ms)}`);
    this.#assertOpen();
    const visible = await this.#learnEnd();
    await this.#catalog.refresh();
    const segments: SegmentInfo[] = [];
    for (let segment = this.#catalog.first; segment !== undefined; segment = this.#catalog.after(segment)) {
      segments.push(segment);
    }
    const catalog = this.#catalog;
    const found = await findOffsetForTime(this.#io, segments, ms, (segment) => catalog.check(segment));
    if (found === null) return undefined;
    const answer = Math.max(found, await this.#first());
    return visible !== undefined && answer >= visible ? undefined : answer;
  }

  /** The offset of the oldest record in the log (0 for a log with no segment yet). */
  async firstOffset(): Promise<number> {
    this.#assertOpen();
    await this.#learnEnd();
    return this.#first();
  }

  /** The first offset from what is known (no HEAD read): the first segment's base or the low-water mark. */
  async #first(): Promise<number> {
    if (this.#catalog.count === 0) await this.#catalog.refresh();
    return Math.max(this.#catalog.first?.baseOffset ?? 0, this.#end.retainedFrom);
  }

  /** Below the low-water mark: SEGLOG_BEHIND_RETENTION, or with 'skip' the mark (reported to onGap). */
  #behind(offset: number, policy: BehindPolicy): number {
    const mark = this.#end.retainedFrom;
    if (policy.onBehind !== 'skip') throw SeglogError.behindRetention(offset, mark);
    policy.onGap?.({ fromOffset: offset, toOffset: mark });
    return mark;
  }

  /**
   * The batch holding `offset`, moving `offset` up to the low-water mark first when retention
   * dropped it. A failure (a dropped segment's file gone) is retried once after learning the
   * mark and the segment list anew: a position that fell below the mark is then reported.
   */
  async #locate(offset: number, policy: BehindPolicy, walk: (offset: number) => Promise<Found>): Promise<Located> {
    for (let attempt = 0; ; attempt++) {
      if (offset < this.#end.retainedFrom) offset = this.#behind(offset, policy);
      const cachesEpoch = this.#cachesEpoch;
      try {
        const found = await walk(offset);
        // Below the first segment: dropped by retention (if the mark says so), or never in the log.
        if (found.kind === 'end' && found.endOffset > offset && attempt === 0) {
          await this.#learnEnd();
          if (offset < this.#end.retainedFrom) continue;
        }
        return { offset, found };
      } catch (error) {
        if (attempt > 0) throw error;
        await this.#learnEnd();
        // The writer reused offsets since the caches were filled (a truncateAfter in another
        // process, not learned yet): the walk met files cut and rewritten under its stale segment
        // list. Not corruption: stop here, and the caller, seeing the new epoch, decides
        // (SEGLOG_TRUNCATED, or on from the same offset in the rebuilt caches).
        if (this.#cachesEpoch !== cachesEpoch) return { offset, found: { kind: 'end', endOffset: offset } };
        await this.#catalog.refresh();
        if (offset >= this.#end.retainedFrom) throw error;
      }
    }
  }

  /** One past the last visible record. */
  async endOffset(): Promise<number> {
    this.#assertOpen();
    const visible = await this.#learnEnd();
    return clamp(await this.#walker.end(), visible);
  }

  /** Closes every segment handle (and HEAD's); later calls reject SEGLOG_CLOSED. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const wakeUps of this.#followers) wakeUps.close();
    await Promise.all([this.#handles.close(), this.#end.close()]);
  }

  /** `await using reader = await openReader(...)` closes the reader when the scope ends. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async *#iterate(
    from: number,
    to: number | undefined,
    follow: boolean,
    signal: AbortSignal | undefined,
    policy: BehindPolicy,
  ): AsyncGenerator<LogRecord> {
    signal?.throwIfAborted();
    this.#assertOpen();
    let visible = await this.#learnEnd();
    let seenEpoch = this.#end.epoch;
    let { offset, found } = await this.#locate(from, policy, (at) => this.#walker.find(at));
    const first = await this.#first();
    if (offset < first) throw await this.#outOfRange(offset);
    from = offset;
    let wakeUps: WakeUps | null = null;
    try {
      for (;;) {
        // A reuse of offsets learned meanwhile (by this iteration or another one of this reader, or
        // at once from the writer's Log) stops the walk: the caches behind `found` are stale.
        while (offset < clamp(to ?? Number.POSITIVE_INFINITY, visible) && found.kind === 'batch' && this.#end.epoch === seenEpoch) {
          if (follow && this.#closed) return; // close() ends a follow; a bounded read rejects SEGLOG_CLOSED
          const { position, batch } = found.cursor;
          if (offset >= position.expectedOffset + batch.header.recordCount) {
            const cursor = found.cursor;
            const step = (at: number): Promise<Found> =>
              at === offset ? this.#walker.next(cursor) : this.#walker.find(at);
            ({ offset, found } = await this.#locate(offset, policy, step));
            continue;
          }
          signal?.throwIfAborted();
          this.#assertOpen();
          const payload = batch.payloads[offset - position.expectedOffset]!.slice();
          yield { offset, payload, appendTimeMs: batch.header.appendTimeMs };
          offset++;
        }
        if (to !== undefined && offset >= to) return;
        // At the end as last learned: more may have become durable since.
        const learned = await this.#learnEnd();
        if (this.#end.epoch !== seenEpoch) {
          // The writer reused offsets: fail if this read returned any it took back, else go on
          // from the same position in the rebuilt caches.
          this.#checkReuse(from, offset, seenEpoch);
          seenEpoch = this.#end.epoch;
          visible = learned;
          ({ offset, found } = await this.#locate(offset, policy, (at) => this.#walker.find(at)));
          continue;
        }
        const moved = learned !== visible;
        visible = learned;
        // Records are flowing: the poll (when it is all there is) starts again from its shortest delay.
        if (moved) wakeUps?.progressed();
        if (moved && found.kind === 'batch') continue;
        if (!follow) break;
        if (this.#closed) return;
        if (wakeUps === null) {
          wakeUps = new WakeUps(this.#io, this.#dir, this.#durable);
          this.#followers.add(wakeUps);
        }
        if (!moved) await wakeUps.wait(signal);
        if (this.#closed) return;
        if (found.kind === 'end') ({ offset, found } = await this.#locate(offset, policy, (at) => this.#walker.find(at)));
      }
    } finally {
      if (wakeUps !== null) {
        wakeUps.close();
        this.#followers.delete(wakeUps);
      }
    }
    const end = found.kind === 'end' ? clamp(found.endOffset, visible) : clamp(Number.POSITIVE_INFINITY, visible);
    if (from > end) throw SeglogError.outOfRange(from, first, end);
    if (to !== undefined) {
      throw new SeglogError(ErrorCodes.OUT_OF_RANGE, `read range [${from}, ${to}) runs past the visible end ${end}`, { offset: to });
    }
  }

  async #outOfRange(offset: number): Promise<SeglogError> {
    return SeglogError.outOfRange(offset, await this.firstOffset(), await this.endOffset());
  }

  #assertOpen(): void {
    if (this.#closed) throw SeglogError.closed('reader');
  }
}

/** `endOffset` no further than the visible end (undefined: no limit beyond the chain). */
function clamp(endOffset: number, visible: number | undefined): number {
  return Math.min(endOffset, visible ?? Number.POSITIVE_INFINITY);
}

/** A bad argument to `get` or `read`: coded like a bad option, naming it and what it got. */
function badArgument(name: string, problem: string): SeglogError {
  return new SeglogError(ErrorCodes.INVALID_OPTION, `${name} ${problem}`);
}

function checkOffset(name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw badArgument(name, `must be a non-negative safe integer, got ${describe(value)}`);
  }
}

/** The type and value of what a caller passed, for messages: `string "4096"`, `number -1`. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return `string ${JSON.stringify(value)}`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return `${typeof value} ${String(value)}`;
  return typeof value;
}

interface ResolvedReaderOptions {
  readonly dir: string;
  readonly io: FileIO;
  readonly durable: DurableSource | undefined;
  readonly visibility: ReaderVisibility;
  readonly cacheBytes: number;
  readonly cacheBatches: number | undefined;
  readonly cacheHandles: number;
}

/** Checks every option before any file is opened, so a refused open holds no descriptor. */
function resolveReaderOptions(options: ReaderOptions): ResolvedReaderOptions {
  if (typeof options !== 'object' || options === null) throw SeglogError.invalidOption('options', `must be an object, got ${describe(options)}`);
  for (const key of Object.keys(options)) {
    if (!(KNOWN_OPTIONS as readonly string[]).includes(key)) {
      throw SeglogError.invalidOption(key, `is not a reader option (got ${describe((options as unknown as Record<string, unknown>)[key])}); allowed: ${KNOWN_OPTIONS.join(', ')}`);
    }
  }
  if (typeof options.dir !== 'string' || options.dir === '') throw SeglogError.invalidOption('dir', `must be a non-empty string, got ${describe(options.dir)}`);
  if (options.durable !== undefined && typeof options.durable?.durableOffset !== 'number') {
    throw SeglogError.invalidOption('durable', `must have a numeric durableOffset (pass a Log), got ${describe(options.durable)}`);
  }
  const visibility = options.visibility ?? 'durable';
  if (visibility !== 'durable' && visibility !== 'written') {
    throw SeglogError.invalidOption('visibility', `must be 'durable' or 'written', got ${describe(options.visibility)}`);
  }
  if (visibility === 'written' && options.durable === undefined) {
    throw SeglogError.invalidOption('visibility', `'written' needs durable: the Log of this process (another process can only learn the durable end)`);
  }
  return {
    dir: options.dir,
    io: readerIo(options.io),
    durable: options.durable,
    visibility,
    cacheBytes: boundedInteger('cacheBytes', options.cacheBytes, readLimits.readerCacheBytesDefault, readLimits.readerCacheBytesMax),
    cacheBatches: options.cacheBatches === undefined ? undefined : positiveInteger('cacheBatches', options.cacheBatches, 1),
    cacheHandles: positiveInteger('cacheHandles', options.cacheHandles, readLimits.readerOpenHandlesDefault),
  };
}

function readerIo(io: unknown): FileIO {
  if (io === undefined) return nodeFileIO;
  const missing = READER_IO_METHODS.filter((method) => typeof (io as Record<string, unknown> | null)?.[method] !== 'function');
  if (typeof io !== 'object' || io === null || missing.length > 0) {
    throw SeglogError.invalidOption('io', `must be a FileIO with ${READER_IO_METHODS.join(', ')} methods, got ${describe(io)}${missing.length > 0 && typeof io === 'object' && io !== null ? ` missing ${missing.join(', ')}` : ''}`);
  }
  return io as FileIO;
}

/** An integer in [1, max], or `fallback` when not given. */
function boundedInteger(name: string, value: unknown, fallback: number, max: number): number {
  const resolved = positiveInteger(name, value, fallback);
  if (resolved > max) throw SeglogError.invalidOption(name, `must be at most ${max}, got ${describe(value)}`);
  return resolved;
}

function positiveInteger(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw SeglogError.invalidOption(name, `must be an integer >= 1, got ${describe(value)}`);
  }
  return value;
}
