/**
 * One job: the FileIO engine on node:fs, one system call per method wherever the interface allows.
 *
 * It uses the callback/fd API of node:fs wrapped in promises, not fs.promises' FileHandle: the
 * FileHandle path adds an object, a close-on-GC tracker and extra promise hops per call, which is
 * measurable when the whole point of group commit is to make each syscall count.
 *
 * Errors are the original Node errors (with `code`, `syscall`, `path`), passed through untouched:
 * the store decides what they mean and wraps them in SEGLOG_IO. Nothing here retries or swallows.
 */
import fs from 'node:fs';
import { limits } from '@seglog/types';
import type { CreateModes, DirLock, DirWatch, FileHandle, FileIO, FileStat, OpenMode } from '@seglog/types';
import type { NotifyPublisher, NotifySubscription } from '@seglog/types';
import { watchDir } from './dir-watch.js';
import { listenNotify, subscribeNotify } from './notify-socket.js';
import { acquireDirLock } from './lock.js';

/**
 * O_DSYNC where the platform has it (Linux, macOS, the BSDs). Node's fs.constants lacks it on
 * Windows; there a 'write-dsync' handle is opened 'r+' and follows each write with an fdatasync
 * itself, so the promise of the mode holds everywhere.
 */
const O_DSYNC: number | undefined = fs.constants.O_DSYNC;

/**
 * Every mode that can write refuses a symbolic link at the path itself (ELOOP): the check is the
 * open, so no rename between a check and the open can slip a link in. Windows has no O_NOFOLLOW.
 */
const O_NOFOLLOW: number = fs.constants.O_NOFOLLOW ?? 0;
const { O_RDONLY, O_RDWR, O_CREAT, O_EXCL, O_TRUNC } = fs.constants;

const openFlagsByMode: Readonly<Record<OpenMode, number>> = {
  read: O_RDONLY,
  write: O_RDWR | O_NOFOLLOW,
  'write-dsync': O_RDWR | (O_DSYNC ?? 0) | O_NOFOLLOW,
  create: O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW,
  truncate: O_RDWR | O_CREAT | O_TRUNC | O_NOFOLLOW,
};

/** An errno-style error like the ones node:fs produces, for the few failures we detect ourselves. */
function systemError(code: string, syscall: string, path: string, why: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`${code}: ${why}, ${syscall} '${path}'`);
  error.code = code;
  error.syscall = syscall;
  error.path = path;
  return error;
}

function totalBytesOf(buffers: readonly Uint8Array[]): number {
  let totalBytes = 0;
  for (const buffer of buffers) totalBytes += buffer.byteLength;
  return totalBytes;
}

/** The buffers still to write after `writtenBytes` of them reached the file (a short write). */
export function remainderAfter(buffers: readonly Uint8Array[], writtenBytes: number): Uint8Array[] {
  let skipBytes = writtenBytes;
  let first = 0;
  while (first < buffers.length && skipBytes >= buffers[first]!.byteLength) {
    skipBytes -= buffers[first]!.byteLength;
    first++;
  }
  const rest = buffers.slice(first);
  if (skipBytes > 0) rest[0] = rest[0]!.subarray(skipBytes);
  return rest;
}

function writevOnce(fd: number, buffers: readonly Uint8Array[], positionBytes: number): Promise<number> {
  return new Promise((resolve, reject) => {
    fs.writev(fd, buffers, positionBytes, (error, writtenBytes) => (error ? reject(error) : resolve(writtenBytes)));
  });
}

function done(resolve: () => void, reject: (error: unknown) => void) {
  return (error: NodeJS.ErrnoException | null): void => (error ? reject(error) : resolve());
}

export class NodeFileHandle implements FileHandle {
  readonly path: string;
  /** -1 once closed, so a stale handle can never act on a descriptor the kernel has reused. */
  #fd: number;
  /** 'write-dsync' without O_DSYNC: each writev is followed by an fdatasync here. */
  readonly #syncEachWrite: boolean;

