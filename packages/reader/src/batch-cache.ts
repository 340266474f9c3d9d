/**
 * One job: turn "the batch that must start at block B with first offset X" into a verified batch
 * (or its verified head) or a plain "no", with as few reads as possible, and keep what was verified
 * within the reader's `cacheBytes`.
 *
 * Two depths of verification, both through @seglog/format:
 * - `read`: the whole batch (`stepBatch`: every CRC), decoded into payloads. `reader.read` walks these.
 * - `readHead`: for a v2 batch, only its header and chunk table (`readChunkTable`: the header CRC
 *   over log id, header fields and table). That proves where the batch is and what it holds as well
 *   as a whole read does; `reader.get` then reads and verifies the one chunk it needs
 *   (`readRecord`). A v1 batch has no chunks, so its head is the whole decoded batch.
 * A verified batch never changes on disk (design invariant 2), so both are cached by segment and
 * block, in one LRU bounded in bytes: a decoded batch costs the buffer its payloads lie in, a head
 * its table plus a fixed overhead. A "no" is never cached: at the tail of a live log it only means
 * "not written yet". Reads are chunks of `readLimits.readerChunkBytes`; a walk hands the previous
 * chunk back in, so scanning small batches costs one read per chunk, not one per batch.
 */
import { LRUCache } from 'lru-cache';
import {
  BATCH_HEADER_BYTES,
  batchBytes,
  batchPayloads,
  batchSpanBytes,
  chunkPayload,
  chunkTableRange,
  decodeBatch,
  peekBatchHeader,
  readAt,
  readBatchBytes,
  readFully,
  readBatchHeader,
  readChunkTable,
  stepBatch,
  type BreakReason,
  type ChunkTable,
  type DecodedBatch,
} from '@seglog/format';
import { readLimits, SeglogError } from '@seglog/types';
import type { HandlePool } from './handle-pool.js';
import type { SegmentInfo } from './segment-catalog.js';

/** Where a batch must start, and the first offset it must carry to continue the chain. */
export interface Position {
  readonly blockNumber: number;
  readonly expectedOffset: number;
}

/** Bytes read from one segment starting at `startBytes`; chunks are never reused or written. */
export interface Chunk {
  readonly segment: SegmentInfo;
  readonly startBytes: number;
  readonly bytes: Uint8Array;
}

/** What the chain needs of a verified batch: its header and the bytes it spans. */
export type BatchSpan = Pick<DecodedBatch, 'header' | 'spanBytes'>;

/** A batch verified as far as a get needs: its header, and its chunk table or (v1) all of it. */
export interface BatchHead extends BatchSpan {
  /** v2: the verified chunk table; null when `decoded` holds the whole batch. */
  readonly table: ChunkTable | null;
  /** The whole decoded batch: always for v1, and for v2 when it was cached whole anyway. */
  readonly decoded: DecodedBatch | null;
}

export interface BatchRead {
  readonly batch: DecodedBatch | null;
  /** Why there is no batch (format's break class), when `batch` is null. */
  readonly reason: BreakReason | null;
  /** The chunk to hand to the next read of the same walk. */
  readonly chunk: Chunk | undefined;
}

export interface HeadRead {
  readonly head: BatchHead | null;
  readonly reason: BreakReason | null;
  /** The chunk to hand to the next read of the same walk (and to `readRecord`). */
  readonly chunk: Chunk | undefined;
}

type Cached =
  | { readonly kind: 'batch'; readonly batch: DecodedBatch }
  | { readonly kind: 'head'; readonly head: BatchHead }
  /** One verified chunk of a v2 batch, copied out of the read it came in. */
  | { readonly kind: 'chunk'; readonly bytes: Uint8Array };

export function positionBytes(segment: SegmentInfo, position: Position): number {
  return position.blockNumber * segment.blockBytes;
}

/** Where the batch after `batch` (read at `position`) must start. */
export function nextPosition(segment: SegmentInfo, position: Position, batch: BatchSpan): Position {
  return {
    blockNumber: position.blockNumber + batch.spanBytes / segment.blockBytes,
    expectedOffset: position.expectedOffset + batch.header.recordCount,
  };
}

