/**
 * One job: follow the chain of batches through one segment file with `stepBatch`, and report
 * where it stops, why, whether a valid batch lies beyond the stop, and the sparse index entries
 * of what it passed. Reads only; never decides what a stop means (recovery and the reader do).
 *
 * Speed: a scan reads the file through one reusable window (`readLimits.scanWindowBytes`: a few
 * large sequential reads, not one per batch; scan-window.ts), and allocates per batch only its
 * header object, never per record.
 */
import { limits, readLimits } from '@seglog/types';
import { BATCH_HEADER_BYTES, BATCH_HEADER_BYTES_MIN, batchBytes } from './batch.js';
import type { BatchHeader } from './batch.js';
import { peekBatchHeader, stepBatch } from './batch-decode.js';
import type { BatchBreak, BatchStep } from './batch-decode.js';
import { readAt, readFully } from './byte-source.js';
import type { ByteSource } from './byte-source.js';
import type { IndexEntry } from './index-entry.js';
import { ScanWindow } from './scan-window.js';
import type { ScanWindowOptions } from './scan-window.js';


/** One segment file as a scan sees it: where its bytes come from and how its batches are sealed. */
export interface ChainFile {
  readonly source: ByteSource;
  readonly sizeBytes: number;
  readonly logId: Uint8Array;
  readonly blockBytes: number;
}

export interface ScanStart {
  /** Byte position of a batch known to start the chain (block 1, or a verified index entry). */
  readonly positionBytes: number;
  /** The first offset the batch there must carry. */
  readonly offset: number;
  /** Entries to add at most every this many bytes (the writer's index interval). */
  readonly indexIntervalBytes: number;
  /** Entries already known before `positionBytes`; the scan appends to a copy. */
  readonly seedEntries?: readonly IndexEntry[];
}

/** A valid batch the scan passed: where it starts and its header. */
export interface PassedBatch {
  readonly positionBytes: number;
  readonly header: BatchHeader;
}

export interface ChainScan {
  /** Byte position just past the last valid batch: where the chain stops. */
  readonly endPositionBytes: number;
  /** Offset after the last valid record: the offset the missing batch would carry. */
  readonly endOffset: number;
  readonly batches: number;
  /** Byte position of the last valid batch passed, or null when none was. */
  readonly lastBatchPositionBytes: number | null;
  /**
   * The last batches passed, oldest first, at most `limits.batchesInFlightCountMax`: enough to
   * reach back past every batch a writer can have had in flight behind the last one.
   */
  readonly recent: readonly PassedBatch[];
  /** Index entries for the batches passed, sparse by `indexIntervalBytes`. */
  readonly entries: IndexEntry[];
  /** Why the chain stops at `endPositionBytes`; `end-of-bytes` when it ran to the end of the file. */
  readonly stop: BatchBreak;
}

export interface BatchBeyond {
  readonly positionBytes: number;
  readonly header: BatchHeader;
  /** Bytes the batch occupies, padding included: the next one cannot start before its end. */
  readonly spanBytes: number;
}

/**
 * Follows the chain from `start`, each batch starting where the span of the one before ends.
 * `readAhead` reads the next window while this one is checked (scan-window.ts): for a scan that
 * reads a whole file, on a machine with a core to spare (`seglog verify`).
 */
export async function scanChain(
  file: ChainFile,
  start: ScanStart,
  windowBytes: number = readLimits.scanWindowBytes,
  options: ScanWindowOptions = {},
): Promise<ChainScan> {
  const window = new ScanWindow(file.source, file.sizeBytes, windowBytes, options);
  try {
    return await followChain(window, file, start);
  } finally {
    // No read may outlive the scan: the caller closes the file next.
    await window.close();
  }
}

async function followChain(window: ScanWindow, file: ChainFile, start: ScanStart): Promise<ChainScan> {
  const entries = [...(start.seedEntries ?? [])];
  const seedLast = entries[entries.length - 1];
  let lastIndexedBytes = seedLast === undefined ? -Infinity : seedLast.blockNumber * file.blockBytes;
  let position = start.positionBytes;
  let offset = start.offset;
  let batches = 0;
  let lastBatchPositionBytes: number | null = null;
  const recent: PassedBatch[] = [];
  for (;;) {
    const step = await stepAt(window, file, position, offset);
    if (step.kind === 'break') {
      const end = { endPositionBytes: position, endOffset: offset };
      return { ...end, batches, lastBatchPositionBytes, recent, entries, stop: step };
    }
    if (recent.length === limits.batchesInFlightCountMax) recent.shift();
    recent.push({ positionBytes: position, header: step.header });
    if (position - lastIndexedBytes >= start.indexIntervalBytes) {
      entries.push({ firstOffset: offset, blockNumber: position / file.blockBytes });
      lastIndexedBytes = position;
    }
    offset += step.header.recordCount;
    lastBatchPositionBytes = position;
    position += step.spanBytes;
    batches++;
  }
}

