/**
 * One job: the one state machine behind every backend of one log directory. All queues of the
 * directory share it, so they share one log and one group commit. Backends `acquire` it and
 * `release` it; it opens on the first acquire and closes (snapshot, log close) when the last
 * backend releases it, and a later acquire waits for that close and opens it again.
 *
 * It also carries the wake-ups: after each applied record it tells the waiters of the queues that
 * record touched (workers blocked in waitForJob, QueueEvents blocked in readEvents), and it keeps
 * the names backends gave themselves, for getWorkers / getQueueEvents.
 */
import { openMachine } from '@seglog/queue/machine';
import type { Machine } from '@seglog/queue/machine';
import { ErrorCodes } from '@seglog/types';
import type { FileIO, LogOptions } from '@seglog/types';
import { BullMachine } from './state/bull-machine.js';
import type { BullCommand } from './state/commands.js';

export interface HubOptions {
  readonly dir: string;
  readonly io?: FileIO;
  readonly log?: Omit<LogOptions, 'dir' | 'io'>;
  readonly snapshotEveryRecords?: number;
  readonly snapshotEveryBytes?: number;
}

type Waiter = () => void;

/**
 * No commit window unless the caller sets one: appends that arrive while a write is in flight
 * still share the next flush (natural group commit), and no append waits on a timer. BullMQ test
 * suites fake `setTimeout` (sinon); the adaptive window's timer would then never fire and every
 * append would hang.
 */
const COMMIT_WINDOW_DEFAULT = { fixedMicros: 0 } as const;

export class Hub {
  readonly state = new BullMachine();
  readonly #options: HubOptions;
  #machine: Machine<BullCommand, unknown[]> | undefined;
  #opening: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  #refs = 0;
  /** Proposals made and not yet resolved or rejected. */
  #inFlight = 0;
  readonly #waiters = new Map<string, Set<Waiter>>();
  readonly #clients = new Map<object, string>();
  #clientIds = 0;
  readonly #clientIdOf = new WeakMap<object, number>();

  constructor(options: HubOptions) {
    this.#options = options;
    this.state.onApplied = (queues) => this.#wake(queues);
  }

  /** Takes a reference; resolves once the machine is open. */
  acquire(): Promise<void> {
    this.#refs++;
    this.#opening ??= this.#open();
    return this.#opening;
  }

  /** Drops a reference; the last one closes the machine. */
  async release(): Promise<void> {
    this.#refs--;
    if (this.#refs > 0) return;
    const opening = this.#opening;
    this.#opening = undefined;
    if (opening === undefined) return;
    this.#closing = (async () => {
      await opening.catch(() => undefined);
      const machine = this.#machine;
      this.#machine = undefined;
      await machine?.close();
    })();
    await this.#closing;
  }

  /** Resolves once no backend holds the hub and the machine is closed. */
  async idle(): Promise<void> {
    if (this.#refs > 0) return;
    await this.#closing;
  }

  /** Appends the commands as one record; resolves once durable and applied, with one result per command. */
  async propose(commands: BullCommand[]): Promise<unknown[]> {
    this.#inFlight++;
    try {
      const opening = this.#opening;
      if (opening === undefined) throw closedError();
      await opening;
      const machine = this.#machine;
      if (machine === undefined) throw closedError();
      return await machine.propose(commands);
    } finally {
      this.#inFlight--;
    }
  }

  /**
   * True when every proposal made so far is applied (or failed): the state then reflects every
   * change anyone asked for before now, so an answer read from it is ordered after them all.
   */
  get settled(): boolean {
    return this.#inFlight === 0;
  }

  /** Calls `waiter` after the next record that touches `queue`; returns the cancel function. */
  onChange(queue: string, waiter: Waiter): () => void {
    let set = this.#waiters.get(queue);
    if (set === undefined) {
      set = new Set();
      this.#waiters.set(queue, set);
    }
    set.add(waiter);
    return () => {
      const current = this.#waiters.get(queue);
      current?.delete(waiter);
      if (current?.size === 0) this.#waiters.delete(queue);
    };
  }

  setClientName(owner: object, name: string): void {
    if (!this.#clientIdOf.has(owner)) this.#clientIdOf.set(owner, ++this.#clientIds);
    this.#clients.set(owner, name);
  }

  removeClient(owner: object): void {
    this.#clients.delete(owner);
  }

  /** Redis CLIENT LIST shaped lines, one per named backend. */
  clientList(): string {
    const lines: string[] = [];
    for (const [owner, name] of this.#clients) lines.push(`id=${this.#clientIdOf.get(owner) ?? 0} name=${name}`);
    return lines.join('\n');
  }

  async #open(): Promise<void> {
    if (this.#closing !== undefined) await this.#closing.catch(() => undefined);
    this.#closing = undefined;
    const options = this.#options;
    this.#machine = await openMachine({
      dir: options.dir,
      machine: this.state,
      ...(options.io === undefined ? {} : { io: options.io }),
      log: { commitWindow: COMMIT_WINDOW_DEFAULT, ...options.log },
      ...(options.snapshotEveryRecords === undefined ? {} : { snapshotEveryRecords: options.snapshotEveryRecords }),
      ...(options.snapshotEveryBytes === undefined ? {} : { snapshotEveryBytes: options.snapshotEveryBytes }),
    });
  }

  #wake(queues: ReadonlySet<string>): void {
    for (const queue of queues) {
      const set = this.#waiters.get(queue);
      if (set === undefined) continue;
      for (const waiter of [...set]) waiter();
    }
  }
}

/** The message BullMQ recognises as a closed connection (isNotConnectionError compares it verbatim). */
export const CONNECTION_CLOSED = 'Connection is closed.';

/**
 * An operation on a closed backend. The message is BullMQ's own, so its classes treat it as a
 * closed connection (not an error to report); the code is seglog's.
 */
export class BackendClosedError extends Error {
  readonly code = ErrorCodes.CLOSED;

  constructor() {
    super(CONNECTION_CLOSED);
    this.name = 'BackendClosedError';
  }
}

export function closedError(): Error {
  return new BackendClosedError();
}
