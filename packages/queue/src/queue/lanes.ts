/**
 * One job: the ready messages of a group, one FIFO per priority lane, popped highest lane first.
 * O(1) push and pop (a deque with a moving head, compacted when half empty).
 */
export class Fifo<T> {
  #items: T[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head++];
    if (this.#head > 64 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }
}

export class PriorityLanes {
  readonly #lanes: Fifo<number>[];
  #size = 0;

  constructor(laneCount: number) {
    this.#lanes = Array.from({ length: laneCount }, () => new Fifo<number>());
  }

  get size(): number {
    return this.#size;
  }

  push(priority: number, seq: number): void {
    this.#lanes[priority]!.push(seq);
    this.#size++;
  }

  /** The oldest message of the highest non-empty lane. */
  shift(): number | undefined {
    for (let lane = this.#lanes.length - 1; lane >= 0; lane--) {
      const seq = this.#lanes[lane]!.shift();
      if (seq !== undefined) {
        this.#size--;
        return seq;
      }
    }
    return undefined;
  }
}
