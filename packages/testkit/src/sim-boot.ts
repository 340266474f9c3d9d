/**
 * One job: fence a boot. `SimFileIO.boot()` hands out a FileIO bound to the boot epoch it was taken
 * in; once the machine has crashed (a newer epoch exists), every call through it rejects with
 * ESHUTDOWN and takes no effect.
 *
 * Why: a crash kills handles and calls in flight (they reject EBADF), but the objects of the
 * program that ran before it (a Log, its background preallocation, its timers) are still alive in
 * the test process, and could otherwise issue NEW calls (open, rename, writev) that land on the
 * rebooted disk, which no real power cut allows. A test takes a fresh view per boot and gives each
 * program only the view of its own boot.
 */
import type { DirLock, DirWatch, FileHandle, FileIO, FileStat, OpenMode } from '@seglog/types';
import { systemError } from './sim-errors.js';

/** What a boot view needs from the simulator: the live epoch and the calls to forward. */
export interface BootTarget extends FileIO {
  readonly epoch: number;
  watch(dir: string, onChange: () => void): DirWatch | null;
}

export class SimBootIO implements FileIO {
  /** The boot this view belongs to. */
  readonly epoch: number;
  readonly #target: BootTarget;

  constructor(target: BootTarget) {
    this.#target = target;
    this.epoch = target.epoch;
  }

  /** True while no crash has happened since this view's boot. */
  get live(): boolean {
    return this.#target.epoch === this.epoch;
  }

  async open(path: string, mode: OpenMode): Promise<FileHandle> {
    this.#fence('open', path);
    return this.#target.open(path, mode);
  }

  async mkdirp(dir: string): Promise<void> {
    this.#fence('mkdir', dir);
    return this.#target.mkdirp(dir);
  }

  async readdir(dir: string): Promise<string[]> {
    this.#fence('scandir', dir);
    return this.#target.readdir(dir);
  }

  async stat(path: string): Promise<FileStat | null> {
    this.#fence('stat', path);
    return this.#target.stat(path);
  }

  async rename(source: string, target: string): Promise<void> {
    this.#fence('rename', source, target);
    return this.#target.rename(source, target);
  }

  async unlink(path: string): Promise<void> {
    this.#fence('unlink', path);
    return this.#target.unlink(path);
  }

  async syncDir(dir: string): Promise<void> {
    this.#fence('fsync', dir);
    return this.#target.syncDir(dir);
  }

  async lock(dir: string): Promise<DirLock> {
    this.#fence('open', dir);
    return this.#target.lock(dir);
  }

  watch(dir: string, onChange: () => void): DirWatch | null {
    this.#fence('open', dir);
    return this.#target.watch(dir, onChange);
  }

  /**
   * Checked synchronously before forwarding: the simulator takes the epoch when a call starts, so
   * a call that passes here belongs to this boot, and a crash before it completes kills it (EBADF).
   */
  #fence(syscall: string, path: string, dest?: string): void {
    if (!this.live) throw systemError('ESHUTDOWN', syscall, path, dest);
  }
}
