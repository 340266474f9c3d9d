/**
 * One job: the public reader: range checks, copies of payloads, and the closed state, over the
 * chain walk in log-walker.ts.
 *
 * What a reader sees (docs/architecture.md says the same for users). A reader never writes and
 * never takes the directory lock, so it runs beside a live writer in this process or another one.
 * - With `durable` (the `Log` of this process) it sees only acknowledged records: the visible end
 *   is the smaller of the chain's end and `durable.durableOffset`. Use this beside a live log.
 * - Without it, in any process, it sees every batch whose writev has completed and whose CRC-32C
 *   verifies, which includes the batch whose flush is still in flight: records not acknowledged
 *   yet. A crash of the writer alone keeps them (their bytes are in the file), but a power loss
 *   before the flush completes takes them back, and later appends reuse their offsets with other
 *   data. A reader in another process cannot learn the durable end yet (issue 12: the HEAD file).
 * A batch still being written fails its checksum and is not visible yet: the chain's end is the
 * first place where the chain of batches (each starting where the previous one ends, with the next
 * offset) stops in the last segment. The visible end only grows; records appended while `read`
 * iterates without `to` are returned when it gets to them, across segment rolls too. Every batch is
 * verified on every read from disk: a reader never returns bytes that fail their checksum and never
 * skips a record. A stop that something proves is not the end (a verified batch after it in the same
 * segment, a next segment that does not start at the expected offset, or `durable` reporting more)
 * is SEGLOG_CORRUPT, naming the file and byte position. Known limit: damage in the last segment with
 * no verified batch after it looks like a write in progress, so the reader ends there; the writer's
 * recovery at its next open tells the two apart.
 */
import { nodeFileIO } from '@seglog/io';
import { ErrorCodes, readLimits, SeglogError, type DurableSource, type FileIO, type LogRecord, type ReaderOptions } from '@seglog/types';
import { BatchReader } from './batch-cache.js';
import { HandlePool } from './handle-pool.js';
import { LogWalker, type Found } from './log-walker.js';
import { SegmentCatalog } from './segment-catalog.js';

/** The options `openReader` accepts; anything else is SEGLOG_INVALID_OPTION, as for `openLog`. */
const KNOWN_OPTIONS = ['dir', 'io', 'durable', 'cacheBatches', 'cacheHandles'] as const;
/** What an injected `io` must provide: every FileIO method a reader calls. */
const READER_IO_METHODS = ['open', 'readdir', 'stat'] as const;

export interface ReadRange {
  /** First offset to return. */
  readonly from: number;
  /** One past the last offset to return; without it, read to the visible end. */
  readonly to?: number;
}

/** Opens a reader on `options.dir`; the directory's segment headers are checked now. */
export function openReader(options: ReaderOptions): Promise<Reader> {
  return Reader.open(options);
}

export class Reader {
  readonly #catalog: SegmentCatalog;
  readonly #handles: HandlePool;
  readonly #batches: BatchReader;
  readonly #walker: LogWalker;
  readonly #durable: DurableSource | undefined;
  #closed = false;

  private constructor(options: ResolvedReaderOptions) {
    this.#handles = new HandlePool(options.io, options.cacheHandles);
    this.#catalog = new SegmentCatalog(options.io, options.dir, this.#handles);
    this.#batches = new BatchReader(this.#handles, options.cacheBatches);
    this.#walker = new LogWalker(options.io, this.#catalog, this.#batches, options.durable);
    this.#durable = options.durable;
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

  /** The payload of the record at `offset`: a fresh copy the caller owns. */
  async get(offset: number): Promise<Uint8Array> {
    checkOffset('get offset', offset);
    this.#assertOpen();
    const first = await this.firstOffset();
    const durableOffset = this.#durable?.durableOffset;
    const beyondDurable = durableOffset !== undefined && offset >= durableOffset;
    if (offset < first || beyondDurable) throw await this.#outOfRange(offset);
    const found = await this.#walker.find(offset);
    if (found.kind === 'end') throw SeglogError.outOfRange(offset, first, this.#clamp(found.endOffset));
    const { position, batch } = found.cursor;
    return batch.payloads[offset - position.expectedOffset]!.slice();
  }

  /**
   * Records from `from` (inclusive) to `to` (exclusive), in order, across segments. Without `to`,
   * up to the visible end as the iteration reaches it. Rejects SEGLOG_OUT_OF_RANGE when `from` is
   * outside [firstOffset, visible end], or, after the records that exist, when `to` is past the end.
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
    return this.#iterate(range.from, range.to);
  }

  /** The offset of the oldest record in the log (0 for a log with no segment yet). */
  async firstOffset(): Promise<number> {
    this.#assertOpen();
    if (this.#catalog.count === 0) await this.#catalog.refresh();
    return this.#catalog.first?.baseOffset ?? 0;
  }

  /** One past the last visible record. */
  async endOffset(): Promise<number> {
    this.#assertOpen();
    return this.#clamp(await this.#walker.end());
  }

  /** Closes every segment handle; later calls reject SEGLOG_CLOSED. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#handles.close();
  }

  /** `await using reader = await openReader(...)` closes the reader when the scope ends. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async *#iterate(from: number, to: number | undefined): AsyncGenerator<LogRecord> {
    this.#assertOpen();
    const first = await this.firstOffset();
    if (from < first) throw await this.#outOfRange(from);
    let offset = from;
    let found: Found = await this.#walker.find(from);
    while (offset < this.#limit(to) && found.kind === 'batch') {
      const { position, batch } = found.cursor;
      if (offset >= position.expectedOffset + batch.header.recordCount) {
        found = await this.#walker.next(found.cursor);
        continue;
      }
      this.#assertOpen();
      yield { offset, payload: batch.payloads[offset - position.expectedOffset]!.slice() };
      offset++;
    }
    if (to !== undefined && offset >= to) return;
    const end = found.kind === 'end' ? this.#clamp(found.endOffset) : this.#limit(undefined);
    if (from > end) throw SeglogError.outOfRange(from, first, end);
    if (to !== undefined) {
      throw new SeglogError(ErrorCodes.OUT_OF_RANGE, `read range [${from}, ${to}) runs past the visible end ${end}`, { offset: to });
    }
  }

  /** Where iteration must stop: `to`, or what `durable` acknowledges now, whichever is lower. */
  #limit(to: number | undefined): number {
    return Math.min(to ?? Number.POSITIVE_INFINITY, this.#durable?.durableOffset ?? Number.POSITIVE_INFINITY);
  }

  #clamp(endOffset: number): number {
    return Math.min(endOffset, this.#durable?.durableOffset ?? Number.POSITIVE_INFINITY);
  }

  async #outOfRange(offset: number): Promise<SeglogError> {
    return SeglogError.outOfRange(offset, await this.firstOffset(), await this.endOffset());
  }

  #assertOpen(): void {
    if (this.#closed) throw SeglogError.closed('reader');
  }
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
  readonly cacheBatches: number;
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
  return {
    dir: options.dir,
    io: readerIo(options.io),
    durable: options.durable,
    cacheBatches: positiveInteger('cacheBatches', options.cacheBatches, readLimits.readerCachedBatchesDefault),
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

function positiveInteger(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw SeglogError.invalidOption(name, `must be an integer >= 1, got ${describe(value)}`);
  }
  return value;
}
