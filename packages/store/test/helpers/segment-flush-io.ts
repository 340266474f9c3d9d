/**
 * One job: a FileIO over a simulated boot that watches the fdatasyncs of segment files (by any of
 * their names, next.seg.tmp included; a write through an O_DSYNC handle counts as one): how many
 * were called, and how many of one open file were in flight at once. Flushes of two files may
 * overlap (a roll flushes the old segment's trailer beside the next one's header); two of one file
 * may not, since Linux reports a writeback error to only one of them. Counted per handle, because a
 * handle keeps the name it was opened by (next.seg.tmp) after its rename.
 * Other files (HEAD, indexes) pass through uncounted, so a timed HEAD flush cannot blur a count.
 */
import { wrapFileHandle, wrapFileIO } from '@seglog/testkit';
import type { SimBootIO } from '@seglog/testkit';
import type { FileHandle, FileIO } from '@seglog/types';

/** Counts the datasync calls on segment files, and how many of one file were in flight at once. */
export class SegmentFlushIO {
  readonly io: FileIO;
  calls = 0;
  readonly #inFlight = new Map<FileHandle, number>();
  mostInFlight = 0;

  constructor(inner: SimBootIO) {
    // A write through an O_DSYNC handle is a flush too (open_datasync).
    const wrap = (handle: FileHandle, dsync: boolean): FileHandle =>
      wrapFileHandle(handle, {
        writev: (buffers, position) => {
          const write = (): Promise<void> => handle.writev(buffers, position);
          return dsync ? this.#flush(handle, write) : write();
        },
        datasync: () => this.#flush(handle, () => handle.datasync()),
      });
    this.io = wrapFileIO(inner, {
      wrapHandle: (handle, path, mode) => (path.includes('.seg') ? wrap(handle, mode === 'write-dsync') : handle),
    });
  }

  async #flush(file: FileHandle, run: () => Promise<void>): Promise<void> {
    this.calls++;
    const inFlight = (this.#inFlight.get(file) ?? 0) + 1;
    this.#inFlight.set(file, inFlight);
    this.mostInFlight = Math.max(this.mostInFlight, inFlight);
    try {
      await run();
    } finally {
      this.#inFlight.set(file, this.#inFlight.get(file)! - 1);
    }
  }
}
