/**
 * One job: the state one simulated machine shares between its FileIO facade and its open
 * handles: the tree, the boot epoch, the issue sequence, locks, counters, and the passage of turns.
 *
 * Every call completes on a later event-loop turn, as a real system call does on the libuv
 * thread pool, and takes effect only then. With `completionJitterTurns` set, each call waits a
 * random number of extra turns, so calls in flight together complete (and take effect) in any
 * order, as they do on a thread pool: a later write may land before an earlier one, a flush may
 * return before a write issued ahead of it. A call still in flight when power is lost never takes
 * effect: it rejects with EBADF, like any later call on a handle opened before the crash.
 */
import { systemError } from './sim-errors.js';
import { crashTree } from './sim-durability.js';
import type { FileCrashReport, UnsyncedFate } from './sim-durability.js';
import type { SimFaults } from './sim-faults.js';
import type { Prng } from './prng.js';
import { SimDir, splitPath, walkTree } from './sim-tree.js';
import type { SimFile } from './sim-tree.js';

export interface SimCounters {
  /** writev calls that succeeded (as are the other plain counts). */
  writes: number;
  datasyncs: number;
  syncs: number;
  /** datasync calls made, whether they succeeded, failed or died in a crash (fsyncgate tests). */
  datasyncCalls: number;
  /** sync calls made, whatever became of them. */
  syncCalls: number;
  syncDirs: number;
  /** Bytes written by successful writev calls. */
  bytesWritten: number;
  crashes: number;
  /** Calls that completed before a call issued earlier did (only with `completionJitterTurns`). */
  reorderedCompletions: number;
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function sleep(delayMs: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, delayMs));
}

export class SimState {
  readonly root = new SimDir();
  readonly counters: SimCounters = {
    writes: 0,
    datasyncs: 0,
    syncs: 0,
    datasyncCalls: 0,
    syncCalls: 0,
    syncDirs: 0,
    bytesWritten: 0,
    crashes: 0,
    reorderedCompletions: 0,
  };
  /** Open handles, by the file they hold: an unlinked file still takes space while open. */
  readonly openFiles = new Set<{ readonly file: SimFile }>();
  /** Locked directory (normalised path) -> the holder; a DirLock releases only its own holder. */
  readonly locks = new Map<string, { readonly name: string }>();
  readonly prng: Prng;
  readonly faults: SimFaults;
  /** Directory watches (FileIO.watch): normalised directory path -> listeners. */
  readonly watchers = new Map<string, Set<() => void>>();
  /** Bumped by every crash; handles and in-flight calls of an older epoch are dead. */
  epoch = 0;
  #seq = 0;
  /** Calls issued (each turn() is one call), and the latest issue number that has completed. */
  #callsIssued = 0;
  #latestCompletedCall = 0;
  /** Draws the jitter, forked from the machine's PRNG on first use so runs without it are unchanged. */
  #jitterPrng: Prng | null = null;

  constructor(prng: Prng, faults: SimFaults) {
    this.prng = prng;
    this.faults = faults;
  }
  /**
   * Something at `path` changed in the page cache: wake the watches of its directory, later (as
   * inotify delivers events after the call that caused them), and only as a hint.
   */
  changed(path: string): void {
    const listeners = this.watchers.get('/' + splitPath(path).slice(0, -1).join('/'));
    if (listeners === undefined || listeners.size === 0) return;
    setImmediate(() => {
      for (const listener of listeners) listener();
    });
  }


  /** A fresh issue number for a pending operation. */
  nextSeq(): number {
    return ++this.#seq;
  }

  /** The issue number of the latest operation so far: a sync started now covers up to it. */
  get lastSeq(): number {
    return this.#seq;
  }

  /**
   * Ends the caller's turn (after `delayMs`, if any). Rejects with EBADF when the machine lost power
   * since `epoch`, so the call takes no effect.
   */
  async turn(epoch: number, syscall: string, path: string, delayMs = 0): Promise<void> {
    const call = ++this.#callsIssued;
    await (delayMs > 0 ? sleep(delayMs) : nextTurn());
    for (let extra = this.#jitterTurns(); extra > 0; extra--) await nextTurn();
    if (call < this.#latestCompletedCall) this.counters.reorderedCompletions++;
    this.#latestCompletedCall = Math.max(this.#latestCompletedCall, call);
    this.assertEpoch(epoch, syscall, path);
  }

  #jitterTurns(): number {
    const most = this.faults.completionJitterTurns;
    if (most <= 0) return 0;
    this.#jitterPrng ??= this.prng.fork();
    return this.#jitterPrng.int(0, most + 1);
  }

  assertEpoch(epoch: number, syscall: string, path: string): void {
    if (epoch !== this.epoch) throw systemError('EBADF', syscall, path);
  }

  /** Applies a write to the volatile image and queues it for the durable one. */
  pendWrite(file: SimFile, positionBytes: number, bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    file.volatile.write(positionBytes, bytes);
    file.unsynced.push({ kind: 'write', seq: this.nextSeq(), positionBytes, bytes: bytes.slice() });
  }

  /** Applies a size change to the volatile image and queues it for the durable one. */
  pendTruncate(file: SimFile, lengthBytes: number): void {
    file.volatile.truncate(lengthBytes);
    file.unsynced.push({ kind: 'truncate', seq: this.nextSeq(), lengthBytes });
  }

  /** Whether `file` has a name in the volatile tree (what a link count above 0 says). */
  isLinked(file: SimFile): boolean {
    let found = false;
    walkTree(this.root, 'volatile', (_path, node) => {
      if (node === file) found = true;
    });
    return found;
  }

  /** Total size of all files: those in the tree and those unlinked but still open. */
  usedBytes(): number {
    const counted = new Set<SimFile>();
    walkTree(this.root, 'volatile', (_path, node) => {
      if (node.kind === 'file') counted.add(node);
    });
    for (const handle of this.openFiles) counted.add(handle.file);
    let totalBytes = 0;
    for (const file of counted) totalBytes += file.volatile.sizeBytes;
    return totalBytes;
  }

  /** Power loss: see sim-durability.ts for what survives. Locks and handles die with the machine. */
  crash(prng: Prng, fate: UnsyncedFate | undefined): FileCrashReport[] {
    this.epoch++;
    this.counters.crashes++;
    this.openFiles.clear();
    this.locks.clear();
    return crashTree(this.root, prng, fate);
  }
}