  constructor(path: string, fd: number, syncEachWrite = false) {
    this.path = path;
    this.#fd = fd;
    this.#syncEachWrite = syncEachWrite;
  }

  /**
   * Normally one pwritev writes everything: that case settles straight from the fs callback, with
   * no async function around it (each batch of the store comes through here, and at one appender
   * every promise hop is part of every append's latency). A short write (full disk, signal)
   * continues in `#writeRest` where it stopped rather than rewriting, so no byte is written twice
   * at a different place.
   */
  writev(buffers: readonly Uint8Array[], positionBytes: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const fd = this.#liveFd('writev');
      const totalBytes = totalBytesOf(buffers);
      if (totalBytes === 0) {
        if (this.#syncEachWrite) this.datasync().then(resolve, reject);
        else resolve();
        return;
      }
      fs.writev(fd, buffers, positionBytes, (error, writtenBytes) => {
        if (error) reject(error);
        else if (writtenBytes >= totalBytes && !this.#syncEachWrite) resolve();
        else this.#writeRest(buffers, positionBytes, totalBytes, writtenBytes).then(resolve, reject);
      });
    });
  }

  /** After a first pwritev that wrote `firstBytes` of `totalBytes`: the rest, then the fdatasync owed. */
  async #writeRest(
    buffers: readonly Uint8Array[],
    positionBytes: number,
    totalBytes: number,
    firstBytes: number,
  ): Promise<void> {
    if (firstBytes <= 0) throw systemError('EIO', 'writev', this.path, `wrote 0 of ${totalBytes} bytes`);
    const fd = this.#liveFd('writev');
    let remainingBytes = totalBytes - firstBytes;
    let pending = remainingBytes > 0 ? remainderAfter(buffers, firstBytes) : buffers;
    let atBytes = positionBytes + firstBytes;
    while (remainingBytes > 0) {
      const writtenBytes = await writevOnce(fd, pending, atBytes);
      if (writtenBytes <= 0) throw systemError('EIO', 'writev', this.path, `wrote 0 of ${remainingBytes} bytes`);
      remainingBytes -= writtenBytes;
      atBytes += writtenBytes;
      if (remainingBytes > 0) pending = remainderAfter(pending, writtenBytes);
    }
    if (this.#syncEachWrite) await this.datasync();
  }

  read(buffer: Uint8Array, positionBytes: number): Promise<number> {
    return new Promise((resolve, reject) => {
      fs.read(this.#liveFd('read'), buffer, 0, buffer.byteLength, positionBytes, (error, readBytes) =>
        error ? reject(error) : resolve(readBytes),
      );
    });
  }

  /** One pread on this thread: for small reads from the page cache (see FileHandle.readSync). */
  readSync(buffer: Uint8Array, positionBytes: number): number {
    return fs.readSync(this.#liveFd('read'), buffer, 0, buffer.byteLength, positionBytes);
  }

  /** One fstat: a file replaced by a rename over it (or unlinked) has no link left. */
  isLinkedSync(): boolean {
    return fs.fstatSync(this.#liveFd('fstat')).nlink > 0;
  }

  datasync(): Promise<void> {
    return new Promise((resolve, reject) => fs.fdatasync(this.#liveFd('fdatasync'), done(resolve, reject)));
  }

  sync(): Promise<void> {
    return new Promise((resolve, reject) => fs.fsync(this.#liveFd('fsync'), done(resolve, reject)));
  }

  truncate(lengthBytes: number): Promise<void> {
    return new Promise((resolve, reject) => fs.ftruncate(this.#liveFd('ftruncate'), lengthBytes, done(resolve, reject)));
  }

  sizeBytes(): Promise<number> {
    return new Promise((resolve, reject) => {
      fs.fstat(this.#liveFd('fstat'), (error, stats) => (error ? reject(error) : resolve(stats.size)));
    });
  }

  /** Closing twice is a no-op: the second close must not hit a descriptor reused by another file. */
  close(): Promise<void> {
    const fd = this.#fd;
    if (fd < 0) return Promise.resolve();
    this.#fd = -1;
    return new Promise((resolve, reject) => fs.close(fd, done(resolve, reject)));
  }

  /** Throws inside a promise executor or async method only, so callers always get a rejection. */
  #liveFd(syscall: string): number {
    if (this.#fd < 0) throw systemError('EBADF', syscall, this.path, 'file handle is closed');
    return this.#fd;
  }
}

function openFd(path: string, flags: string | number, mode: number = limits.fileModeDefault): Promise<number> {
  return new Promise((resolve, reject) =>
    fs.open(path, flags, mode, (error, fd) => (error ? reject(error) : resolve(fd))),
  );
}

function closeFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.close(fd, done(resolve, reject)));
}

function fsyncFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fsync(fd, done(resolve, reject)));
}

export class NodeFileIO implements FileIO {
  async open(path: string, mode: OpenMode, modes: CreateModes = {}): Promise<FileHandle> {
    const flags = openFlagsByMode[mode];
    if (flags === undefined) throw new TypeError(`unknown open mode ${String(mode)}`);
    const fd = await openFd(path, flags, modes.fileMode ?? limits.fileModeDefault);
    return new NodeFileHandle(path, fd, mode === 'write-dsync' && O_DSYNC === undefined);
  }

  mkdirp(dir: string, dirMode: number = limits.dirModeDefault): Promise<void> {
    return new Promise((resolve, reject) =>
      fs.mkdir(dir, { recursive: true, mode: dirMode }, (error) => (error ? reject(error) : resolve())),
    );
  }

  readdir(dir: string): Promise<string[]> {
    return new Promise((resolve, reject) =>
      fs.readdir(dir, (error, names) => (error ? reject(error) : resolve(names))),
    );
  }

  stat(path: string): Promise<FileStat | null> {
    return new Promise((resolve, reject) => {
      fs.stat(path, (error, stats) => {
        if (error?.code === 'ENOENT') resolve(null);
        else if (error) reject(error);
        else {
          const { size: sizeBytes, mtimeMs: modifiedMs } = stats;
          resolve({ isFile: stats.isFile(), isDirectory: stats.isDirectory(), sizeBytes, modifiedMs });
        }
      });
    });
  }

  rename(source: string, target: string): Promise<void> {
    return new Promise((resolve, reject) => fs.rename(source, target, done(resolve, reject)));
  }

  unlink(path: string): Promise<void> {
    return new Promise((resolve, reject) => fs.unlink(path, done(resolve, reject)));
  }

  /**
   * Opens the directory read-only, fsyncs, closes. When both fail, the fsync error is the one
   * reported: it is the one that says durability was lost. A lone close error is reported too.
   */
  async syncDir(dir: string): Promise<void> {
    const fd = await openFd(dir, 'r');
    try {
      await fsyncFd(fd);
    } catch (error) {
      // The fsync error is reported (see above); a close error on top of it would only hide it.
      await closeFd(fd).catch(() => undefined);
      throw error;
    }
    await closeFd(fd);
  }

  lock(dir: string, modes: CreateModes = {}): Promise<DirLock> {
    return acquireDirLock(dir, modes.fileMode ?? limits.fileModeDefault);
  }

  watch(dir: string, onChange: () => void): DirWatch | null {
    return watchDir(dir, onChange);
  }

  notifyListen(path: string, modes: CreateModes = {}): Promise<NotifyPublisher | null> {
    return listenNotify(path, modes.fileMode ?? limits.fileModeDefault);
  }

  notifySubscribe(path: string, onHint: () => void, onEnd: () => void): NotifySubscription {
    return subscribeNotify(path, onHint, onEnd);
  }
}
