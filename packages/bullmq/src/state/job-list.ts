/**
 * One job: a Redis-shaped list of job ids (BullMQ's `wait` and `active` lists). Index 0 is the left
 * end, where plain adds go (`LPUSH`); workers take from the right end (`RPOP`), and a LIFO add or a
 * job put back goes on the right (`RPUSH`) so it is taken next. Ranges read left to right, as
 * `LRANGE` does, so getters return ids in the order BullMQ's Redis backend does.
 *
 * Stored right-to-left in an array with a moving head, so the hot operations (push left, pop right)
 * are O(1) amortized; removing a given id is O(n), as `LREM` is.
 */
export class JobList {
  /** items[head] is the rightmost id (taken next); items[length - 1] the leftmost. */
  #items: string[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  pushLeft(id: string): void {
    this.#items.push(id);
  }

  pushRight(id: string): void {
    if (this.#head > 0) this.#items[--this.#head] = id;
    else this.#items.unshift(id);
  }

  popRight(): string | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const id = this.#items[this.#head];
    this.#head++;
    this.#compact();
    return id;
  }

  /** Removes one occurrence of `id`; true if it was there. */
  remove(id: string): boolean {
    const index = this.#items.lastIndexOf(id);
    if (index < this.#head) return false;
    this.#items.splice(index, 1);
    return true;
  }

  /** Ids from index `start` to `end` inclusive, left to right; negative indexes count from the right, as LRANGE. */
  range(start: number, end: number): string[] {
    const length = this.length;
    const [from, to] = normalizeRange(start, end, length);
    const out: string[] = [];
    for (let i = from; i <= to; i++) out.push(this.#items[this.#items.length - 1 - i] as string);
    return out;
  }

  /** Every id, left to right. */
  all(): string[] {
    return this.range(0, -1);
  }

  clear(): void {
    this.#items = [];
    this.#head = 0;
  }

  #compact(): void {
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }
}

/** Redis range semantics: negative indexes count from the end; the result is clamped (empty when from > to). */
export function normalizeRange(start: number, end: number, length: number): [number, number] {
  let from = start < 0 ? length + start : start;
  let to = end < 0 ? length + end : end;
  if (from < 0) from = 0;
  if (to >= length) to = length - 1;
  return [from, to];
}
