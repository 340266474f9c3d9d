/**
 * One job: a simulated disk that can lose power, behind the FileIO interface, driven by one
 * seeded PRNG so every run replays from its seed.
 *
 * Fault model (what it injects; what the store must do about it):
 * - Power loss, `crash()`: per file, its unsynced writes are all lost, all kept, or each lost,
 *   kept or torn at 512-byte sectors, in any order (a later write may persist while an earlier
 *   one is lost). Synced bytes are never touched. Must survive: no acknowledged byte may be lost.
 * - Directory entries: creation, rename and unlink are undone by a crash until `syncDir` of the
 *   directory completes; a file's datasync/sync makes its bytes durable, never its name.
 * - Failed writes, `faults.failNext('writev', { code: 'EIO' | 'ENOSPC' })`: a random prefix of the
 *   write may have reached the page cache. Must fail the batch, never ack it.
 * - Failed syncs (fsyncgate), `failNext('datasync' | 'sync')`: what writeback had not done is
 *   decided then and a later, successful sync does not bring it back, while reads still show it.
 *   Must fail sticky: a retried sync proves nothing.
 * - Failed open, read, rename, truncate, unlink and syncDir calls (EIO/ENOSPC), no effect.
 * - A full disk, `faults.spaceBytes`: a write persists what fits, then fails with ENOSPC.
 * - Slow syncs, `faults.datasyncDelayMs`: datasync and sync complete after a timer.
 * - Corruption of durable bytes, `corrupt()`: must be detected by checksums, never returned.
 * - Stale locks: a crash releases every lock, as a reboot does; they must not block a restart.
 * - Stale programs: `boot()` gives a FileIO fenced to the current boot. After a crash every call
 *   through an older boot's view rejects with ESHUTDOWN, so objects of the program that "died"
 *   (a Log, its background work) cannot touch the rebooted disk. Tests use one view per boot.
 * Not modelled: misdirected writes, latent sector errors beyond failNext('read'), and unsynced
 * directory entries that happen to persist anyway.
 *
 * Errors mimic Node's (`code`, `errno`, `syscall`, `path`). Every call completes on a later
 * turn; calls in flight at a crash, and handles opened before it, reject with EBADF.
 */
import { SeglogError } from '@seglog/types';
import type { DirLock, DirWatch, FileHandle, FileIO, FileStat, OpenMode } from '@seglog/types';
import { Prng } from './prng.js';
import { SimBootIO } from './sim-boot.js';
import type { FileCrashReport, UnsyncedFate } from './sim-durability.js';
import { systemError } from './sim-errors.js';
import { SimFaults } from './sim-faults.js';
import type { FaultOp, SimFaultSettings } from './sim-faults.js';
import { SimFileHandle } from './sim-file-handle.js';
import { SimState } from './sim-state.js';
import type { SimCounters } from './sim-state.js';
import { SimDir, SimFile, lookup, lookupDir, lookupEntry, normalizePath, splitPath, walkTree } from './sim-tree.js';
import type { SimNode } from './sim-tree.js';

export interface SimFileIOOptions extends SimFaultSettings {
  /** Seed of the PRNG behind every random choice (crash fates, torn sectors, failed-write prefixes). Default 1. */
  readonly seed?: number;
}

export interface CrashOptions {
  /** Draw this crash's choices from here instead of the simulator's own PRNG. */
  readonly prng?: Prng;
  /** Force one fate on every file's unsynced operations instead of drawing one per file. */
  readonly unsynced?: UnsyncedFate;
}

export interface CrashReport {
  /** The boot epoch after the crash; handles of earlier epochs are dead. */
  readonly epoch: number;
  /** One entry per surviving file that had unsynced operations. */
  readonly files: readonly FileCrashReport[];
}

const openModes: readonly OpenMode[] = ['read', 'write', 'write-dsync', 'create', 'truncate'];

export class SimFileIO implements FileIO {
  readonly prng: Prng;
  readonly faults: SimFaults;
  readonly #state: SimState;
  #locksTaken = 0;

  constructor(options: SimFileIOOptions = {}) {
    this.prng = new Prng(options.seed ?? 1);
    this.faults = new SimFaults(options);
    this.#state = new SimState(this.prng, this.faults);
  }

  get seed(): number {
    return this.prng.seed;
  }

