/**
 * One job: walk the batches of one segment file and find where valid data ends, and whether any
 * valid batch lies beyond that end (which tells corruption from a torn tail; see docs/format.md).
 * Reads only; never decides what to do about what it finds.
 */
import type { FileHandle } from '@seglog/types';
import {
  BATCH_HEADER_BYTES,
  batchSpanBytes,
  decodeRecords,
  peekBatchHeader,
  verifyBatch,
} from '@seglog/format';
import type { BatchHeader, IndexEntry } from '@seglog/format';
import { ChunkReader } from './chunk-reader.js';

const WINDOW_BYTES = 1024 * 1024;

export interface ScanTarget {
  readonly handle: FileHandle;
  readonly sizeBytes: number;
  readonly logId: Uint8Array;
  readonly blockBytes: number;
  readonly indexIntervalBytes: number;
}

export interface ScanResult {
  /** Byte position just past the last valid batch. */
  readonly endPositionBytes: number;
  /** Offset after the last valid record. */
  readonly endOffset: number;
  readonly batches: number;
  /** Byte position of the last valid batch passed, or null when none was. */
  readonly lastBatchPositionBytes: number | null;
  /** Index entries for the batches passed, sparse by `indexIntervalBytes`. */
  readonly entries: IndexEntry[];
}

/** The valid batch at `position` with `expectedOffset`, or null. */
async function validBatchAt(reader: ChunkReader, target: ScanTarget, position: number, expectedOffset: number | null): Promise<BatchHeader | null> {
  const head = await reader.bytes(position, BATCH_HEADER_BYTES);
  const header = peekBatchHeader(head, 0);
  if (header === null) return null;
  if (expectedOffset !== null ? header.firstOffset !== expectedOffset : header.firstOffset < 0) return null;
  const length = BATCH_HEADER_BYTES + header.bodyBytes;
  if (position + length > target.sizeBytes) return null;
  const whole = await reader.bytes(position, length);
  if (!verifyBatch(target.logId, whole, 0, header)) return null;
  return decodeRecords(whole, 0, header) === null ? null : header;
}

/** Follows the chain of batches from `startPosition`, each starting where the last one's span ends. */
export async function scanBatches(target: ScanTarget, startPosition: number, startOffset: number, seed: readonly IndexEntry[] = []): Promise<ScanResult> {
  const reader = new ChunkReader(target.handle, target.sizeBytes, WINDOW_BYTES);
  const entries = [...seed];
  let lastIndexedPosition = entries.length > 0 ? entries[entries.length - 1]!.blockNumber * target.blockBytes : -Infinity;
  let position = startPosition;
  let offset = startOffset;
  let batches = 0;
  let lastBatchPositionBytes: number | null = null;
  while (position + BATCH_HEADER_BYTES <= target.sizeBytes) {
    const header = await validBatchAt(reader, target, position, offset);
    if (header === null) break;
    if (position - lastIndexedPosition >= target.indexIntervalBytes) {
      entries.push({ firstOffset: offset, blockNumber: position / target.blockBytes });
      lastIndexedPosition = position;
    }
    offset += header.recordCount;
    lastBatchPositionBytes = position;
    position += batchSpanBytes(header.bodyBytes, target.blockBytes);
    batches++;
  }
  return { endPositionBytes: position, endOffset: offset, batches, lastBatchPositionBytes, entries };
}

/**
 * The first block from `endPosition` on holding a valid batch whose first offset is at or past
 * `endOffset`, or null. A hit means acknowledged data lies beyond damage. The block at
 * `endPosition` itself counts: a batch there with a later offset (a misdirected write) proves the
 * records it skips were lost, not torn.
 */
export async function findValidBatchAfter(target: ScanTarget, endPosition: number, endOffset: number): Promise<number | null> {
  const reader = new ChunkReader(target.handle, target.sizeBytes, WINDOW_BYTES);
  for (let position = endPosition; position + BATCH_HEADER_BYTES <= target.sizeBytes; position += target.blockBytes) {
    const header = await validBatchAt(reader, target, position, null);
    if (header !== null && header.firstOffset >= endOffset) return position;
  }
  return null;
}
