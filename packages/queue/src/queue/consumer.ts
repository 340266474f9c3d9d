/**
 * One job: a consumer of a group, consumed with `for await` or `process(handler)`. It asks its
 * group's runtime for a delivery only while someone waits in `next()` and it holds fewer than
 * `concurrency` unsettled messages, so nothing is delivered (and no lease ticks) before a handler
 * can take it.
 */
import { isSeglogError } from '@seglog/types';
import { Fifo } from './lanes.js';
import type { QueueMessage } from './message.js';

/** What a consumer needs from its group's runtime. */
export interface ConsumerHost {
  pump(): void;
  detach(consumer: Consumer): void;
  /** Hands a delivered message back (the consumer closed before anyone took it). */
  giveBack(message: QueueMessage): void;
}

export type Handler = (message: QueueMessage) => unknown;

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as PromiseLike<unknown>).then === 'function';

export class Consumer implements AsyncIterable<QueueMessage> {
  readonly group: string;
  readonly concurrency: number;
  readonly #host: ConsumerHost;
  /** Delivered and handed out, not yet settled (or lapsed). */
  readonly #held = new Map<number, QueueMessage>();
  readonly #buffer: QueueMessage[] = [];
  /** A FIFO, not an array: with a million waiting slots, Array#shift per delivery is quadratic. */
  readonly #waiters = new Fifo<(result: IteratorResult<QueueMessage>) => void>();
  #reserved = 0;
  /** Held messages whose handler (in `process`) finished: their settle is on its way. */
  readonly #settling = new Set<number>();
  #closed = false;
  /** Settle errors swallowed by `process` (stale settles after a lapse, a closing queue). */
  handlerErrors = 0;

  constructor(group: string, concurrency: number, host: ConsumerHost) {
    this.group = group;
    this.concurrency = concurrency;
    this.#host = host;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Messages handed out and not yet settled. */
  get inFlight(): number {
    return this.#held.size;
  }

  /** How many deliveries the runtime may start for this consumer now. */
  wanted(): number {
    if (this.#closed) return 0;
    // A message whose handler finished no longer takes a handler slot while its settle is written,
    // so the next delivery can ride the same group commit as that settle.
    const capacity = this.concurrency - (this.#held.size - this.#settling.size) - this.#reserved - this.#buffer.length;
    return Math.max(0, Math.min(capacity, this.#waiters.length - this.#reserved - this.#buffer.length));
  }

  /** @internal The runtime started a delivery for this consumer. */
  reserve(): void {
    this.#reserved++;
  }

  /** @internal A started delivery came to nothing. */
  unreserve(): void {
    this.#reserved--;
  }

  /** @internal A delivery is durable: hand it to a waiter. */
  push(message: QueueMessage): void {
    this.#reserved--;
    const waiter = this.#waiters.shift();
    if (waiter === undefined || this.#closed) {
      if (this.#closed) this.#host.giveBack(message);
      else this.#buffer.push(message);
      return;
    }
    this.#held.set(message.offset, message);
    waiter({ value: message, done: false });
  }

  /** @internal The message was settled, naked or its lease lapsed: its slot is free. */
  release(seq: number): boolean {
    // The buffer is nearly always empty: no search (and no closure) per released message then.
    const index = this.#buffer.length === 0 ? -1 : this.#buffer.findIndex((message) => message.offset === seq);
    if (index >= 0) this.#buffer.splice(index, 1);
    this.#settling.delete(seq);
    return this.#held.delete(seq) || index >= 0;
  }

  /**
   * @internal The settle of held message `offset` is on its way (a remote worker's handler is done
   * with it): its slot may take the next delivery, which can then ride the same group commit.
   */
  settling(offset: number): void {
    if (this.#held.has(offset)) this.#settling.add(offset);
  }

  /** @internal That settle ended (applied, refused or failed). */
  settleEnded(offset: number): void {
    this.#settling.delete(offset);
  }

  /** @internal Held messages, for close to wait on and abort. */
  heldMessages(): QueueMessage[] {
    return [...this.#held.values()];
  }

  next(): Promise<IteratorResult<QueueMessage>> {
    const buffered = this.#buffer.shift();
    if (buffered !== undefined) {
      this.#held.set(buffered.offset, buffered);
      return Promise.resolve({ value: buffered, done: false });
    }
    if (this.#closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.#waiters.push(resolve);
      this.#host.pump();
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<QueueMessage> {
    return {
      next: () => this.next(),
      return: async () => {
        this.close();
        return { value: undefined, done: true };
      },
    };
  }

  /**
   * Runs `handler` on up to `concurrency` messages at once until the consumer or queue closes. A
   * handler that returns without settling acks; one that throws naks (with the backoff policy).
   * Each of the `concurrency` slots waits in `next()` while it is free, so the runtime sees every
   * free slot at once and delivers to all of them in one record (one slot asking at a time would
   * cost one durable delivery record, a whole group commit, per message).
   */
  async process(handler: Handler): Promise<void> {
    // A count and one waiter, not a Set of promises with a `finally` each: this runs per message.
    const settles = { pending: 0, done: null as (() => void) | null };
    const ended = (): void => {
      if (--settles.pending === 0) settles.done?.();
    };
    const slot = async (): Promise<void> => {
      for (let next = await this.next(); next.done !== true; next = await this.next()) {
        let failed = false;
        try {
          // Awaited only when it is a promise: a synchronous handler costs no extra turn.
          const returned = handler(next.value);
          if (isThenable(returned)) await returned;
        } catch {
          failed = true;
        }
        const settle = this.#settleAfter(next.value, failed);
        if (settle === null) continue;
        settles.pending++;
        settle.then(ended, (error: unknown) => {
          ended();
          throw error;
        });
      }
    };
    await Promise.all(Array.from({ length: this.concurrency }, slot));
    if (settles.pending > 0) await new Promise<void>((resolve) => (settles.done = resolve));
  }

  /** Stops taking deliveries; pending `next()` calls end. Held messages stay settleable. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (let waiter = this.#waiters.shift(); waiter !== undefined; waiter = this.#waiters.shift()) {
      waiter({ value: undefined, done: true });
    }
    for (const message of this.#buffer.splice(0)) this.#host.giveBack(message);
    this.#host.detach(this);
  }

  /**
   * After the handler: starts the message's settle (ack, or nak if the handler threw) and returns
   * it without waiting for it (the slot is free for its next message meanwhile), or null when the
   * message is no longer held (its lease lapsed, or the handler settled it).
   */
  #settleAfter(message: QueueMessage, failed: boolean): Promise<void> | null {
    if (this.#held.get(message.offset) !== message) return null;
    this.#settling.add(message.offset);
    return (failed ? message.nak() : message.ack()).then(
      () => void this.#settling.delete(message.offset),
      (error: unknown) => {
        this.#settling.delete(message.offset);
        if (!isSeglogError(error)) throw error;
        this.handlerErrors++;
      },
    );
  }
}
