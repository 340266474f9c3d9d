/**
 * One job: keep the payloads of messages enqueued in this process, up to a byte budget, so that
 * delivering them does not read them back from the log. A message enqueued here is usually
 * delivered soon after, and a read from the log (a pread plus a checksum of the batch around the
 * record, then decoding the record) costs far more than holding 128 bytes for a while.
 *
 * An entry is a view of the encoded record the payload was copied into (record-binary.ts), not a
 * copy: a copy per message was a 128-byte buffer of its own (outside V8's heap, so a malloc, a
 * free and a tracked backing store each), a measurable share of the queue's CPU and GC. A view
 * keeps its record's bytes alive while it lives; records are at most 512 KiB and the views of one
 * record leave together (enqueue order), so the bytes held stay close to the budget.
 *
 * An entry lives on its message (`MessageState.cached`), not in a map keyed by location: a map
 * of every waiting message's payload was, with a backlog, a second table as large as the state's,
 * rehashed as it grew and touched three times per message. The eviction order is a FIFO of the
 * messages remembered; a message whose payload left (taken, forgotten) is skipped there, and the
 * FIFO is compacted once it holds more than twice the cached messages plus `cacheOrderSlack`.
 *
 * Entries leave in enqueue order when the budget is passed, when their delivery takes them, or
 * when the message is no longer held by any group (`forget`). A miss is not an error: the caller
 * reads the log, which holds every payload (so does a dead letter or a redriven message, which
 * points at the original's payload but is a message of its own).
 */
import { Fifo } from './lanes.js';
import { queueLimits } from './options.js';
import type { MessageState } from './state-types.js';

export class PayloadCache {
  readonly #budgetBytes: number;
  /** Messages remembered, in enqueue order, some of them no longer cached (skipped). */
  #order = new Fifo<MessageState>();
  /** Messages whose payload is cached. */
  #count = 0;
  #bytes = 0;
  hits = 0;
  misses = 0;

  constructor(budgetBytes: number) {
    this.#budgetBytes = budgetBytes;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Keeps `payload`, the view of an encoded record's bytes (never written again) that it lives in. */
  remember(message: MessageState, payload: Uint8Array): void {
    if (payload.byteLength > this.#budgetBytes || message.cached !== undefined) return;
    message.cached = payload;
    this.#bytes += payload.byteLength;
    this.#count++;
    this.#order.push(message);
    if (this.#bytes > this.#budgetBytes) this.#evict();
    else if (this.#order.length > 2 * this.#count + queueLimits.cacheOrderSlack) this.#compact();
  }

  /** A copy the caller owns, or undefined on a miss. */
  recall(message: MessageState): Uint8Array | undefined {
    const found = message.cached;
    if (found === undefined) this.misses++;
    else this.hits++;
    return found?.slice();
  }

  /**
   * The cached bytes themselves, leaving the cache: for the last delivery that will want them (one
   * group holds the message), which then owns them without a copy. A later delivery of the same
   * payload (a redelivery, a dead letter) misses and reads the log.
   */
  take(message: MessageState): Uint8Array | undefined {
    const found = message.cached;
    if (found === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.#uncache(message, found);
    return found;
  }

  forget(message: MessageState): void {
    const found = message.cached;
    if (found !== undefined) this.#uncache(message, found);
  }

  #uncache(message: MessageState, found: Uint8Array): void {
    message.cached = undefined;
    this.#bytes -= found.byteLength;
    this.#count--;
  }

  /** Drops the oldest cached payloads until the budget holds. */
  #evict(): void {
    while (this.#bytes > this.#budgetBytes) {
      const oldest = this.#order.shift();
      if (oldest === undefined) return;
      if (oldest.cached !== undefined) this.#uncache(oldest, oldest.cached);
    }
  }

  /** Keeps, in order, only the messages still cached. */
  #compact(): void {
    const kept = new Fifo<MessageState>();
    for (let message = this.#order.shift(); message !== undefined; message = this.#order.shift()) {
      if (message.cached !== undefined) kept.push(message);
    }
    this.#order = kept;
  }
}
