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
 * Entries go in enqueue order and leave in that order when the budget is passed, or when the
 * message is no longer held by any group (`forget`). A miss is not an error: the caller reads the
 * log, which holds every payload. Keys are payload locations (record offset, index in it), which
 * dead letters and redriven messages share with the original.
 */
import type { PayloadLocation } from './commands.js';

/** Index bits of a numeric key: a record holds far fewer than 2^20 enqueues (512 KiB per enqueueMany record). */
const INDEX_SPAN = 2 ** 20;
const OFFSET_MAX = Number.MAX_SAFE_INTEGER / INDEX_SPAN;

/**
 * A number, not a string: the key is made three times per message (remember, recall, forget), and
 * a template string per call was a measurable share of the queue's CPU. A location outside the
 * span (never seen in practice) is not cached: its delivery reads the log.
 */
const keyOf = (loc: PayloadLocation): number | undefined =>
  loc[1] < INDEX_SPAN && loc[0] < OFFSET_MAX ? loc[0] * INDEX_SPAN + loc[1] : undefined;

export class PayloadCache {
  readonly #budgetBytes: number;
  readonly #entries = new Map<number, Uint8Array>();
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
  remember(loc: PayloadLocation, payload: Uint8Array): void {
    if (payload.byteLength > this.#budgetBytes) return;
    const key = keyOf(loc);
    if (key === undefined || this.#entries.has(key)) return;
    this.#entries.set(key, payload);
    this.#bytes += payload.byteLength;
    if (this.#bytes <= this.#budgetBytes) return;
    for (const [oldest, bytes] of this.#entries) {
      if (this.#bytes <= this.#budgetBytes) break;
      this.#entries.delete(oldest);
      this.#bytes -= bytes.byteLength;
    }
  }

  /** A copy the caller owns, or undefined on a miss. */
  recall(loc: PayloadLocation): Uint8Array | undefined {
    const key = keyOf(loc);
    const found = key === undefined ? undefined : this.#entries.get(key);
    if (found === undefined) this.misses++;
    else this.hits++;
    return found?.slice();
  }

  /**
   * The cached bytes themselves, leaving the cache: for the last delivery that will want them (one
   * group holds the message), which then owns them without a copy. A later delivery of the same
   * payload (a redelivery, a dead letter) misses and reads the log.
   */
  take(loc: PayloadLocation): Uint8Array | undefined {
    const key = keyOf(loc);
    const found = key === undefined ? undefined : this.#entries.get(key);
    if (key === undefined || found === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.#entries.delete(key);
    this.#bytes -= found.byteLength;
    return found;
  }

  forget(loc: PayloadLocation): void {
    const key = keyOf(loc);
    const found = key === undefined ? undefined : this.#entries.get(key);
    if (key === undefined || found === undefined) return;
    this.#entries.delete(key);
    this.#bytes -= found.byteLength;
  }
}
