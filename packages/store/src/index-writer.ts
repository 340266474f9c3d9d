/**
 * One job: the sparse index file of the active segment. The segment writer reports where each
 * batch went; one entry is kept per `indexIntervalBytes` of segment, buffered, and written
 * `limits.indexWriteEntriesCount` at a time (one 4 KiB write) without fsync.
 *
 * The index is a hint: every entry carries its own CRC, readers trust only what verifies, and
 * recovery rebuilds the index of the last segment. So a failed or torn index write is never a
 * failed append, and nothing here is flushed. A sealed segment's index is not rebuilt at open (open
 * trusts the segment's trailer instead of scanning it): if a power cut shortens it, a reader walks
 * the chain further from the last entry that verifies, adding entries as it goes.
 */
import { limits } from '@seglog/types';
import type { FileHandle } from '@seglog/types';
import { INDEX_ENTRY_BYTES, writeIndexEntry } from '@seglog/format';
import { closeFlushed } from './io-errors.js';

export interface IndexWriterConfig {
  readonly handle: FileHandle;
  readonly blockBytes: number;
  readonly intervalBytes: number;
  /** Entries already in the file (a resumed segment), so new ones are appended after them. */
  readonly entriesWritten: number;
  /** Segment position of the last entry in the file, or -Infinity when there is none. */
  readonly lastIndexedPositionBytes: number;
}

export class IndexWriter {
  readonly #handle: FileHandle;
  readonly #blockBytes: number;
  readonly #intervalBytes: number;
  readonly #buffer = new Uint8Array(limits.indexWriteEntriesCount * INDEX_ENTRY_BYTES);
  #buffered = 0;
  #entriesWritten: number;
  #lastIndexedPositionBytes: number;

  constructor(config: IndexWriterConfig) {
    this.#handle = config.handle;
    this.#blockBytes = config.blockBytes;
    this.#intervalBytes = config.intervalBytes;
    this.#entriesWritten = config.entriesWritten;
    this.#lastIndexedPositionBytes = config.lastIndexedPositionBytes;
  }

  /** Called for every batch written: indexes it when the interval since the last entry has passed. */
  noteBatch(firstOffset: number, positionBytes: number): void {
    if (positionBytes - this.#lastIndexedPositionBytes < this.#intervalBytes) return;
    const entry = { firstOffset, blockNumber: positionBytes / this.#blockBytes };
    writeIndexEntry(this.#buffer, this.#buffered * INDEX_ENTRY_BYTES, entry);
    this.#buffered++;
    this.#lastIndexedPositionBytes = positionBytes;
    if (this.#buffered === limits.indexWriteEntriesCount) void this.flush();
  }

  /**
   * Writes the buffered entries. The buffer is copied first, so a write still in flight never
   * races the next entries. A failure is dropped: the index is a hint recovery verifies and
   * rebuilds (see the header): the next entries go after the failed ones, so a hole only ends the
   * prefix recovery trusts, and it scans on from the last entry before the hole.
   */
  async flush(): Promise<void> {
    if (this.#buffered === 0) return;
    const bytes = this.#buffer.slice(0, this.#buffered * INDEX_ENTRY_BYTES);
    const positionBytes = this.#entriesWritten * INDEX_ENTRY_BYTES;
    this.#entriesWritten += this.#buffered;
    this.#buffered = 0;
    try {
      await this.#handle.writev([bytes], positionBytes);
    } catch {
      // Dropped on purpose: see the doc comment.
    }
  }

  /** Flushes the buffer and closes the file. */
  async close(): Promise<void> {
    await this.flush();
    await closeFlushed(this.#handle);
  }
}
