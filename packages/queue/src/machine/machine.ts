/**
 * One job: a deterministic state machine over a seglog log. `propose(commands)` appends the
 * commands as one record (a transaction: several commands, one record, all or nothing), through
 * the log's group commit; once the record is durable the machine applies it to the in-memory state
 * in offset order and resolves with what `apply` returned. State therefore never runs ahead of the
 * log: whatever a caller was told happened is in a durable record, and whatever is in the log is
 * applied exactly once, in the same order, live or at replay (one durability domain: the NATS
 * #5412 class of bug, consumer state ahead of the data, cannot happen).
 *
 * Every `snapshotEveryRecords` records or `snapshotEveryBytes` bytes the state is written as a
 * crash-safe snapshot (snapshot-store.ts); open loads the newest valid snapshot and replays only
 * the records after it. `apply` must be a pure function of the state and the record: no clock, no
 * randomness, no I/O (the queue puts wall-clock times into its commands at propose time).
 */
import { nodeFileIO } from '@seglog/io';
import { openReader } from '@seglog/reader';
import type { Reader } from '@seglog/reader';
import { openLog } from '@seglog/store';
import type { Log } from '@seglog/store';
import { ErrorCodes, SeglogError, assert, limits } from '@seglog/types';
import type { ErrorCode, FileIO, LogOptions } from '@seglog/types';
import { ensureDurableDir } from './durable-dir.js';
import { LogHold, MACHINE_HOLD_NAME_DEFAULT } from './log-hold.js';
import { SnapshotStore } from './snapshot-store.js';

/** What the machine drives: the state, its transitions, and its two encodings. */
export interface StateMachine<C, R> {
  /**
   * Applies one transaction: a durable record's commands, or one of the transactions a shared
   * record holds, whose first command is the record's command number `firstIndex`. Pure in the
   * state and its arguments; never throws for bad input.
   */
  apply(commands: readonly C[], offset: number, firstIndex: number): R;
  encodeCommands(commands: readonly C[]): Uint8Array;
  /** Every command of the record, in order (all its transactions' commands, one after the other). */
  decodeCommands(bytes: Uint8Array, offset: number): C[];
  /**
   * Optional: several independent transactions as one record. A machine that has these lets
   * `propose` share records: the proposals made in one turn of the event loop become one record
   * (one encode, one append, one apply pass), each still applied (and fenced) on its own.
   */
  encodeTransactions?(transactions: readonly (readonly C[])[]): Uint8Array;
  decodeTransactions?(bytes: Uint8Array, offset: number): C[][];
  /** The whole state as bytes (taken synchronously, so it is the state at `appliedOffset`). */
  snapshot(): Uint8Array;
  /** Replaces the state with a snapshot's. */
  restore(body: Uint8Array): void;
  /**
   * Optional: the lowest log offset the state points into (a record it reads back later), or
   * undefined when none. The machine's retention hold never rises above it (log-hold.ts).
   */
  lowestReferencedOffset?(): number | undefined;
  /**
   * Optional: once the snapshotEvery* thresholds are reached, whether the periodic snapshot is
   * worth taking now, given the records and record bytes applied since the last one. A machine
   * whose snapshot grows with its state (every job a queue keeps) uses it to snapshot in proportion
   * to its size, so the cost per record stays flat; the snapshot at close is always taken.
   */
  snapshotDue?(recordsSince: number, bytesSince: number): boolean;
}

export interface MachineOptions<C, R> {
  /** The machine's directory: the log goes in `<dir>/log`, snapshots in `<dir>/snapshots`. */
  readonly dir: string;
  readonly machine: StateMachine<C, R>;
  readonly io?: FileIO;
  /** Snapshot after this many records since the last one. Default 10,000. */
  readonly snapshotEveryRecords?: number;
  /** Or after this many record bytes. Default 64 MiB. */
  readonly snapshotEveryBytes?: number;
  /** Write a snapshot at close, so the next open replays nothing. Default true. */
  readonly snapshotOnClose?: boolean;
  /** Passed to openLog (everything but dir and io). */
  readonly log?: Omit<LogOptions, 'dir' | 'io'>;
  /**
   * The name of the retention hold the machine keeps on its log at the lowest record it may still
   * need (log-hold.ts). Default `seglog-machine`.
   */
  readonly holdName?: string;
}

