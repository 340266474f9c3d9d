/**
 * One job: an in-memory FileIO for reader tests, counting what the reader does to it.
 *
 * Every handle of a path sees the same bytes, so a test can play a writer appending to a segment
 * while a reader has it open, as two processes sharing a page cache would. Durability is not
 * modelled: the reader never syncs (testkit's SimFileIO covers power loss for the store).
 */
import { basename, dirname } from 'node:path';
import type { DirLock, FileHandle, FileIO, FileStat, OpenMode } from '@seglog/types';

interface MemoryFile {
  bytes: Uint8Array;
  sizeBytes: number;
}

export interface MemoryCounters {
  opens: number;
  closes: number;
  /** FileHandle.read calls on `.seg` files. */
  segmentReads: number;
  readdirs: number;
}

export class MemoryFileIO implements FileIO {
  readonly files = new Map<string, MemoryFile>();
  readonly counters: MemoryCounters = { opens: 0, closes: 0, segmentReads: 0, readdirs: 0 };

  get openHandles(): number {
    return this.counters.opens - this.counters.closes;
  }

  async open(path: string, mode: OpenMode): Promise<FileHandle> {
    await tick();
    let file = this.files.get(path);
    if (file === undefined) {
      if (mode === 'read' || mode === 'write') throw enoent('open', path);
      file = { bytes: new Uint8Array(0), sizeBytes: 0 };
      this.files.set(path, file);
    } else if (mode === 'create') {
      throw Object.assign(new Error(`EEXIST: ${path}`), { code: 'EEXIST' });
    } else if (mode === 'truncate') {
      file.sizeBytes = 0;
    }
    this.counters.opens++;
    return new MemoryHandle(this, path, file, mode !== 'read');
  }

  async mkdirp(): Promise<void> {}

  async readdir(dir: string): Promise<string[]> {
    await tick();
    this.counters.readdirs++;
    return [...this.files.keys()].filter((path) => dirname(path) === dir).map((path) => basename(path));
  }

  async stat(path: string): Promise<FileStat | null> {
    await tick();
    const file = this.files.get(path);
    return file === undefined ? null : { isFile: true, isDirectory: false, sizeBytes: file.sizeBytes };
  }

  async rename(source: string, target: string): Promise<void> {
    const file = this.files.get(source);
    if (file === undefined) throw enoent('rename', source);
    this.files.delete(source);
    this.files.set(target, file);
  }

  async unlink(path: string): Promise<void> {
    if (!this.files.delete(path)) throw enoent('unlink', path);
  }

  async syncDir(): Promise<void> {}

  async lock(): Promise<DirLock> {
    throw new Error('a reader must never take the lock');
  }

  /** Overwrites bytes of a file, growing it if needed: damage, or a writer's write. */
  writeSync(path: string, positionBytes: number, bytes: Uint8Array): void {
    const file = this.files.get(path) ?? { bytes: new Uint8Array(0), sizeBytes: 0 };
    this.files.set(path, file);
    writeInto(file, positionBytes, bytes);
  }

  readFileSync(path: string): Uint8Array {
    const file = this.files.get(path);
    if (file === undefined) throw enoent('read', path);
    return file.bytes.slice(0, file.sizeBytes);
  }
}

class MemoryHandle implements FileHandle {
  private closed = false;

  constructor(
    private readonly io: MemoryFileIO,
    readonly path: string,
    private readonly file: MemoryFile,
    private readonly writable: boolean,
  ) {}

  async writev(buffers: readonly Uint8Array[], positionBytes: number): Promise<void> {
    this.check(true);
    let at = positionBytes;
    for (const buffer of buffers) {
      writeInto(this.file, at, buffer);
      at += buffer.length;
    }
    await tick();
  }

  async read(buffer: Uint8Array, positionBytes: number): Promise<number> {
    this.check(false);
    await tick();
    if (this.path.endsWith('.seg')) this.io.counters.segmentReads++;
    const count = Math.max(0, Math.min(buffer.length, this.file.sizeBytes - positionBytes));
    buffer.set(this.file.bytes.subarray(positionBytes, positionBytes + count));
    return count;
  }

  async datasync(): Promise<void> {}
  async sync(): Promise<void> {}

  async truncate(lengthBytes: number): Promise<void> {
    this.check(true);
    this.file.sizeBytes = lengthBytes;
  }

  async sizeBytes(): Promise<number> {
    this.check(false);
    return this.file.sizeBytes;
  }

  async close(): Promise<void> {
    this.check(false);
    this.closed = true;
    this.io.counters.closes++;
  }

  private check(write: boolean): void {
    if (this.closed) throw Object.assign(new Error(`EBADF: ${this.path} is closed`), { code: 'EBADF' });
    if (write && !this.writable) throw Object.assign(new Error(`EBADF: ${this.path} is read-only`), { code: 'EBADF' });
  }
}

function writeInto(file: MemoryFile, positionBytes: number, bytes: Uint8Array): void {
  const endBytes = positionBytes + bytes.length;
  if (endBytes > file.bytes.length) {
    const grown = new Uint8Array(Math.max(endBytes, file.bytes.length * 2));
    grown.set(file.bytes.subarray(0, file.sizeBytes));
    file.bytes = grown;
  }
  file.bytes.fill(0, file.sizeBytes, positionBytes);
  file.bytes.set(bytes, positionBytes);
  file.sizeBytes = Math.max(file.sizeBytes, endBytes);
}

function enoent(syscall: string, path: string): Error {
  return Object.assign(new Error(`ENOENT: no such file, ${syscall} '${path}'`), { code: 'ENOENT' });
}

function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