export interface BatchCacheLimits {
  readonly cacheBytes: number;
  /** A count bound on top of the bytes; undefined for none. */
  readonly cacheBatches: number | undefined;
}

/**
 * Evicted chunk buffers kept for the next chunk reads of the same size class. Random gets evict one
 * chunk per read once the cache is full; reading into the evicted buffer instead of a new one keeps
 * the process from churning through (and the allocator from holding on to) a buffer per get.
 */
const SPARE_CHUNKS_MAX = 8;
/**
 * Chunk buffers are allocated in whole multiples of this (the cached chunk is a view of the first
 * bytes): chunks of one log differ by a few record frames, and without size classes an evicted
 * buffer rarely fits the next chunk exactly, so every get allocated a fresh ~16 KiB buffer that
 * outlived the garbage around it. With them the cache recycles its buffers once full (measured:
 * issue 11, docs/benchmarks.md "Random get and reader memory"). The waste, under 4 KiB per chunk,
 * is charged to `cacheBytes`.
 */
const CHUNK_BUFFER_STEP_BYTES = 4096;

export class BatchReader {
  readonly #handles: HandlePool;
  readonly #cache: LRUCache<string, Cached>;
  readonly #spares: Uint8Array[] = [];
  /**
   * Whether the last batch head read spanned more than a read chunk. Then the next head is read one
   * block at a time (its header; the chunk table is at the batch's end, read on its own): a 64 KiB
   * read would bring nothing else of use and only churn memory, 64 KiB per batch a get reaches
   * first (issue 11: reader RSS). Small batches keep the chunk-sized read, which covers several
   * heads (and often the record's chunk) at once. Only read sizes depend on it, never results.
   */
  #largeBatches = false;

