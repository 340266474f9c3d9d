/**
 * One job: a FileIO wrapper that fails exactly the n-th call made through it (any method of the
 * engine or of a handle it opened) with EIO, so a test can walk a fault through every step of an
 * operation such as openLog. Calls are counted in the order they are made, so a sweep over n
 * visits each step once.
 */
import { systemError } from '@seglog/testkit';
import type { DirLock, FileHandle, FileIO, FileStat, OpenMode } from '@seglog/types';

export class NthCallFailingIO implements FileIO {
  readonly #inner: FileIO;
  /** The call to fail, counted from 1; 0 fails nothing. */
  readonly #failAt: number;
  #calls = 0;
  /** The error thrown, once it has been. */
  injected: Error | null = null;
  /** What the failed call was, for messages. */
  failedCall = '';

  constructor(inner: FileIO, failAt: number) {
    this.#inner = inner;
    this.#failAt = failAt;
  }

  /** Calls made so far. */
  get calls(): number {
    return this.#calls;
  }

  /** Counts a call and throws EIO if it is the chosen one. */
  #count(syscall: string, path: string): void {
    this.#calls++;
    if (this.#calls !== this.#failAt) return;
    this.failedCall = `${syscall} ${path}`;
    this.injected = systemError('EIO', syscall, path);
    throw this.injected;
  }

  async open(path: string, mode: OpenMode): Promise<FileHandle> {
    this.#count('open', path);
    return this.#wrap(await this.#inner.open(path, mode));
  }

  async mkdirp(dir: string): Promise<void> {
    this.#count('mkdir', dir);
    return this.#inner.mkdirp(dir);
  }

  async readdir(dir: string): Promise<string[]> {
    this.#count('scandir', dir);
    return this.#inner.readdir(dir);
  }

  async stat(path: string): Promise<FileStat | null> {
    this.#count('stat', path);
    return this.#inner.stat(path);
  }

  async rename(source: string, target: string): Promise<void> {
    this.#count('rename', source);
    return this.#inner.rename(source, target);
  }

  async unlink(path: string): Promise<void> {
    this.#count('unlink', path);
    return this.#inner.unlink(path);
  }

  async syncDir(dir: string): Promise<void> {
    this.#count('fsync', dir);
    return this.#inner.syncDir(dir);
  }

  async lock(dir: string): Promise<DirLock> {
    this.#count('lock', dir);
    return this.#inner.lock(dir);
  }

  #wrap(handle: FileHandle): FileHandle {
    const count = (syscall: string): void => this.#count(syscall, handle.path);
    return {
      path: handle.path,
      writev: async (buffers, positionBytes) => (count('write'), handle.writev(buffers, positionBytes)),
      read: async (buffer, positionBytes) => (count('read'), handle.read(buffer, positionBytes)),
      datasync: async () => (count('fdatasync'), handle.datasync()),
      sync: async () => (count('fsync'), handle.sync()),
      truncate: async (lengthBytes) => (count('ftruncate'), handle.truncate(lengthBytes)),
      sizeBytes: async () => (count('fstat'), handle.sizeBytes()),
      close: async () => (count('close'), handle.close()),
    };
  }
}
