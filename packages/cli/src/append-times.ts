/**
 * One job: when a segment's first and last batches were appended, from their v2 batch headers
 * (`appendTimeMs`: the writer's wall clock when it sealed the batch). A time is printed only when
 * its header verifies: the header CRC of a v2 batch covers its fields and the chunk table, so two
 * small reads (the header, the table) prove it without reading the batch's records. A v1 batch
 * carries no time: null, never guessed from file times.
 */
import { BATCH_HEADER_BYTES, chunkTableRange, peekBatchHeader, readAt, readChunkTable } from '@seglog/format';
import { nodeFileIO } from '@seglog/io';
import type { SegmentCheck } from './segment-check.js';

export interface AppendTimes {
  readonly firstAppendTimeMs: number | null;
  readonly lastAppendTimeMs: number | null;
}

const UNKNOWN: AppendTimes = { firstAppendTimeMs: null, lastAppendTimeMs: null };

/** The append times of a checked segment's first batch (block 1) and of the last batch of its chain. */
export async function appendTimesOf(check: SegmentCheck): Promise<AppendTimes> {
  const header = check.header;
  if (header === null || check.records === 0 || check.lastBatchPositionBytes === null) return UNKNOWN;
  const handle = await nodeFileIO.open(check.segment.path, 'read');
  try {
    const sizeBytes = check.segment.sizeBytes;
    const at = async (positionBytes: number): Promise<number | null> => {
      const head = await readAt(handle, positionBytes, BATCH_HEADER_BYTES);
      const batch = peekBatchHeader(head, 0);
      if (batch?.appendTimeMs === undefined) return null;
      const range = chunkTableRange(batch);
      if (positionBytes + range.toBytes > sizeBytes) return null;
      const table = await readAt(handle, positionBytes + range.fromBytes, range.toBytes - range.fromBytes);
      return typeof readChunkTable(header.logId, head, batch, table) === 'string' ? null : batch.appendTimeMs;
    };
    return { firstAppendTimeMs: await at(header.blockBytes), lastAppendTimeMs: await at(check.lastBatchPositionBytes) };
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** An ISO 8601 time for text output, or a dash. */
export function isoOrDash(ms: number | null): string {
  return ms === null ? '-' : new Date(ms).toISOString();
}
