/**
 * One job: write seglog directories for reader tests without the store, straight from the format
 * encoders, so each test can lay out exactly the bytes it needs (torn tails, stale indexes, gaps).
 */
import { join } from 'node:path';
import {
  encodeBatch,
  encodeIndexEntries,
  encodeSegmentHeader,
  indexFileName,
  NEXT_SEGMENT_TMP,
  segmentFileName,
  type IndexEntry,
} from '@seglog/format';
import type { FileIO } from '@seglog/types';

export type IndexLayout =
  /** One entry per batch. */
  | 'every'
  /** An entry for the first batch, then one per `intervalBytes` (the writer's rule). */
  | { readonly intervalBytes: number }
  /** No `.idx` file at all. */
  | 'none'
  /** These exact bytes as the `.idx` file. */
  | { readonly bytes: Uint8Array };

export interface SegmentLayout {
  /** Payloads of each batch, in order. */
  readonly batches: readonly (readonly Uint8Array[])[];
  /** Default: where the previous segment's records end (or the log's first offset). */
  readonly baseOffset?: number;
  /** Default: the log's id. */
  readonly logId?: Uint8Array;
  /** Default: 'every'. */
  readonly index?: IndexLayout;
}

export interface LogLayout {
  readonly dir?: string;
  readonly logId?: Uint8Array;
  readonly blockBytes?: number;
  readonly firstOffset?: number;
  readonly segments: readonly SegmentLayout[];
}

export interface BuiltBatch {
  readonly firstOffset: number;
  readonly blockNumber: number;
  readonly positionBytes: number;
  readonly bytes: Uint8Array;
}

export interface BuiltSegment {
  readonly baseOffset: number;
  readonly path: string;
  readonly indexPath: string;
  readonly logId: Uint8Array;
  readonly batches: BuiltBatch[];
  /** Where the next batch would go. */
  nextBlock: number;
  /** One past the last record written. */
  endOffset: number;
}

export interface BuiltLog {
  readonly io: FileIO;
  readonly dir: string;
  readonly logId: Uint8Array;
  readonly blockBytes: number;
  readonly segments: BuiltSegment[];
  /** Every payload written, by offset. */
  readonly payloads: Map<number, Uint8Array>;
}

export function logId(seed: number): Uint8Array {
  return Uint8Array.from({ length: 16 }, (_, i) => (seed * 131 + i * 7 + 1) & 0xff);
}

/** A recognisable payload for `offset`: its bytes depend on the offset, its size on `sizeBytes`. */
export function payloadFor(offset: number, sizeBytes = 8 + (offset % 23)): Uint8Array {
  return Uint8Array.from({ length: sizeBytes }, (_, i) => (offset * 31 + i * 7) & 0xff);
}

/** `count` batches of `perBatch` records each, starting at `firstOffset`. */
export function batchesFrom(firstOffset: number, count: number, perBatch: number, sizeBytes?: number): Uint8Array[][] {
  return Array.from({ length: count }, (_, b) =>
    Array.from({ length: perBatch }, (_, r) => payloadFor(firstOffset + b * perBatch + r, sizeBytes)),
  );
}

export async function buildLog(io: FileIO, layout: LogLayout): Promise<BuiltLog> {
  const dir = layout.dir ?? '/log';
  await io.mkdirp(dir);
  const log: BuiltLog = {
    io,
    dir,
    logId: layout.logId ?? logId(1),
    blockBytes: layout.blockBytes ?? 4096,
    segments: [],
    payloads: new Map(),
  };
  let nextOffset = layout.firstOffset ?? 0;
  for (const segmentLayout of layout.segments) {
    const segment = await writeSegment(log, segmentLayout, segmentLayout.baseOffset ?? nextOffset);
    nextOffset = segment.endOffset;
  }
  return log;
}

