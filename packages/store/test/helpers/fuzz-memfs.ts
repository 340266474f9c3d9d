/**
 * One job: a fast in-memory FileIO for the corruption fuzz, so thousands of open-and-read cases cost
 * no disk I/O. Files are plain byte arrays that a case loads from a snapshot (`load`) and damages
 * directly; there is no durability model (testkit's SimFileIO covers power loss, and this fuzz is
 * about bytes that are already on disk). Errors look like Node's (`code`, `syscall`, `path`).
 */
import { dirname, basename, posix } from 'node:path';
import { SeglogError } from '@seglog/types';
import type { DirLock, FileHandle, FileIO, FileStat, OpenMode } from '@seglog/types';

/** A file: `bytes` may have spare capacity past `sizeBytes`. */
interface MemFile {
  bytes: Uint8Array;
  sizeBytes: number;
}

function systemError(code: string, syscall: string, path: string): Error {
  return Object.assign(new Error(`${code}: ${syscall} '${path}'`), { code, syscall, path });
}

class MemHandle implements FileHandle {
  #closed = false;

  constructor(
    readonly path: string,
    private readonly file: MemFile,
    private readonly writable: boolean,
  ) {}

  async writev(buffers: readonly Uint8Array[], positionBytes: number): Promise<void> {
    this.#check('write', true);
    let at = positionBytes;
    for (const buffer of buffers) {
      reserve(this.file, at + buffer.length);
      this.file.bytes.set(buffer, at);
      at += buffer.length;
    }
    this.file.sizeBytes = Math.max(this.file.sizeBytes, at);
  }

  async read(buffer: Uint8Array, positionBytes: number): Promise<number> {
    this.#check('read', false);
    const count = Math.max(0, Math.min(buffer.length, this.file.sizeBytes - positionBytes));
    if (count > 0) buffer.set(this.file.bytes.subarray(positionBytes, positionBytes + count));
    return count;
  }

  async datasync(): Promise<void> {
    this.#check('fdatasync', false);
  }

  async sync(): Promise<void> {
    this.#check('fsync', false);
  }

  async truncate(lengthBytes: number): Promise<void> {
    this.#check('ftruncate', true);
    truncateFile(this.file, lengthBytes);
  }

  async sizeBytes(): Promise<number> {
    this.#check('fstat', false);
    return this.file.sizeBytes;
  }

  async close(): Promise<void> {
    this.#check('close', false);
    this.#closed = true;
  }

  #check(syscall: string, write: boolean): void {
    if (this.#closed || (write && !this.writable)) throw systemError('EBADF', syscall, this.path);
  }
}

function reserve(file: MemFile, sizeBytes: number): void {
  if (sizeBytes <= file.bytes.length) return;
  const grown = new Uint8Array(Math.max(sizeBytes, file.bytes.length * 2));
  grown.set(file.bytes.subarray(0, file.sizeBytes));
  file.bytes = grown;
}

function truncateFile(file: MemFile, lengthBytes: number): void {
  reserve(file, lengthBytes);
  if (lengthBytes > file.sizeBytes) file.bytes.fill(0, file.sizeBytes, lengthBytes);
  file.sizeBytes = lengthBytes;
}

export class MemFileIO implements FileIO {
  readonly #files = new Map<string, MemFile>();
  readonly #dirs = new Set<string>(['/']);
  readonly #locks = new Set<string>();

  /** Replaces everything in `dir` with `files` (name -> bytes). The arrays are copied. */
  load(dir: string, files: ReadonlyMap<string, Uint8Array>): void {
    for (const path of [...this.#files.keys()]) if (dirname(path) === dir) this.#files.delete(path);
    this.#dirs.add(dir);
    for (const [name, bytes] of files) this.#files.set(posix.join(dir, name), { bytes: bytes.slice(), sizeBytes: bytes.length });
  }

  /** Every file in `dir` now: name -> a copy of its bytes. */
  snapshot(dir: string): Map<string, Uint8Array> {
    const files = new Map<string, Uint8Array>();
    for (const [path, file] of this.#files) if (dirname(path) === dir) files.set(basename(path), file.bytes.slice(0, file.sizeBytes));
    return files;
  }

  async open(path: string, mode: OpenMode): Promise<FileHandle> {
    if (this.#dirs.has(path)) throw systemError('EISDIR', 'open', path);
    if (!this.#dirs.has(dirname(path))) throw systemError('ENOENT', 'open', path);
    let file = this.#files.get(path);
    if (file !== undefined && mode === 'create') throw systemError('EEXIST', 'open', path);
    if (file === undefined) {
      // Every write here is at once as durable as it gets, so 'write-dsync' is 'write'.
      if (mode === 'read' || mode === 'write' || mode === 'write-dsync') throw systemError('ENOENT', 'open', path);
      file = { bytes: new Uint8Array(0), sizeBytes: 0 };
      this.#files.set(path, file);
    } else if (mode === 'truncate') {
      truncateFile(file, 0);
    }
    return new MemHandle(path, file, mode !== 'read');
  }

  async mkdirp(dir: string): Promise<void> {
    for (let at = dir; !this.#dirs.has(at); at = dirname(at)) {
      if (this.#files.has(at)) throw systemError('EEXIST', 'mkdir', dir);
      this.#dirs.add(at);
    }
  }

  async readdir(dir: string): Promise<string[]> {
    if (!this.#dirs.has(dir)) throw systemError('ENOENT', 'scandir', dir);
    const names: string[] = [];
    for (const path of this.#files.keys()) if (dirname(path) === dir) names.push(basename(path));
    for (const path of this.#dirs) if (path !== dir && dirname(path) === dir) names.push(basename(path));
    return names;
  }

  async stat(path: string): Promise<FileStat | null> {
    if (this.#dirs.has(path)) return { isFile: false, isDirectory: true, sizeBytes: 0 };
    const file = this.#files.get(path);
    return file === undefined ? null : { isFile: true, isDirectory: false, sizeBytes: file.sizeBytes };
  }

  async rename(source: string, target: string): Promise<void> {
    const file = this.#files.get(source);
    if (file === undefined) throw systemError('ENOENT', 'rename', source);
    this.#files.delete(source);
    this.#files.set(target, file);
  }

  async unlink(path: string): Promise<void> {
    if (!this.#files.delete(path)) throw systemError('ENOENT', 'unlink', path);
  }

  async syncDir(dir: string): Promise<void> {
    if (!this.#dirs.has(dir)) throw systemError('ENOENT', 'fsync', dir);
  }

  async lock(dir: string): Promise<DirLock> {
    if (this.#locks.has(dir)) throw SeglogError.locked(dir, 'another opener in this MemFileIO');
    this.#locks.add(dir);
    return { path: dir, release: async () => void this.#locks.delete(dir) };
  }
}
