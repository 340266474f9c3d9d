/**
 * One job: count what the reader does to a FileIO (opens, closes, segment reads, listings), over
 * testkit's SimFileIO, the one in-memory FileIO (it passes `fileIoSuite`). This wraps, it does not
 * simulate: every call goes to the SimFileIO unchanged.
 *
 * Every handle of a path sees the same bytes (the volatile image), so a test plays a writer with
 * `writeAt` while a reader has the file open, as two processes sharing a page cache would.
 */
import { SimFileIO } from '@seglog/testkit';
import type { DirLock, FileHandle, FileIO, FileStat, OpenMode } from '@seglog/types';

export interface IoCounters {
  opens: number;
  closes: number;
  /** FileHandle.read calls on `.seg` files. */
  segmentReads: number;
  /** Bytes those calls returned. */
  segmentReadBytes: number;
  readdirs: number;
}

export class CountingIO implements FileIO {
  readonly sim: SimFileIO;
  readonly counters: IoCounters = { opens: 0, closes: 0, segmentReads: 0, segmentReadBytes: 0, readdirs: 0 };

  constructor(sim: SimFileIO = new SimFileIO()) {
    this.sim = sim;
  }

  get openHandles(): number {
    return this.counters.opens - this.counters.closes;
  }

  async open(path: string, mode: OpenMode): Promise<FileHandle> {
    const handle = await this.sim.open(path, mode);
    this.counters.opens++;
    return this.#counted(handle);
  }

  async readdir(dir: string): Promise<string[]> {
    this.counters.readdirs++;
    return this.sim.readdir(dir);
  }

  mkdirp(dir: string): Promise<void> {
    return this.sim.mkdirp(dir);
  }

  stat(path: string): Promise<FileStat | null> {
    return this.sim.stat(path);
  }

  rename(source: string, target: string): Promise<void> {
    return this.sim.rename(source, target);
  }

  unlink(path: string): Promise<void> {
    return this.sim.unlink(path);
  }

  syncDir(dir: string): Promise<void> {
    return this.sim.syncDir(dir);
  }

  async lock(): Promise<DirLock> {
    throw new Error('a reader must never take the lock');
  }

  readFileSync(path: string): Uint8Array {
    return this.sim.readFileSync(path);
  }

  #counted(handle: FileHandle): FileHandle {
    const counters = this.counters;
    const isSegment = handle.path.endsWith('.seg');
    return {
      path: handle.path,
      writev: (buffers, positionBytes) => handle.writev(buffers, positionBytes),
      read: async (buffer, positionBytes) => {
        const readBytes = await handle.read(buffer, positionBytes);
        if (isSegment) {
          counters.segmentReads++;
          counters.segmentReadBytes += readBytes;
        }
        return readBytes;
      },
      datasync: () => handle.datasync(),
      sync: () => handle.sync(),
      truncate: (lengthBytes) => handle.truncate(lengthBytes),
      sizeBytes: () => handle.sizeBytes(),
      close: async () => {
        await handle.close();
        counters.closes++;
      },
    };
  }
}

/** Writes `bytes` at `positionBytes` of `path`, creating the file if needed: a writer's write, or damage. */
export async function writeAt(io: FileIO, path: string, positionBytes: number, bytes: Uint8Array): Promise<void> {
  const handle = await io.open(path, (await io.stat(path)) === null ? 'create' : 'write');
  try {
    await handle.writev([bytes], positionBytes);
  } finally {
    await handle.close();
  }
}
