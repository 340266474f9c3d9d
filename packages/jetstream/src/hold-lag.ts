/**
 * One job: `holdLag`, the shipping lag of a log read from the directory alone, without a server:
 * for each shipper retention hold (`jetstream.<stream>`, the default hold name), the durable
 * records and payload bytes at or above it and the append time of the oldest of them. `seglog
 * stat` shows it.
 *
 * The hold is a lower bound of what the stream holds: a running shipper raises it at most once a
 * `holdIntervalMillisDefault` and at close (shipper.ts), so these figures are exact for a stopped
 * shipper and may overstate a running one's lag by about a second of records. The exact lag needs
 * the stream (`shipStatus`, `seglog jetstream stat`).
 */
import { openReader } from '@seglog/reader';
import { listRetentionHolds } from '@seglog/store';
import { nodeFileIO } from '@seglog/io';
import { SeglogError, shipLimits, type FileIO } from '@seglog/types';

/** The prefix of the hold name a shipper uses unless given `holdName` (options.ts). */
export const SHIPPER_HOLD_PREFIX = 'jetstream.';

export interface HoldLagOptions {
  readonly dir: string;
  readonly io?: FileIO;
  /** Payload bytes to read for an exact `lagBytes`; past them the rest is estimated. */
  readonly readBytesMax?: number;
  /** The clock for `oldestUnshippedAgeMs`. Default `Date.now()`. */
  readonly nowMs?: number;
}

export interface HoldLag {
  /** The hold's name, `jetstream.<stream>`. */
  readonly holdName: string;
  /** The stream, read from the hold's name. */
  readonly stream: string;
  /** The hold's offset: the shipped position as last written by the shipper. */
  readonly heldOffset: number;
  /** Wall-clock ms when the shipper last wrote it. */
  readonly heldAtMs: number;
  /** The log's durable end. */
  readonly endOffset: number;
  /** Durable records at or above the hold (and above the log's first offset). */
  readonly lagRecords: number;
  /** Their payload bytes; exact when `lagBytesExact`, else partly estimated (see readBytesMax). */
  readonly lagBytes: number;
  readonly lagBytesExact: boolean;
  /** Append time of the oldest of them (format v2 batches), or null (none behind, or v1). */
  readonly oldestUnshippedAppendTimeMs: number | null;
  readonly oldestUnshippedAgeMs: number | null;
  /**
   * Records between the hold and the log's first offset: dropped by a forced truncation or
   * retention past the hold before they were shipped (the shipper fails or skips them).
   */
  readonly droppedRecords: number;
}

/** The lag behind every shipper hold of the log in `dir`, by hold name; [] when none. */
export async function holdLag(options: HoldLagOptions): Promise<HoldLag[]> {
  if (typeof options !== 'object' || options === null) throw SeglogError.invalidOption('holdLag options', 'must be an object');
  if (typeof options.dir !== 'string' || options.dir.length === 0) throw SeglogError.invalidOption('dir', 'must be a non-empty string');
  const readBytesMax = options.readBytesMax ?? shipLimits.holdLagReadBytesMax;
  if (!Number.isSafeInteger(readBytesMax) || readBytesMax < 0) {
    throw SeglogError.invalidOption('readBytesMax', `must be a non-negative safe integer, got ${String(readBytesMax)}`);
  }
  const io = options.io ?? nodeFileIO;
  const holds = (await listRetentionHolds({ dir: options.dir, io }))
    .filter((hold) => hold.name.startsWith(SHIPPER_HOLD_PREFIX));
  if (holds.length === 0) return [];
  const nowMs = options.nowMs ?? Date.now();
  const reader = await openReader({ dir: options.dir, io });
  try {
    const firstOffset = await reader.firstOffset();
    const endOffset = await reader.endOffset();
    const lags: HoldLag[] = [];
    for (const hold of holds) {
      const from = Math.max(hold.offset, firstOffset);
      const behind = await bytesBehind(reader, from, endOffset, readBytesMax);
      const appendTime = behind.oldestAppendTimeMs;
      lags.push({
        holdName: hold.name,
        stream: hold.name.slice(SHIPPER_HOLD_PREFIX.length),
        heldOffset: hold.offset,
        heldAtMs: hold.setAtMs,
        endOffset,
        lagRecords: Math.max(0, endOffset - from),
        lagBytes: behind.bytes,
        lagBytesExact: behind.exact,
        oldestUnshippedAppendTimeMs: appendTime,
        oldestUnshippedAgeMs: appendTime === null ? null : Math.max(0, nowMs - appendTime),
        droppedRecords: Math.max(0, Math.min(firstOffset, endOffset) - hold.offset),
      });
    }
    return lags;
  } finally {
    await reader.close();
  }
}

type OpenedReader = Awaited<ReturnType<typeof openReader>>;

interface Behind {
  readonly bytes: number;
  readonly exact: boolean;
  readonly oldestAppendTimeMs: number | null;
}

/**
 * Payload bytes of records [from, end): read up to `readBytesMax`, the rest estimated from the
 * mean size of those read. Retention may drop records while this reads: it goes on from the new
 * first offset ('skip'), and the records it lost count at the mean size.
 */
async function bytesBehind(reader: OpenedReader, from: number, end: number, readBytesMax: number): Promise<Behind> {
  if (from >= end) return { bytes: 0, exact: true, oldestAppendTimeMs: null };
  let bytes = 0;
  let records = 0;
  let oldestAppendTimeMs: number | null | undefined;
  for await (const record of reader.read({ from, to: end, onBehind: 'skip' })) {
    oldestAppendTimeMs ??= record.appendTimeMs ?? null;
    bytes += record.payload.length;
    records += 1;
    if (bytes >= readBytesMax) break;
  }
  const total = end - from;
  if (records === total) return { bytes, exact: true, oldestAppendTimeMs: oldestAppendTimeMs ?? null };
  const estimate = records === 0 ? 0 : Math.round(((total - records) * bytes) / records);
  return { bytes: bytes + estimate, exact: false, oldestAppendTimeMs: oldestAppendTimeMs ?? null };
}