  constructor(handles: HandlePool, limits: BatchCacheLimits) {
    this.#handles = handles;
    this.#cache = new LRUCache<string, Cached>({
      maxSize: limits.cacheBytes,
      sizeCalculation: cachedBytes,
      // Nothing outside this class holds a cached chunk (a get returns a copy), so an evicted one is free.
      dispose: (value, _key, reason) => {
        if (value.kind === 'chunk' && reason === 'evict' && this.#spares.length < SPARE_CHUNKS_MAX) {
          this.#spares.push(new Uint8Array(value.bytes.buffer));
        }
      },
      ...(limits.cacheBatches === undefined ? {} : { max: limits.cacheBatches }),
    });
  }

  /** `lengthBytes` at the start of a spare buffer of its size class, or of a new one. */
  #bufferOf(lengthBytes: number): Uint8Array {
    const capacity = Math.ceil(lengthBytes / CHUNK_BUFFER_STEP_BYTES) * CHUNK_BUFFER_STEP_BYTES;
    const i = this.#spares.findIndex((spare) => spare.length === capacity);
    const whole = i === -1 ? new Uint8Array(capacity) : this.#spares.splice(i, 1)[0]!;
    return whole.subarray(0, lengthBytes);
  }

  /**
   * The verified batch at `position`, or null when there is none: a torn or unwritten tail, damage,
   * or a batch that does not carry the expected offset. A null always comes from a fresh disk read,
   * never from `chunk` alone, so a batch written since the chunk was read is seen.
   *
   * `remember: false` (a walk stepping on, `LogWalker.next`) leaves a batch it decodes out of the
   * cache: a walk hands each batch on once, and caching it would only keep it alive long enough to
   * be promoted to the old generation. A follower at 1,000 records/s filled the cache with its
   * whole recent past and paid for it in full collections every second (10-20 ms stalls).
   */
  async read(segment: SegmentInfo, position: Position, chunk?: Chunk, remember = true): Promise<BatchRead> {
    const key = keyOf(segment, position);
    const cached = this.#cache.get(key);
    if (cached?.kind === 'batch') {
      const matches = cached.batch.header.firstOffset === position.expectedOffset;
      return { batch: matches ? cached.batch : null, reason: matches ? null : 'offset-mismatch', chunk };
    }
    const atBytes = positionBytes(segment, position);
    let readBytes = Math.max(readLimits.readerChunkBytes, segment.blockBytes);
    if (chunk !== undefined && chunk.segment.baseOffset === segment.baseOffset && atBytes >= chunk.startBytes) {
      const at = atBytes - chunk.startBytes;
      const batch = decodeBatch(segment.logId, chunk.bytes, at, segment.blockBytes, position.expectedOffset);
      if (batch !== null) return { batch: this.#keep(key, batch, remember), reason: null, chunk };
      // The walk reached the end of what its last read found (or of that read itself): read about
      // as much as it found again, not a whole chunk.
      if (at <= chunk.bytes.length) readBytes = this.#tailReadBytes(segment, at);
    }
    const tail = readBytes < Math.max(readLimits.readerChunkBytes, segment.blockBytes);
    const synchronous = tail ? this.#readTailSync(segment, position, readBytes) : null;
    const bytes = synchronous ?? (await this.#readBatchBytes(segment, position, readBytes));
    const fresh: Chunk = { segment, startBytes: atBytes, bytes };
    const step = stepBatch(segment.logId, fresh.bytes, 0, segment.blockBytes, position.expectedOffset);
    if (step.kind === 'break') return { batch: null, reason: step.reason, chunk: fresh };
    const payloads = batchPayloads(fresh.bytes, 0, step.header);
    const batch: DecodedBatch = { header: step.header, payloads, spanBytes: step.spanBytes };
    return { batch: this.#keep(key, batch, remember), reason: null, chunk: fresh };
  }

  /**
   * How much to read at a position that the walk's last chunk reached without holding a batch
   * there: the written end of a live segment, where a follower waits (or the chunk's own end, for
   * a walk that used all of it). The chunk held `usedBytes` of batches before it, about what
   * arrives between two wake-ups, so twice that (whole blocks, at least one, at most
   * `readerChunkBytes`) is read, not a full chunk of which all but a block or two is unwritten
   * space: at 1,000 wake-ups a second, 64 KiB reads cost ~64 MB/s of buffers to zero, fill and
   * collect. A batch larger than the read is read whole (readBatchBytes).
   */
  #tailReadBytes(segment: SegmentInfo, usedBytes: number): number {
    const wanted = Math.ceil((2 * usedBytes) / segment.blockBytes) * segment.blockBytes;
    return Math.min(Math.max(wanted, segment.blockBytes), Math.max(readLimits.readerChunkBytes, segment.blockBytes));
  }

  /**
   * The batch at `position` verified as far as a get needs (header and chunk table; a v1 batch
   * whole), or null with the reason, as `read` says. Reads a chunk of `readerChunkBytes` at the
   * header (or reuses `chunk`, as a walk hands it on) and the table when it lies beyond; nothing
   * when cached. As for `read`, a null always comes from a fresh disk read.
   */
  async readHead(segment: SegmentInfo, position: Position, chunk?: Chunk): Promise<HeadRead> {
    const key = keyOf(segment, position);
    const cached = this.#cache.get(key);
    const known = cached?.kind === 'head' ? cached.head : cached?.kind === 'batch' ? wholeHead(cached.batch) : undefined;
    if (known !== undefined) {
      const matches = known.header.firstOffset === position.expectedOffset;
      return matches ? { head: known, reason: null, chunk } : { head: null, reason: 'offset-mismatch', chunk };
    }
    const atBytes = positionBytes(segment, position);
    let found: BatchHead | BreakReason | 'v1' | null = null;
    if (chunk !== undefined && covers(chunk, segment, atBytes, BATCH_HEADER_BYTES)) {
      found = await this.#headIn(segment, position, chunk);
    }
    if (found === null || (typeof found === 'string' && found !== 'v1')) {
      const readBytes = this.#largeBatches ? segment.blockBytes : readLimits.readerChunkBytes;
      chunk = await this.#readChunk(segment, atBytes, readBytes);
      found = await this.#headIn(segment, position, chunk);
      if (typeof found !== 'string') this.#largeBatches = found.spanBytes > readLimits.readerChunkBytes;
    }
    if (found === 'v1') {
      const whole = await this.read(segment, position, chunk);
      if (whole.batch === null) return { head: null, reason: whole.reason, chunk };
      return { head: wholeHead(whole.batch), reason: null, chunk };
    }
    if (typeof found === 'string') return { head: null, reason: found, chunk };
    this.#cache.set(key, { kind: 'head', head: found });
    return { head: found, reason: null, chunk };
  }

  /**
   * A copy of the payload of `offset`, which lies in the batch `head` at `position`: for a v2
   * batch, its chunk (from `chunk` when the walk's last read holds it, else one read), verified
   * by the chunk's CRC and frames. Damage there is SEGLOG_CORRUPT naming the file, the chunk's
   * byte position and the offset.
   */
  async readRecord(
    segment: SegmentInfo,
    position: Position,
    head: BatchHead,
    offset: number,
    chunk?: Chunk,
  ): Promise<Uint8Array> {
    if (head.table === null) return head.decoded!.payloads[offset - head.header.firstOffset]!.slice();
    const entry = head.table.entryFor(offset);
    const atBytes = positionBytes(segment, position) + head.header.headerBytes + entry.fromBytes;
    const key = `${keyOf(segment, position)}:${entry.index}`;
    const cached = this.#cache.get(key);
    if (cached?.kind === 'chunk') return (chunkPayload(cached.bytes, entry, offset) as Uint8Array).slice();
    const lengthBytes = entry.toBytes - entry.fromBytes;
    // The chunk in a buffer of its own: a copy out of the walk's larger read, or one exact read.
    let bytes: Uint8Array;
    if (chunk !== undefined && covers(chunk, segment, atBytes, lengthBytes)) {
      bytes = this.#bufferOf(lengthBytes);
      bytes.set(chunk.bytes.subarray(atBytes - chunk.startBytes, atBytes - chunk.startBytes + lengthBytes));
    } else bytes = await this.#readExact(segment, atBytes, lengthBytes);
    const payload = chunkPayload(bytes, entry, offset);
    if (typeof payload !== 'string') {
      this.#cache.set(key, { kind: 'chunk', bytes });
      return payload.slice();
    }
    const file = segment.path;
    const what = `chunk ${entry.index} (offsets ${entry.firstOffset}..${entry.endOffset - 1}, ${lengthBytes} bytes)`;
    const problem = payload === 'crc-mismatch' ? 'fails its CRC' : 'has frames that do not add up';
    throw SeglogError.corrupt(`${file}: ${what} at byte ${atBytes} ${problem}`, { file, positionBytes: atBytes, offset });
  }

  /** The head at `position` from `chunk` (which holds its header), reading the table if beyond it. */
  async #headIn(segment: SegmentInfo, position: Position, chunk: Chunk): Promise<BatchHead | BreakReason | 'v1'> {
    const atBytes = positionBytes(segment, position);
    const bytes = chunk.bytes.subarray(atBytes - chunk.startBytes);
    const header = readBatchHeader(bytes, 0);
    if (typeof header === 'string') return header;
    if (header.version === 1) return 'v1';
    const range = chunkTableRange(header);
    let table: Uint8Array;
    if (range.toBytes <= bytes.length) table = bytes.subarray(range.fromBytes, range.toBytes);
    else {
      table = await this.#handles.use(segment.path, async (handle) => {
        // Not verified yet, so bounded by the file first: garbage claiming 2 GiB must not read 2 GiB.
        if (atBytes + batchBytes(header) > (await handle.sizeBytes())) return null;
        return readAt(handle, atBytes + range.fromBytes, range.toBytes - range.fromBytes);
      }) ?? new Uint8Array(0);
      if (table.length !== range.toBytes - range.fromBytes) return 'truncated';
    }
    const verified = readChunkTable(segment.logId, bytes, header, table);
    if (typeof verified === 'string') return verified;
    if (header.firstOffset !== position.expectedOffset) return 'offset-mismatch';
    const spanBytes = batchSpanBytes(header.bodyBytes, segment.blockBytes, header.headerBytes);
    return { header, spanBytes, table: verified, decoded: null };
  }

  /** `lengthBytes` at `atBytes` in a buffer of their own (shorter only at the end of the file). */
  async #readExact(segment: SegmentInfo, atBytes: number, lengthBytes: number): Promise<Uint8Array> {
    const buffer = this.#bufferOf(lengthBytes);
    const count = await this.#handles.use(segment.path, (handle) => readFully(handle, buffer, atBytes));
    return count === lengthBytes ? buffer : buffer.subarray(0, count);
  }

  async #readChunk(segment: SegmentInfo, atBytes: number, sizeBytes: number): Promise<Chunk> {
    const lengthBytes = Math.max(sizeBytes, segment.blockBytes);
    const bytes = await this.#handles.use(segment.path, (handle) => readAt(handle, atBytes, lengthBytes));
    return { segment, startBytes: atBytes, bytes };
  }

  /**
   * A tail read (`#tailReadBytes`, less than a chunk) on this thread, when the segment's handle is
   * open and its engine reads synchronously: the bytes at a live segment's written end were just
   * written, so the page cache holds them and the read costs microseconds, where a thread-pool
   * round trip costs two thread wake-ups, and on a busy machine a wait for each to be scheduled
   * (the follower's tail latency). Null: go the asynchronous way (not open yet, no `readSync`, or
   * a batch there that claims more than was read, which `readBatchBytes` reads whole).
   */
  #readTailSync(segment: SegmentInfo, position: Position, lengthBytes: number): Uint8Array | null {
    const handle = this.#handles.openedSync(segment.path);
    if (handle?.readSync === undefined) return null;
    const buffer = new Uint8Array(lengthBytes);
    let count: number;
    try {
      count = handle.readSync(buffer, positionBytes(segment, position));
    } catch (error) {
      throw SeglogError.io('read', segment.path, error);
    }
    const bytes = buffer.subarray(0, count);
    const header = peekBatchHeader(bytes, 0);
    const bigger = header !== null && header.firstOffset === position.expectedOffset && batchBytes(header) > count;
    return bigger && count === lengthBytes ? null : bytes;
  }

  /** Reads `chunkBytes` at `position`, or the whole batch there when it claims to be bigger. */
  async #readBatchBytes(segment: SegmentInfo, position: Position, chunkBytes: number): Promise<Uint8Array> {
    return this.#handles.use(segment.path, (handle) =>
      readBatchBytes(handle, positionBytes(segment, position), chunkBytes, position.expectedOffset, () =>
        handle.sizeBytes(),
      ),
    );
  }

  #keep(key: string, batch: DecodedBatch, remember: boolean): DecodedBatch {
    if (remember) this.#cache.set(key, { kind: 'batch', batch });
    return batch;
  }
}

