/**
 * One job: a FileIO over a simulated boot that watches the fdatasyncs of segment files (by any of
 * their names, next.seg.tmp included; a write through an O_DSYNC handle counts as one): how many
 * were called, and how many were in flight at once.
 * Other files (HEAD, indexes) pass through uncounted, so a timed HEAD flush cannot blur a count.
 */
import type { SimBootIO } from '@seglog/testkit';
import type { FileHandle, FileIO } from '@seglog/types';

/** Counts the datasync calls on segment files, and how many were in flight at once. */
export class SegmentFlushIO {
  readonly io: FileIO;
  calls = 0;
  inFlight = 0;
  mostInFlight = 0;

  constructor(inner: SimBootIO) {
    // A write through an O_DSYNC handle is a flush too (open_datasync).
    const wrap = (handle: FileHandle, dsync: boolean): FileHandle => ({
      path: handle.path,
      writev: (buffers, position) => {
        const write = (): Promise<void> => handle.writev(buffers, position);
        return dsync ? this.#flush(write) : write();
      },
      read: (buffer, position) => handle.read(buffer, position),
      sync: () => handle.sync(),
      truncate: (length) => handle.truncate(length),
      sizeBytes: () => handle.sizeBytes(),
      close: () => handle.close(),
      datasync: () => this.#flush(() => handle.datasync()),
    });
    this.io = {
      open: async (path, mode) => {
        const handle = await inner.open(path, mode);
        return path.includes('.seg') ? wrap(handle, mode === 'write-dsync') : handle;
      },
      mkdirp: (dir) => inner.mkdirp(dir),
      readdir: (dir) => inner.readdir(dir),
      stat: (path) => inner.stat(path),
      rename: (source, target) => inner.rename(source, target),
      unlink: (path) => inner.unlink(path),
      syncDir: (dir) => inner.syncDir(dir),
      lock: (dir) => inner.lock(dir),
    };
  }

  async #flush(run: () => Promise<void>): Promise<void> {
    this.calls++;
    this.inFlight++;
    this.mostInFlight = Math.max(this.mostInFlight, this.inFlight);
    try {
      await run();
    } finally {
      this.inFlight--;
    }
  }
}
