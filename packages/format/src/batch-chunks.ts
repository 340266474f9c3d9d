/**
 * One job: the chunks of a version-2 batch, so a read can verify only the part of a batch it
 * returns. See docs/format.md ("Chunks, and why").
 *
 * A chunk is a run of whole record frames of about `limits.batchChunkBytes`: a record joins the
 * open chunk unless that would take the chunk past the target, and a record bigger than the target
 * is a chunk of its own. The chunk table after the frames holds, per chunk, the records and frame
 * bytes up to its end (running totals, so a lookup is a binary search) and the CRC-32C of its
 * frames. The header CRC covers the table, so a verified header plus one verified chunk is as
 * strong for the records in it as the whole batch's verification is for all of them (RocksDB's
 * per-block checksums and index block are the model).
 */
import { assert } from '@seglog/types';
import { view } from './bytes.js';
import { crc32c } from './crc32c.js';

/** One table entry: records through the chunk (u32), frame bytes through it (u32), its CRC (u32). */
export const CHUNK_ENTRY_BYTES = 12;

/** The writer's side: chunk boundaries decided record by record, in the order records are framed. */
export class ChunkPlan {
  readonly #targetBytes: number;
  /** Running totals at each closed chunk's end. */
  readonly #recordEnds: number[] = [];
  readonly #byteEnds: number[] = [];
  #records = 0;
  #bytes = 0;
  /** Records and bytes of the open (last) chunk. */
  #openRecords = 0;
  #openBytes = 0;

  constructor(targetBytes: number) {
    assert(Number.isSafeInteger(targetBytes) && targetBytes >= 1, 'chunk target is a positive integer');
    this.#targetBytes = targetBytes;
  }

  get recordCount(): number {
    return this.#records;
  }

  get framesBytes(): number {
    return this.#bytes;
  }

  /** Chunks of the batch as planned so far, the open one included. */
  get chunkCount(): number {
    return this.#recordEnds.length + (this.#openRecords > 0 ? 1 : 0);
  }

  /** Chunks there would be after adding a frame of `frameBytes` (for room checks before `add`). */
  chunkCountWith(frameBytes: number): number {
    return this.#recordEnds.length + (this.#startsChunk(frameBytes) ? 1 : 0) + (this.#openRecords > 0 ? 1 : 0);
  }

  /** Plans the next record's frame. */
  add(frameBytes: number): void {
    if (this.#startsChunk(frameBytes) && this.#openRecords > 0) {
      this.#recordEnds.push(this.#records);
      this.#byteEnds.push(this.#bytes);
      this.#openRecords = 0;
      this.#openBytes = 0;
    }
    this.#records++;
    this.#bytes += frameBytes;
    this.#openRecords++;
    this.#openBytes += frameBytes;
  }

  #startsChunk(frameBytes: number): boolean {
    return this.#openRecords > 0 && this.#openBytes + frameBytes > this.#targetBytes;
  }

  /** Records through the end of chunk `index` (the open chunk is the last). */
  recordsThrough(index: number): number {
    return index < this.#recordEnds.length ? this.#recordEnds[index]! : this.#records;
  }

  /** Frame bytes through the end of chunk `index` (the open chunk is the last). */
  bytesThrough(index: number): number {
    return index < this.#byteEnds.length ? this.#byteEnds[index]! : this.#bytes;
  }
}

/** Fills `table` with one entry per planned chunk of `frames` (the batch's frames, from its first). */
export function writeChunkTable(frames: Uint8Array, table: Uint8Array, plan: ChunkPlan): void {
  assert(frames.length === plan.framesBytes, 'frames are the planned bytes');
  assert(table.length === plan.chunkCount * CHUNK_ENTRY_BYTES, 'table holds one entry per chunk');
  const dv = view(table);
  let fromBytes = 0;
  for (let i = 0; i < plan.chunkCount; i++) {
    const toBytes = plan.bytesThrough(i);
    const at = i * CHUNK_ENTRY_BYTES;
    dv.setUint32(at, plan.recordsThrough(i), true);
    dv.setUint32(at + 4, toBytes, true);
    dv.setUint32(at + 8, crc32c(frames.subarray(fromBytes, toBytes)), true);
    fromBytes = toBytes;
  }
}

/** One chunk as the table describes it. Byte positions count from the first frame of the batch. */
export interface ChunkEntry {
  readonly index: number;
  /** Offset of the chunk's first record, and one past its last. */
  readonly firstOffset: number;
  readonly endOffset: number;
  readonly fromBytes: number;
  readonly toBytes: number;
  readonly crc: number;
}

/**
 * A verified chunk table (the header CRC held over it), read without copying entries out. Running
 * totals rise strictly and end at the header's record count and frame bytes, or `readChunkTable`
 * would not have returned it.
 */
export class ChunkTable {
  readonly #dv: DataView;
  readonly #firstOffset: number;
  readonly count: number;

  constructor(table: Uint8Array, firstOffset: number) {
    this.#dv = view(table);
    this.#firstOffset = firstOffset;
    this.count = table.length / CHUNK_ENTRY_BYTES;
  }

  /** Bytes the table holds (what a cache charges for it). */
  get sizeBytes(): number {
    return this.#dv.byteLength;
  }

  entry(index: number): ChunkEntry {
    assert(index >= 0 && index < this.count, 'chunk index in the table');
    const at = index * CHUNK_ENTRY_BYTES;
    const recordsFrom = index === 0 ? 0 : this.#dv.getUint32(at - CHUNK_ENTRY_BYTES, true);
    const fromBytes = index === 0 ? 0 : this.#dv.getUint32(at - CHUNK_ENTRY_BYTES + 4, true);
    return {
      index,
      firstOffset: this.#firstOffset + recordsFrom,
      endOffset: this.#firstOffset + this.#dv.getUint32(at, true),
      fromBytes,
      toBytes: this.#dv.getUint32(at + 4, true),
      crc: this.#dv.getUint32(at + 8, true),
    };
  }

  /** The chunk holding `offset`, by binary search over the running record totals. */
  entryFor(offset: number): ChunkEntry {
    const records = offset - this.#firstOffset;
    assert(records >= 0 && records < this.#recordsAt(this.count - 1), 'offset lies in the batch');
    let low = 0;
    let high = this.count - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.#recordsAt(middle) > records) high = middle;
      else low = middle + 1;
    }
    return this.entry(low);
  }

  #recordsAt(index: number): number {
    return this.#dv.getUint32(index * CHUNK_ENTRY_BYTES, true);
  }
}

/**
 * Whether `table` is consistent with a header of `recordCount` records and `framesBytes` of
 * frames: running totals rise strictly and end exactly there. Only a writer bug (or a CRC
 * collision) gets a table past the header CRC that is not.
 */
export function chunkTableConsistent(table: Uint8Array, recordCount: number, framesBytes: number): boolean {
  const dv = view(table);
  let records = 0;
  let bytes = 0;
  for (let at = 0; at < table.length; at += CHUNK_ENTRY_BYTES) {
    const nextRecords = dv.getUint32(at, true);
    const nextBytes = dv.getUint32(at + 4, true);
    if (nextRecords <= records || nextBytes <= bytes) return false;
    records = nextRecords;
    bytes = nextBytes;
  }
  return records === recordCount && bytes === framesBytes;
}
