/**
 * One job: an open file on the simulated disk, with the error behaviour of a Node file descriptor.
 *
 * Writes and truncates change the volatile image at once and are queued as pending operations;
 * datasync and sync move the ones issued before the call into the durable image. A handle opened
 * 'write-dsync' follows each successful write with that datasync before the write resolves (a
 * failed flush fails the write, with the flush's fault semantics), as O_DSYNC does. A handle
 * opened before a crash, or closed, rejects every call with EBADF (close of a closed handle is a
 * no-op, as in Node).
 */
import type { FileHandle } from '@seglog/types';
import { failSyncFile, syncFile } from './sim-durability.js';
import { systemError } from './sim-errors.js';
import type { FaultCode, FaultOp } from './sim-faults.js';
import { concatBytes } from './sim-image.js';
import type { SimState } from './sim-state.js';
import type { SimFile } from './sim-tree.js';

function assertPosition(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new TypeError(`${name} must be a non-negative integer, got ${value}`);
}

export class SimFileHandle implements FileHandle {
  readonly path: string;
  readonly file: SimFile;
  readonly #state: SimState;
  readonly #writable: boolean;
  readonly #dataSync: boolean;
  readonly #epoch: number;
  #closed = false;

  constructor(state: SimState, path: string, file: SimFile, writable: boolean, dataSync = false) {
    this.path = path;
    this.file = file;
    this.#state = state;
    this.#writable = writable;
    this.#dataSync = dataSync;
    this.#epoch = state.epoch;
    state.openFiles.add(this);
  }

  async writev(buffers: readonly Uint8Array[], positionBytes: number): Promise<void> {
    assertPosition('positionBytes', positionBytes);
    const bytes = concatBytes(buffers);
    const fault = await this.#enter('writev', 'write');
    if (!this.#writable) throw systemError('EBADF', 'write');
    if (fault !== undefined) {
      // A failed write may still have reached the page cache in part: a prefix, chosen by the PRNG.
      const prefixBytes = bytes.length === 0 ? 0 : this.#state.prng.int(0, bytes.length);
      this.#state.pendWrite(this.file, positionBytes, bytes.subarray(0, prefixBytes));
      throw systemError(fault, 'write');
    }
    const fitBytes = this.#fitBytes(positionBytes, bytes.length);
    if (fitBytes < bytes.length) {
      this.#state.pendWrite(this.file, positionBytes, bytes.subarray(0, fitBytes));
      throw systemError('ENOSPC', 'write');
    }
    this.#state.pendWrite(this.file, positionBytes, bytes);
    this.#state.changed(this.path);
    this.#state.counters.writes++;
    this.#state.counters.bytesWritten += bytes.length;
    if (this.#dataSync) await this.#flush('datasync', 'write');
  }

  async read(buffer: Uint8Array, positionBytes: number): Promise<number> {
    assertPosition('positionBytes', positionBytes);
    const fault = await this.#enter('read', 'read');
    if (fault !== undefined) throw systemError(fault, 'read');
    return this.file.volatile.read(buffer, positionBytes);
  }

  /**
   * `read` on the calling thread, as node:fs's readSync: no turn passes (nothing else runs while it
   * does), an armed read fault throws at once, and a handle from before a crash throws EBADF.
   */
  readSync(buffer: Uint8Array, positionBytes: number): number {
    assertPosition('positionBytes', positionBytes);
    this.#assertLive('read');
    const fault = this.#state.faults.consume('read', [this.path]);
    if (fault !== undefined) throw systemError(fault, 'read');
    return this.file.volatile.read(buffer, positionBytes);
  }

  /** Whether the file still has a name in the namespace (an fstat's link count above 0). */
  isLinkedSync(): boolean {
    this.#assertLive('fstat');
    return this.#state.isLinked(this.file);
  }

  datasync(): Promise<void> {
    return this.#flush('datasync', 'fdatasync');
  }

  sync(): Promise<void> {
    return this.#flush('sync', 'fsync');
  }

  async truncate(lengthBytes: number): Promise<void> {
    assertPosition('lengthBytes', lengthBytes);
    const fault = await this.#enter('truncate', 'ftruncate');
    if (!this.#writable) throw systemError('EINVAL', 'ftruncate');
    if (fault !== undefined) throw systemError(fault, 'ftruncate');
    this.#state.pendTruncate(this.file, lengthBytes);
  }

  async sizeBytes(): Promise<number> {
    await this.#enter(undefined, 'fstat');
    return this.file.volatile.sizeBytes;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#state.assertEpoch(this.#epoch, 'close', this.path);
    this.#closed = true;
    this.#state.openFiles.delete(this);
    await this.#state.turn(this.#epoch, 'close', this.path);
  }

  /** Checks the handle is live, takes the call's armed fault if any, and waits for the next turn. */
  async #enter(op: FaultOp | undefined, syscall: string, delayMs = 0): Promise<FaultCode | undefined> {
    this.#assertLive(syscall);
    const fault = op === undefined ? undefined : this.#state.faults.consume(op, [this.path]);
    await this.#state.turn(this.#epoch, syscall, this.path, delayMs);
    this.#assertLive(syscall);
    return fault;
  }

  #assertLive(syscall: string): void {
    if (this.#closed) throw systemError('EBADF', syscall);
    this.#state.assertEpoch(this.#epoch, syscall, this.path);
  }

  async #flush(op: 'datasync' | 'sync', syscall: string): Promise<void> {
    // fsync covers the writes completed before it was called, not those racing with it.
    const throughSeq = this.#state.lastSeq;
    if (!this.#closed && this.#state.epoch === this.#epoch) this.#state.counters[op === 'datasync' ? 'datasyncCalls' : 'syncCalls']++;
    const fault = await this.#enter(op, syscall, this.#state.faults.datasyncDelayMs);
    if (fault !== undefined) {
      failSyncFile(this.file, throughSeq, this.#state.prng);
      throw systemError(fault, syscall);
    }
    syncFile(this.file, throughSeq);
    if (op === 'datasync') this.#state.counters.datasyncs++;
    else this.#state.counters.syncs++;
  }

  /** How many of `countBytes` at `positionBytes` fit under the space cap. */
  #fitBytes(positionBytes: number, countBytes: number): number {
    const spaceBytes = this.#state.faults.spaceBytes;
    if (spaceBytes === Number.POSITIVE_INFINITY) return countBytes;
    const growBytesMax = spaceBytes - this.#state.usedBytes();
    const endBytesMax = this.file.volatile.sizeBytes + Math.max(0, growBytesMax);
    return Math.max(0, Math.min(countBytes, endBytesMax - positionBytes));
  }
}
