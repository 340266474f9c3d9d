/**
 * One job: numbers indexed by a dense non-negative integer (a message's sequence number, a queue
 * offset, a sample's rank), in a Float64Array that grows by doubling. What the end-to-end harness
 * keeps per message: no Map or Set entry per message, no hashing, one typed-array store.
 *
 * Indices are bounded (`denseColumnMaxEntries`) so a wild index fails with a coded error instead of
 * allocating gigabytes.
 */
import { ErrorCodes, SeglogError } from '@seglog/types';

/** 2^27 entries (1 GiB of Float64): over 20 minutes of messages at 100,000 per second. */
export const denseColumnMaxEntries = 2 ** 27;
/** 2^20 entries (8 MiB): a 5 s window at 100,000 messages/s and its warm-up without growing. */
export const denseColumnInitialEntries = 2 ** 20;

export class DenseColumn {
  readonly #empty: number;
  #values: Float64Array;

  /** `empty` is what an index never set reads as. */
  constructor(empty: number, initialEntries = denseColumnInitialEntries) {
    if (!Number.isSafeInteger(initialEntries) || initialEntries < 1 || initialEntries > denseColumnMaxEntries) {
      throw SeglogError.invalidOption('initialEntries', `must be an integer in 1-${denseColumnMaxEntries}, got ${initialEntries}`);
    }
    this.#empty = empty;
    this.#values = new Float64Array(initialEntries).fill(empty);
  }

  get(index: number): number {
    return index >= 0 && index < this.#values.length ? this.#values[index]! : this.#empty;
  }

  set(index: number, value: number): void {
    // `index >>> 0 === index`: a non-negative integer below 2^32, in one comparison.
    if (!(index >>> 0 === index && index < this.#values.length)) this.#grow(index);
    this.#values[index] = value;
  }

  /** The first `length` entries, as a view (valid until the next `set` that grows the column). */
  view(length: number): Float64Array {
    return this.#values.subarray(0, Math.min(length, this.#values.length));
  }

  #grow(index: number): void {
    if (!Number.isSafeInteger(index) || index < 0 || index >= denseColumnMaxEntries) {
      throw new SeglogError(ErrorCodes.OUT_OF_RANGE, `index ${index} is outside 0-${denseColumnMaxEntries - 1}`);
    }
    let length = this.#values.length;
    while (length <= index) length *= 2;
    const grown = new Float64Array(length).fill(this.#empty, this.#values.length);
    grown.set(this.#values);
    this.#values = grown;
  }
}