export interface MachineStats {
  /** Records applied since open (replayed ones included). */
  readonly appliedRecords: number;
  /** Records replayed at open, after the snapshot. */
  readonly replayedRecords: number;
  /** The offset the snapshot loaded at open covered, or null when there was none. */
  readonly snapshotOffsetAtOpen: number | null;
  readonly snapshotsWritten: number;
  readonly snapshotFailures: number;
}

export const SNAPSHOT_EVERY_RECORDS_DEFAULT = 10_000;
export const SNAPSHOT_EVERY_BYTES_DEFAULT = 64 * 1024 * 1024;

interface Proposal<C, R> {
  readonly resolve: (result: R) => void;
  readonly reject: (error: unknown) => void;
  readonly commands: readonly C[];
}

/** A durable record waiting for its turn to be applied: its proposals, in record order. */
interface Settled<C, R> {
  readonly proposals: readonly Proposal<C, R>[];
  readonly bytes: number;
}

export async function openMachine<C, R>(options: MachineOptions<C, R>): Promise<Machine<C, R>> {
  const io = options.io ?? nodeFileIO;
  if (typeof options.dir !== 'string' || options.dir === '') throw SeglogError.invalidOption('dir', 'must be a non-empty string');
  await ensureDurableDir(io, options.dir);
  const snapshots = new SnapshotStore(io, `${options.dir}/snapshots`);
  await snapshots.ensureDir();
  const hold = new LogHold(io, `${options.dir}/log`, options.holdName ?? MACHINE_HOLD_NAME_DEFAULT);
  await hold.ensure();
  const log = await openLog({ ...options.log, dir: `${options.dir}/log`, io });
  const recordBytesMax = options.log?.maxRecordBytes ?? limits.recordBytesMaxDefault;
  let reader: Reader | undefined;
  try {
    reader = await openReader({ dir: `${options.dir}/log`, io, durable: log });
    const machine = new Machine<C, R>(options, log, reader, snapshots, recordBytesMax, hold);
    await machine.recover();
    return machine;
  } catch (error) {
    await reader?.close().catch(() => undefined);
    await log.close().catch(() => undefined);
    throw error;
  }
}

