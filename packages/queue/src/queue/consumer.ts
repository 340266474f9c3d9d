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
  /**
   * Acks or naks `message` as its `ack()`/`nak()` would, reporting to `ended` instead of through a
   * promise (`process` settles every message: a promise chain each was a measurable cost).
   */
  settleThen(message: QueueMessage, kind: 'ack' | 'nak', ended: SettleEnded): void;
}

/** How a settle started by `process` ended: `ok`, or the error its promise would have rejected with. */
export type SettleEnded = (message: QueueMessage, ok: boolean, error: unknown) => void;

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
  /** `process`: its handler, and its slots free to take a delivery (0 outside `process`). */
  #handler: Handler | null = null;
  #freeSlots = 0;
  /** `process`: handlers running (or about to), settles it started and not yet ended. */
  #running = 0;
  #settlesPending = 0;
  #processEnded: (() => void) | null = null;
  /** `process`: delivered messages whose handler runs in the next microtask, in one pass. */
  #toRun: QueueMessage[] = [];
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
    const waiting = this.#waiters.length + this.#freeSlots;
    return Math.max(0, Math.min(capacity, waiting - this.#reserved - this.#buffer.length));
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
    if (this.#freeSlots > 0 && !this.#closed) return this.#startHandler(message);
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
   * Runs `handler` on up to `concurrency` messages at once until the consumer or queue closes, then
   * resolves once the handlers running and the settles they started have ended. A handler that
   * returns without settling acks; one that throws naks (with the backoff policy). Every free slot
   * counts as a waiting `next()`, so the runtime delivers to all of them in one record (one slot
   * asking at a time would cost one durable delivery record, a whole group commit, per message).
   *
   * No promise per message: a delivery goes straight to a free slot, the handlers of one batch of
   * deliveries run in one microtask, and the settle reports back by callback. The promises,
   * iterator results and closures per message of an async loop per slot were a large share of the
   * young objects that live across a group commit (and so cost the GC a copy each).
   */
  process(handler: Handler): Promise<void> {
    if (typeof handler !== 'function') return Promise.reject(new TypeError('process needs a handler function'));
    if (this.#handler !== null) return Promise.reject(new TypeError('process is already running on this consumer'));
    this.#handler = handler;
    if (this.#closed) return Promise.resolve();
    this.#freeSlots = this.concurrency;
    const ended = new Promise<void>((resolve) => (this.#processEnded = resolve));
    this.#host.pump();
    return ended;
  }

  /** `process`: a delivery for a free slot; its handler runs in the next microtask with its batch's. */
  #startHandler(message: QueueMessage): void {
    this.#freeSlots--;
    this.#running++;
    this.#held.set(message.offset, message);
    this.#toRun.push(message);
    if (this.#toRun.length === 1) queueMicrotask(this.#runHandlers);
  }

  readonly #runHandlers = (): void => {
    const batch = this.#toRun;
    this.#toRun = [];
    const handler = this.#handler!;
    for (const message of batch) {
      let returned: unknown;
      try {
        returned = handler(message);
      } catch {
        this.#handlerEnded(message, true);
        continue;
      }
      // Waited for only when it is a promise: a synchronous handler costs no extra turn.
      if (!isThenable(returned)) this.#handlerEnded(message, false);
      else returned.then(() => this.#handlerEnded(message, false), () => this.#handlerEnded(message, true));
    }
  };

  /** `process`: the handler is done; its message is acked (naked if it threw) unless no longer held. */
  #handlerEnded(message: QueueMessage, failed: boolean): void {
    this.#running--;
    if (this.#held.get(message.offset) === message) {
      this.#settling.add(message.offset);
      this.#settlesPending++;
      this.#host.settleThen(message, failed ? 'nak' : 'ack', this.#settleEnded);
    }
    if (!this.#closed) {
      this.#freeSlots++;
      this.#host.pump();
    }
    this.#maybeEndProcess();
  }

  readonly #settleEnded: SettleEnded = (message, ok, error) => {
    this.#settling.delete(message.offset);
    this.#settlesPending--;
    if (!ok) {
      // A coded error is expected (a stale settle after a lapse, a closing queue): counted. Any
      // other is a bug, left unhandled so that it surfaces, as the rejected settle did before.
      if (isSeglogError(error)) this.handlerErrors++;
      else void Promise.reject(error);
    }
    this.#maybeEndProcess();
  };

  #maybeEndProcess(): void {
    if (!this.#closed || this.#running > 0 || this.#settlesPending > 0 || this.#processEnded === null) return;
    const resolve = this.#processEnded;
    this.#processEnded = null;
    resolve();
  }

  /** Stops taking deliveries; pending `next()` calls end. Held messages stay settleable. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#freeSlots = 0;
    for (let waiter = this.#waiters.shift(); waiter !== undefined; waiter = this.#waiters.shift()) {
      waiter({ value: undefined, done: true });
    }
    for (const message of this.#buffer.splice(0)) this.#host.giveBack(message);
    this.#host.detach(this);
    this.#maybeEndProcess();
  }
}