/** True when `chunk` holds `lengthBytes` of `segment` from `atBytes`. */
function covers(chunk: Chunk, segment: SegmentInfo, atBytes: number, lengthBytes: number): boolean {
  const from = atBytes - chunk.startBytes;
  return chunk.segment.baseOffset === segment.baseOffset && from >= 0 && from + lengthBytes <= chunk.bytes.length;
}

function keyOf(segment: SegmentInfo, position: Position): string {
  return `${segment.baseOffset}:${position.blockNumber}`;
}

function wholeHead(batch: DecodedBatch): BatchHead {
  return { header: batch.header, spanBytes: batch.spanBytes, table: null, decoded: batch };
}

/**
 * What an entry keeps alive. A decoded batch's payloads are views of the buffer they were read in,
 * which may hold neighbouring batches too: the whole buffer is charged, an upper bound, so the
 * cache never holds more than `cacheBytes` of buffers even when several batches share one.
 */
function cachedBytes(entry: Cached): number {
  const overhead = readLimits.readerCachedHeadOverheadBytes;
  if (entry.kind === 'head') return overhead + (entry.head.table?.sizeBytes ?? 0);
  if (entry.kind === 'chunk') return overhead + entry.bytes.buffer.byteLength;
  const first = entry.batch.payloads[0];
  return overhead + (first === undefined ? 0 : first.buffer.byteLength);
}