  /** The boot epoch: 0 at construction, bumped by every crash. */
  get epoch(): number {
    return this.#state.epoch;
  }

  /**
   * A FileIO for the current boot only: once `crash()` has run, every call through it rejects with
   * ESHUTDOWN. Give each simulated program run (each Log, reader) the view of its own boot.
   */
  boot(): SimBootIO {
    return new SimBootIO(this);
  }

  /** Live counters since construction: successful calls, and every datasync/sync call made. */
  get counters(): Readonly<SimCounters> {
    return this.#state.counters;
  }

  async open(path: string, mode: OpenMode): Promise<FileHandle> {
    if (!openModes.includes(mode)) throw new TypeError(`unknown open mode ${String(mode)}`);
    await this.#enter('open', 'open', [path]);
    const { parent, name, node } = lookupEntry(this.#state.root, path, 'open');
    if (node?.kind === 'dir') throw systemError('EISDIR', 'open', path);
    if (node !== undefined && mode === 'create') throw systemError('EEXIST', 'open', path);
    if (node === undefined && (mode === 'read' || mode === 'write' || mode === 'write-dsync')) throw systemError('ENOENT', 'open', path);
    let file = node;
    if (file === undefined) {
      file = new SimFile();
      parent.volatile.set(name, file);
      this.#state.changed(path);
    } else if (mode === 'truncate') {
      this.#state.pendTruncate(file, 0);
    }
    return new SimFileHandle(this.#state, path, file, mode !== 'read', mode === 'write-dsync');
  }

  async mkdirp(dir: string): Promise<void> {
    await this.#enter(undefined, 'mkdir', [dir]);
    const parts = splitPath(dir);
    let node: SimDir = this.#state.root;
    for (const [index, part] of parts.entries()) {
      let child = node.volatile.get(part);
      if (child === undefined) {
        child = new SimDir();
        node.volatile.set(part, child);
      }
      if (child.kind !== 'dir') throw systemError(index === parts.length - 1 ? 'EEXIST' : 'ENOTDIR', 'mkdir', dir);
      node = child;
    }
  }

  async readdir(dir: string): Promise<string[]> {
    await this.#enter(undefined, 'scandir', [dir]);
    return [...lookupDir(this.#state.root, dir, 'scandir').volatile.keys()];
  }

  async stat(path: string): Promise<FileStat | null> {
    await this.#enter(undefined, 'stat', [path]);
    const node = lookup(this.#state.root, path, 'stat');
    if (node === undefined) return null;
    const sizeBytes = node.kind === 'file' ? node.volatile.sizeBytes : 0;
    return { isFile: node.kind === 'file', isDirectory: node.kind === 'dir', sizeBytes };
  }

  async rename(source: string, target: string): Promise<void> {
    await this.#enter('rename', 'rename', [source, target], target);
    const from = lookupEntry(this.#state.root, source, 'rename');
    if (from.node === undefined) throw systemError('ENOENT', 'rename', source, target);
    const to = lookupEntry(this.#state.root, target, 'rename');
    if (to.node === from.node) return;
    checkRenameKinds(from.node, to.node, source, target);
    from.parent.volatile.delete(from.name);
    to.parent.volatile.set(to.name, from.node);
    this.#state.changed(source);
    this.#state.changed(target);
  }

  async unlink(path: string): Promise<void> {
    await this.#enter('unlink', 'unlink', [path]);
    const { parent, name, node } = lookupEntry(this.#state.root, path, 'unlink');
    if (node === undefined) throw systemError('ENOENT', 'unlink', path);
    if (node.kind === 'dir') throw systemError('EISDIR', 'unlink', path);
    parent.volatile.delete(name);
    this.#state.changed(path);
  }

  /** Watches `dir` (as given, normalised like the tree's paths): writes, renames, unlinks in it. */
  watch(dir: string, onChange: () => void): DirWatch | null {
    const key = '/' + splitPath(dir).join('/');
    let listeners = this.#state.watchers.get(key);
    if (listeners === undefined) this.#state.watchers.set(key, (listeners = new Set()));
    const entry = (): void => onChange();
    listeners.add(entry);
    return { close: () => void listeners.delete(entry) };
  }

  async syncDir(dir: string): Promise<void> {
    await this.#enter('syncDir', 'fsync', [dir]);
    const node = lookupDir(this.#state.root, dir, 'fsync');
    node.durable = new Map(node.volatile);
    this.#state.counters.syncDirs++;
  }

  /** An in-memory lock: a second lock of the same directory fails until release or crash. */
  async lock(dir: string): Promise<DirLock> {
    await this.#enter(undefined, 'open', [dir]);
    lookupDir(this.#state.root, dir, 'open');
    const key = normalizePath(dir);
    const locks = this.#state.locks;
    const holder = locks.get(key);
    if (holder !== undefined) throw SeglogError.locked(dir, holder.name);
    const token = { name: `simulated lock #${++this.#locksTaken}` };
    locks.set(key, token);
    return {
      path: dir,
      release: async () => {
        if (locks.get(key) === token) locks.delete(key);
      },
    };
  }

  /** Power loss and reboot. See the fault model above and sim-durability.ts. */
  crash(options: Prng | CrashOptions = {}): CrashReport {
    const { prng, unsynced } = options instanceof Prng ? { prng: options, unsynced: undefined } : options;
    const files = this.#state.crash(prng ?? this.prng, unsynced);
    return { epoch: this.#state.epoch, files };
  }

  /** The bytes reads would see now (the volatile image). */
  readFileSync(path: string): Uint8Array {
    return this.#fileAt(path).volatile.toBytes();
  }

  /** Names in a directory as lookups see them now, sorted. */
  listDir(dir: string): string[] {
    return [...lookupDir(this.#state.root, dir, 'scandir').volatile.keys()].sort();
  }

  /** Overwrites bytes in both images, as bit rot or a stray write would: for corruption tests. */
  corrupt(path: string, positionBytes: number, bytes: Uint8Array): void {
    const file = this.#fileAt(path);
    const endBytes = positionBytes + bytes.length;
    const sizeBytes = Math.min(file.volatile.sizeBytes, file.durable.sizeBytes);
    if (!Number.isSafeInteger(positionBytes) || positionBytes < 0 || endBytes > sizeBytes) {
      throw new TypeError(`corrupt: [${positionBytes}, ${endBytes}) is not inside ${path} (${sizeBytes} bytes durable and volatile)`);
    }
    file.volatile.write(positionBytes, bytes);
    file.durable.write(positionBytes, bytes);
  }

  /** Every file that would survive a crash with all unsynced data lost: path -> durable bytes. */
  durableSnapshot(): Map<string, Uint8Array> {
    const snapshot = new Map<string, Uint8Array>();
    walkTree(this.#state.root, 'durable', (path, node) => {
      if (node.kind === 'file') snapshot.set(path, node.durable.toBytes());
    });
    return snapshot;
  }

  /** Takes the call's armed fault, waits a turn, then throws the fault if there was one. */
  async #enter(op: FaultOp | undefined, syscall: string, paths: readonly string[], dest?: string): Promise<void> {
    const epoch = this.#state.epoch;
    const fault = op === undefined ? undefined : this.faults.consume(op, paths);
    await this.#state.turn(epoch, syscall, paths[0]!);
    if (fault !== undefined) throw systemError(fault, syscall, paths[0], dest);
  }

  #fileAt(path: string): SimFile {
    const node = lookup(this.#state.root, path, 'open');
    if (node === undefined) throw systemError('ENOENT', 'open', path);
    if (node.kind !== 'file') throw systemError('EISDIR', 'open', path);
    return node;
  }
}

/** rename(2)'s rules for what may replace what. */
function checkRenameKinds(source: SimNode, target: SimNode | undefined, sourcePath: string, targetPath: string): void {
  if (source.kind === 'dir' && normalizePath(targetPath).startsWith(`${normalizePath(sourcePath)}/`)) {
    throw systemError('EINVAL', 'rename', sourcePath, targetPath);
  }
  if (target === undefined) return;
  if (source.kind === 'file' && target.kind === 'dir') throw systemError('EISDIR', 'rename', sourcePath, targetPath);
  if (source.kind === 'dir' && target.kind === 'file') throw systemError('ENOTDIR', 'rename', sourcePath, targetPath);
  if (target.kind === 'dir' && target.volatile.size > 0) throw systemError('ENOTEMPTY', 'rename', sourcePath, targetPath);
}
