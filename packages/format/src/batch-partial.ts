/**
 * One job: verify only the part of a version-2 batch that a read returns: the header with its
 * chunk table (once per batch; a reader may cache it), then the one chunk holding a record. See
 * docs/format.md ("Reading one record").
 *
 * The header CRC covers log id, header fields and the table, and the table holds each chunk's CRC,
 * so a record that comes out of `chunkPayload` is covered by the same checks as one that comes out
 * of `stepBatch`, without reading or checksumming the rest of the batch.
 */
import { batchBytes, headerCrcV2, type BatchHeader } from './batch.js';
import { ChunkTable, chunkTableConsistent, type ChunkEntry } from './batch-chunks.js';
import { walkChunkFrames } from './batch-decode.js';
import { crc32c } from './crc32c.js';

/** Where a v2 batch's chunk table lies, in bytes from the batch's first byte. */
export function chunkTableRange(header: BatchHeader): { readonly fromBytes: number; readonly toBytes: number } {
  return { fromBytes: header.headerBytes + header.framesBytes, toBytes: batchBytes(header) };
}

/**
 * The verified chunk table of a v2 `header` read from `headerBytes` (the batch's first bytes, the
 * header at 0), given the table's bytes; or why it is not one. The table is copied, so the
 * buffers it came in can be reused.
 */
export function readChunkTable(
  logId: Uint8Array,
  headerBytes: Uint8Array,
  header: BatchHeader,
  table: Uint8Array,
): ChunkTable | 'crc-mismatch' | 'frames-mismatch' {
  if (header.version < 2 || headerBytes.length < header.headerBytes) return 'frames-mismatch';
  const range = chunkTableRange(header);
  if (table.length !== range.toBytes - range.fromBytes) return 'frames-mismatch';
  if (headerCrcV2(logId, headerBytes.subarray(8, header.headerBytes), table) !== header.crc) return 'crc-mismatch';
  if (!chunkTableConsistent(table, header.recordCount, header.framesBytes)) return 'frames-mismatch';
  return new ChunkTable(table.slice(), header.firstOffset);
}

/**
 * The payload of `offset` in `chunk` (the bytes of `entry`'s chunk exactly), after checking the
 * chunk's CRC and its frames; a view into `chunk`. Or why the chunk is not the one the table says.
 */
export function chunkPayload(chunk: Uint8Array, entry: ChunkEntry, offset: number): Uint8Array | 'crc-mismatch' | 'frames-mismatch' {
  if (chunk.length !== entry.toBytes - entry.fromBytes || offset < entry.firstOffset || offset >= entry.endOffset) {
    return 'frames-mismatch';
  }
  if (crc32c(chunk) !== entry.crc) return 'crc-mismatch';
  const wanted = offset - entry.firstOffset;
  let found: Uint8Array | null = null;
  let index = 0;
  const end = walkChunkFrames(chunk, entry.endOffset - entry.firstOffset, (payloadAt, payloadBytes) => {
    if (index++ === wanted) found = chunk.subarray(payloadAt, payloadAt + payloadBytes);
  });
  if (end !== chunk.length || found === null) return 'frames-mismatch';
  return found;
}
