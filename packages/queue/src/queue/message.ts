/**
 * One job: a delivered message as a handler sees it, and its four settles. Each settle resolves
 * once its record is durable and rejects with SEGLOG_STALE_DELIVERY (changing nothing) when the
 * delivery's lease has lapsed, was superseded or was already settled.
 */
import type { DeliveryToken } from '../machine/index.js';
import type { DeadLetterInfo } from './commands.js';

/** What a message needs from its group's runtime. */
export interface SettleTarget {
  settle(message: QueueMessage, kind: 'ack' | 'nak' | 'term' | 'extend', options: { delayMs?: number; reason?: string; extendMs?: number }): Promise<void>;
}

export class QueueMessage {
  /** The payload: a copy the handler owns. */
  readonly payload: Uint8Array;
  /** The message's offset in the queue: dense, in enqueue order. */
  readonly offset: number;
  /** This delivery's number, 1 for the first; lapsed deliveries count. */
  readonly deliveryCount: number;
  readonly group: string;
  readonly key: string | undefined;
  readonly priority: number;
  readonly enqueuedAtMs: number;
  /** When the message is a dead letter: where from, after how many deliveries, why. */
  readonly deadLetter: DeadLetterInfo | undefined;
  /** Made on first use of `signal`: most handlers never look at it, and each costs an allocation. */
  #controller: AbortController | null = null;
  /** Why the delivery was aborted, when it was (before or after `signal` was first read). */
  #abortReason: Error | null = null;
  readonly #target: SettleTarget;
  #deadlineMs: number;
  /** The socket server's lapse hook (server.ts), called once with the abort. */
  #onAbort: ((message: QueueMessage) => void) | null = null;

  constructor(parts: {
    payload: Uint8Array;
    offset: number;
    deliveryCount: number;
    group: string;
    key: string | undefined;
    priority: number;
    enqueuedAtMs: number;
    deadLetter: DeadLetterInfo | undefined;
    deadlineMs: number;
    target: SettleTarget;
  }) {
    this.payload = parts.payload;
    this.offset = parts.offset;
    this.deliveryCount = parts.deliveryCount;
    this.group = parts.group;
    this.key = parts.key;
    this.priority = parts.priority;
    this.enqueuedAtMs = parts.enqueuedAtMs;
    this.deadLetter = parts.deadLetter;
    this.#deadlineMs = parts.deadlineMs;
    this.#target = parts.target;
  }

  /** Aborts when the lease lapses (or the queue closes with the handler still running). */
  get signal(): AbortSignal {
    if (this.#controller === null) {
      this.#controller = new AbortController();
      if (this.#abortReason !== null) this.#controller.abort(this.#abortReason);
    }
    return this.#controller.signal;
  }

  /** The delivery token every settle carries. */
  get token(): DeliveryToken {
    return { offset: this.offset, attempt: this.deliveryCount };
  }

  /** The lease's current deadline (wall-clock ms); `inProgress` moves it. */
  get deadlineMs(): number {
    return this.#deadlineMs;
  }

  /** Done: the group never delivers it again. */
  ack(): Promise<void> {
    return this.#target.settle(this, 'ack', {});
  }

  /**
   * Not now: redeliver after `delayMs` (default: the backoff policy). Past maxDeliveries it is
   * dead-lettered instead.
   */
  nak(options: { delayMs?: number } = {}): Promise<void> {
    return this.#target.settle(this, 'nak', options);
  }

  /** Never: stop delivering it; it goes to the dead-letter group (if any) with `reason`. */
  term(options: { reason?: string } = {}): Promise<void> {
    return this.#target.settle(this, 'term', options);
  }

  /** Still working: the lease now ends `extendMs` (default ackDeadlineMs) from now. */
  inProgress(options: { extendMs?: number } = {}): Promise<void> {
    return this.#target.settle(this, 'extend', options);
  }

  /** @internal */
  abort(reason: string): void {
    if (this.#abortReason !== null) return;
    this.#abortReason = new Error(reason);
    this.#controller?.abort(this.#abortReason);
    this.#onAbort?.(this);
  }

  /** @internal Calls `listener` once when the delivery is aborted (at once if it already was). */
  onAbort(listener: (message: QueueMessage) => void): void {
    if (this.#abortReason !== null) listener(this);
    else this.#onAbort = listener;
  }

  /** @internal */
  setDeadline(deadlineMs: number): void {
    this.#deadlineMs = deadlineMs;
  }
}