export class Machine<C, R> {
  readonly log: Log;
  readonly reader: Reader;
  readonly #machine: StateMachine<C, R>;
  readonly #snapshots: SnapshotStore;
  readonly #everyRecords: number;
  readonly #everyBytes: number;
  readonly #snapshotOnClose: boolean;
  /** Records appended and durable but not yet applied (an earlier one is still resolving), by offset. */
  readonly #durable = new Map<number, Settled<C, R>>();
  /** Proposals of this turn, not yet encoded: they share one record (machines with encodeTransactions). */
  #pending: Proposal<C, R>[] = [];
  readonly #recordBytesMax: number;
  readonly #shares: boolean;
  #applied = 0;
  #inFlight = 0;
  #idle: (() => void) | null = null;
  #failure: Error | null = null;
  #closing: Promise<void> | null = null;
  #snapshotting: Promise<void> | null = null;
  #recordsSinceSnapshot = 0;
  #bytesSinceSnapshot = 0;
  #stats = {
    appliedRecords: 0,
    replayedRecords: 0,
    snapshotOffsetAtOpen: null as number | null,
    snapshotsWritten: 0,
    snapshotFailures: 0,
  };

  readonly #hold: LogHold;

  constructor(
    options: MachineOptions<C, R>,
    log: Log,
    reader: Reader,
    snapshots: SnapshotStore,
    recordBytesMax: number,
    hold: LogHold,
  ) {
    this.#machine = options.machine;
    this.#hold = hold;
    this.#recordBytesMax = recordBytesMax;
    this.#shares = options.machine.encodeTransactions !== undefined && options.machine.decodeTransactions !== undefined;
    this.log = log;
    this.reader = reader;
    this.#snapshots = snapshots;
    this.#everyRecords = countOption('snapshotEveryRecords', options.snapshotEveryRecords, SNAPSHOT_EVERY_RECORDS_DEFAULT);
    this.#everyBytes = countOption('snapshotEveryBytes', options.snapshotEveryBytes, SNAPSHOT_EVERY_BYTES_DEFAULT);
    this.#snapshotOnClose = options.snapshotOnClose ?? true;
  }

  /** One past the last applied record: the state reflects exactly the records below it. */
  get appliedOffset(): number {
    return this.#applied;
  }

  /** The machine's retention hold on its log: records at or above `offset` are kept. */
  get hold(): { readonly name: string; readonly offset: number } {
    return { name: this.#hold.name, offset: this.#hold.offset };
  }

  get stats(): MachineStats {
    return { ...this.#stats };
  }

  /** Loads the newest snapshot and replays the durable records after it. Called once, by openMachine. */
  async recover(): Promise<void> {
    const end = this.log.nextOffset;
    const loaded = await this.#snapshots.loadNewest();
    if (loaded !== null) {
      if (loaded.offset > end) {
        throw SeglogError.corrupt(`snapshot ${loaded.file} covers records up to ${loaded.offset} but the log ends at ${end}`, { file: loaded.file, offset: loaded.offset });
      }
      this.#machine.restore(loaded.body);
      this.#applied = loaded.offset;
      this.#stats.snapshotOffsetAtOpen = loaded.offset;
    }
    this.#hold.start(this.#neededFrom(this.#applied));
    if (this.#applied < end) {
      for await (const record of this.reader.read({ from: this.#applied, to: end })) {
        // Replay has nobody to tell: the results are dropped.
        const transactions = this.#decode(record.payload, record.offset);
        this.#startRecord(record.offset, record.payload.byteLength);
        let firstIndex = 0;
        for (const commands of transactions) {
          this.#machine.apply(commands, record.offset, firstIndex);
          firstIndex += commands.length;
        }
        this.#stats.replayedRecords++;
      }
    }
    assert(this.#applied === end, `replay ended at ${this.#applied}, log at ${end}`);
  }

  /**
   * Appends `commands` as one record and resolves, once it is durable and applied, with what
   * `apply` returned. Rejects (and applies nothing) if the record could not be made durable; after
   * a log failure every later proposal rejects too, until the machine is reopened.
   */
  propose(commands: readonly C[]): Promise<R> {
    if (this.#closing !== null) return Promise.reject(SeglogError.closed('queue'));
    if (this.#failure !== null) return Promise.reject(this.#failure);
    this.#inFlight++;
    return new Promise<R>((resolve, reject) => {
      const proposal: Proposal<C, R> = { resolve, reject, commands };
      if (!this.#shares) {
        this.#append([proposal], this.#machine.encodeCommands(commands));
        return;
      }
      // Shared records: every proposal of this turn (the acks of a group commit's handlers, the
      // enqueues of its producers) goes out as one record once the turn's promise callbacks have
      // run. nextTick, not setImmediate: a tick scheduled from a promise callback runs once the
      // microtask queue is empty, still in the turn, so the log sees the append as part of the
      // acknowledgement turn (setImmediate would make it an independent arrival, which opens the
      // adaptive commit window and leaves the disk idle).
      if (this.#pending.length === 0) process.nextTick(() => this.#flush());
      this.#pending.push(proposal);
    });
  }

  #flush(): void {
    const proposals = this.#pending;
    this.#pending = [];
    if (this.#failure !== null) {
      for (const proposal of proposals) this.#rejectOne(proposal, this.#failure);
      return;
    }
    this.#appendShared(proposals);
  }

  /** One record for `proposals`, split in halves while it is over the log's record limit. */
  #appendShared(proposals: readonly Proposal<C, R>[]): void {
    const bytes = this.#machine.encodeTransactions!(proposals.map((proposal) => proposal.commands));
    if (bytes.byteLength > this.#recordBytesMax && proposals.length > 1) {
      const half = Math.ceil(proposals.length / 2);
      this.#appendShared(proposals.slice(0, half));
      this.#appendShared(proposals.slice(half));
      return;
    }
    this.#append(proposals, bytes);
  }

  #append(proposals: readonly Proposal<C, R>[], bytes: Uint8Array): void {
    this.log.append(bytes).then(
      (offset) => {
        this.#durable.set(offset, { proposals, bytes: bytes.byteLength });
        this.#drain();
      },
      (error: unknown) => {
        if (this.#failure === null && !isRefusal(error)) this.#failure = asError(error, ErrorCodes.IO, 'append');
        for (const proposal of proposals) this.#rejectOne(proposal, error);
      },
    );
  }

  #rejectOne(proposal: Proposal<C, R>, error: unknown): void {
    proposal.reject(error);
    this.#settledOne();
  }

  /** Writes a snapshot of the current state now (waits for one already being written). */
  async snapshotNow(): Promise<void> {
    if (this.#snapshotting !== null) await this.#snapshotting;
    await this.#startSnapshot();
  }

  /** Waits for proposals in flight, writes a final snapshot (unless disabled), closes the log. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      if (this.#inFlight > 0) await new Promise<void>((resolve) => (this.#idle = resolve));
      if (this.#snapshotting !== null) await this.#snapshotting;
      if (this.#snapshotOnClose && this.#failure === null && this.#recordsSinceSnapshot > 0) {
        await this.#startSnapshot();
      }
      await this.reader.close();
      await this.log.close();
    })();
    return this.#closing;
  }

  #drain(): void {
    for (let next = this.#durable.get(this.#applied); next !== undefined; next = this.#durable.get(this.#applied)) {
      const offset = this.#applied;
      this.#durable.delete(offset);
      const { proposals } = next;
      let index = 0;
      // A plain loop, not a generator over the transactions: this runs once per record on the
      // hot path, and each proposal resolves as soon as its own transaction is applied.
      try {
        this.#startRecord(offset, next.bytes);
        let firstIndex = 0;
        for (; index < proposals.length; index++) {
          const commands = proposals[index]!.commands;
          const result = this.#machine.apply(commands, offset, firstIndex);
          firstIndex += commands.length;
          proposals[index]!.resolve(result);
          this.#settledOne();
        }
      } catch (error) {
        // apply is pure and must not throw; if it does, the state can no longer be trusted.
        this.#failure = asError(error, ErrorCodes.ASSERTION, 'apply');
        for (const proposal of proposals.slice(index)) this.#rejectOne(proposal, error);
      }
    }
    this.#maybeSnapshot();
  }

  #decode(bytes: Uint8Array, offset: number): C[][] {
    if (this.#machine.decodeTransactions !== undefined) return this.#machine.decodeTransactions(bytes, offset);
    return [this.#machine.decodeCommands(bytes, offset)];
  }

  /** Counts a record as applied; its transactions are applied next, in order, by the caller. */
  #startRecord(offset: number, bytes: number): void {
    assert(offset === this.#applied, `record ${offset} applied out of order (expected ${this.#applied})`);
    this.#applied = offset + 1;
    this.#stats.appliedRecords++;
    this.#recordsSinceSnapshot++;
    this.#bytesSinceSnapshot += bytes;
  }

  #maybeSnapshot(): void {
    if (this.#snapshotting !== null || this.#closing !== null) return;
    if (this.#recordsSinceSnapshot < this.#everyRecords && this.#bytesSinceSnapshot < this.#everyBytes) return;
    if (this.#machine.snapshotDue?.(this.#recordsSinceSnapshot, this.#bytesSinceSnapshot) === false) return;
    this.#startSnapshot().catch(() => undefined);
  }

  /** The lowest record a reopen from a snapshot at `offset` of the current state needs. */
  #neededFrom(offset: number): number {
    return Math.min(offset, this.#machine.lowestReferencedOffset?.() ?? offset);
  }

  #startSnapshot(): Promise<void> {
    const offset = this.#applied;
    const body = this.#machine.snapshot();
    const needed = this.#neededFrom(offset);
    this.#recordsSinceSnapshot = 0;
    this.#bytesSinceSnapshot = 0;
    const writing = this.#snapshots.write(offset, body).then(
      async () => {
        this.#stats.snapshotsWritten++;
        await this.#hold.snapshotWritten(needed);
      },
      (error: unknown) => {
        // A failed snapshot loses nothing (the log still holds every record); the next threshold retries.
        this.#stats.snapshotFailures++;
        throw error;
      },
    );
    this.#snapshotting = writing.finally(() => (this.#snapshotting = null)).catch(() => undefined);
    return writing;
  }

  #settledOne(): void {
    this.#inFlight--;
    if (this.#inFlight === 0 && this.#idle !== null) {
      const idle = this.#idle;
      this.#idle = null;
      idle();
    }
  }
}

/**
 * The failure kept for later proposals is always an Error: a non-Error thrown value (never expected
 * from the log or from `apply`) is wrapped in a coded SeglogError that keeps it as `cause`.
 */
function asError(error: unknown, code: ErrorCode, what: string): Error {
  return error instanceof Error ? error : new SeglogError(code, `${what} failed: ${String(error)}`, { cause: error });
}

/** Refusals that consume no offset and leave the log healthy (a record over the size limit). */
function isRefusal(error: unknown): boolean {
  return error instanceof SeglogError && error.code === 'SEGLOG_RECORD_TOO_LARGE';
}

function countOption(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) throw SeglogError.invalidOption(name, `must be an integer >= 1, got ${value}`);
  return value;
}