async function writeSegment(log: BuiltLog, layout: SegmentLayout, baseOffset: number): Promise<BuiltSegment> {
  const segmentLogId = layout.logId ?? log.logId;
  const segment: BuiltSegment = {
    baseOffset,
    path: join(log.dir, segmentFileName(baseOffset)),
    indexPath: join(log.dir, indexFileName(baseOffset)),
    logId: segmentLogId,
    batches: [],
    nextBlock: 1,
    endOffset: baseOffset,
  };
  // As the writer does: the header is in place before the file gets its `.seg` name.
  const temporary = join(log.dir, NEXT_SEGMENT_TMP);
  const handle = await log.io.open(temporary, 'truncate');
  await handle.writev([encodeSegmentHeader({ blockBytes: log.blockBytes, baseOffset, logId: segmentLogId })], 0);
  await handle.close();
  await log.io.rename(temporary, segment.path);
  log.segments.push(segment);
  for (const payloads of layout.batches) await appendBatch(log, payloads, segment);
  await writeIndex(log, segment, layout.index ?? 'every');
  return segment;
}

/** Writes one batch at the next block of `segment` (default: the last one), as the writer would. */
export async function appendBatch(
  log: BuiltLog,
  payloads: readonly Uint8Array[],
  segment = lastSegment(log),
): Promise<BuiltBatch> {
  const bytes = encodeBatch(segment.logId, segment.endOffset, payloads, log.blockBytes);
  const batch: BuiltBatch = {
    firstOffset: segment.endOffset,
    blockNumber: segment.nextBlock,
    positionBytes: segment.nextBlock * log.blockBytes,
    bytes,
  };
  const handle = await log.io.open(segment.path, 'write');
  await handle.writev([bytes], batch.positionBytes);
  await handle.close();
  payloads.forEach((payload, i) => log.payloads.set(batch.firstOffset + i, payload));
  segment.batches.push(batch);
  segment.nextBlock += bytes.length / log.blockBytes;
  segment.endOffset += payloads.length;
  return batch;
}

/** Starts a new segment where the last one ends (a writer's roll). */
export async function rollSegment(log: BuiltLog, index: IndexLayout = 'every'): Promise<BuiltSegment> {
  return writeSegment(log, { batches: [], index }, lastSegment(log).endOffset);
}

export function lastSegment(log: BuiltLog): BuiltSegment {
  const segment = log.segments[log.segments.length - 1];
  if (segment === undefined) throw new Error('the log has no segment');
  return segment;
}

/** The offsets [first, end) the log holds, in order. */
export function offsetsOf(log: BuiltLog): number[] {
  return [...log.payloads.keys()].sort((a, b) => a - b);
}

async function writeIndex(log: BuiltLog, segment: BuiltSegment, layout: IndexLayout): Promise<void> {
  if (layout === 'none') return;
  const bytes = typeof layout === 'object' && 'bytes' in layout ? layout.bytes : encodeIndexEntries(indexEntries(log, segment, layout));
  const handle = await log.io.open(segment.indexPath, 'truncate');
  await handle.writev([bytes], 0);
  await handle.close();
}

function indexEntries(log: BuiltLog, segment: BuiltSegment, layout: 'every' | { readonly intervalBytes: number }): IndexEntry[] {
  const entries: IndexEntry[] = [];
  let lastBytes = -Infinity;
  for (const batch of segment.batches) {
    if (layout !== 'every' && batch.positionBytes - lastBytes < layout.intervalBytes) continue;
    entries.push({ firstOffset: batch.firstOffset, blockNumber: batch.blockNumber });
    lastBytes = batch.positionBytes;
  }
  return entries;
}

/** Collects an async iterable into an array of [offset, payload] pairs. */
export async function collect(
  records: AsyncIterable<{ offset: number; payload: Uint8Array }>,
): Promise<Array<[number, Uint8Array]>> {
  const out: Array<[number, Uint8Array]> = [];
  for await (const record of records) out.push([record.offset, record.payload]);
  return out;
}

/** The records [from, to) as `collect` would return them, from what the builder wrote. */
export function expectedRecords(log: BuiltLog, from: number, to: number): Array<[number, Uint8Array]> {
  const out: Array<[number, Uint8Array]> = [];
  for (let offset = from; offset < to; offset++) {
    const payload = log.payloads.get(offset);
    if (payload === undefined) throw new Error(`the builder wrote no record ${offset}`);
    out.push([offset, payload]);
  }
  return out;
}