/**
 * The first block from `fromBytes` on holding a valid batch whose first offset is at or past
 * `minOffset`, or null. A hit after a stop means acknowledged data lies beyond damage. The block
 * at `fromBytes` itself counts: a batch there with a later offset (a misdirected write) proves
 * the records it skips were lost, not torn.
 */
export async function findBatchBeyond(
  file: ChainFile,
  fromBytes: number,
  minOffset: number,
  windowBytes: number = readLimits.scanWindowBytes,
): Promise<BatchBeyond | null> {
  const window = new ScanWindow(file.source, file.sizeBytes, windowBytes);
  for (let position = fromBytes; position + BATCH_HEADER_BYTES_MIN <= file.sizeBytes; position += file.blockBytes) {
    const step = await stepAt(window, file, position, null);
    if (step.kind === 'batch' && step.header.firstOffset >= minOffset) {
      return { positionBytes: position, header: step.header, spanBytes: step.spanBytes };
    }
  }
  return null;
}

/** The batch at `positionBytes` with `expectedOffset`, or why there is none: one or two reads. */
export async function batchAt(
  file: ChainFile,
  positionBytes: number,
  expectedOffset: number | null,
): Promise<BatchStep> {
  const probeBytes = readLimits.batchProbeBytes;
  const bytes = await readBatchBytes(file.source, positionBytes, probeBytes, expectedOffset, () => file.sizeBytes);
  return stepBatch(file.logId, bytes, 0, file.blockBytes, expectedOffset);
}

/**
 * The bytes at `positionBytes` for one batch lookup: one read of `probeBytes`, then one read of
 * exactly what the header claims when the batch there is bigger. The header is not verified yet,
 * so its claim is bounded by the file size first (`sizeBytes`, asked only then): garbage claiming
 * 2 GiB must not allocate 2 GiB. A header with another first offset is not worth a second read.
 */
export async function readBatchBytes(
  source: ByteSource,
  positionBytes: number,
  probeBytes: number,
  expectedOffset: number | null,
  sizeBytes: () => number | Promise<number>,
): Promise<Uint8Array> {
  const bytes = await readAt(source, positionBytes, probeBytes);
  const header = peekBatchHeader(bytes, 0);
  if (header === null || (expectedOffset !== null && header.firstOffset !== expectedOffset)) return bytes;
  const neededBytes = batchBytes(header);
  if (neededBytes <= bytes.length || bytes.length < probeBytes) return bytes;
  if (positionBytes + neededBytes > (await sizeBytes())) return bytes;
  return readAt(source, positionBytes, neededBytes);
}

/** True when the block at `positionBytes` holds any non-zero byte: preallocated space is zeros. */
export async function blockHoldsData(file: ChainFile, positionBytes: number): Promise<boolean> {
  if (positionBytes >= file.sizeBytes) return false;
  const block = new Uint8Array(Math.min(file.blockBytes, file.sizeBytes - positionBytes));
  const read = await readFully(file.source, block, positionBytes);
  return block.subarray(0, read).some((byte) => byte !== 0);
}

/**
 * One past the last non-zero byte from `fromBytes` to the end of the file, or `fromBytes` when
 * all of it is zeros: where written data ends and preallocated space begins. From a chain's stop,
 * `dataEndBytes - endPositionBytes` is the size of a torn tail. Reads the rest of the file.
 */
export async function dataEndBytes(
  file: ChainFile,
  fromBytes: number,
  windowBytes: number = readLimits.scanWindowBytes,
): Promise<number> {
  const window = new ScanWindow(file.source, file.sizeBytes, windowBytes);
  let dataEnd = fromBytes;
  for (let position = fromBytes; position < file.sizeBytes; ) {
    const bytes = await window.bytes(position, windowBytes);
    if (bytes.length === 0) break;
    for (let i = bytes.length - 1; i >= 0; i--) {
      if (bytes[i] !== 0) {
        dataEnd = position + i + 1;
        break;
      }
    }
    position += bytes.length;
  }
  return dataEnd;
}

/**
 * `stepBatch` at `position`, reading the whole batch only once its header is sane, and never
 * more than the file holds: garbage claiming a 2 GiB body must not allocate 2 GiB.
 */
async function stepAt(
  window: ScanWindow,
  file: ChainFile,
  position: number,
  expectedOffset: number | null,
): Promise<BatchStep> {
  const head = await window.bytes(position, BATCH_HEADER_BYTES);
  const first = stepBatch(file.logId, head, 0, file.blockBytes, expectedOffset);
  if (first.kind === 'batch' || first.reason !== 'truncated' || position + first.neededBytes > file.sizeBytes) return first;
  const whole = await window.bytes(position, first.neededBytes);
  return stepBatch(file.logId, whole, 0, file.blockBytes, expectedOffset);
}
