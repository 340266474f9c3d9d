/**
 * One job: a histogram of the recent past only. The interval is split into SLOTS slots; a value
 * goes into the slot of the current time, and a slot is cleared when time comes round to it
 * again. A summary merges the slots still inside the interval, so it covers between
 * (SLOTS-1)/SLOTS and all of the interval. Recording stays O(1) and allocation-free.
 *
 * It also keeps the total since creation: a slot is added to `retired` before it is cleared, so
 * the total is `retired` plus the live slots. One record per value serves both views, which
 * matters on the append path (two latencies per append).
 */
import type { Summary } from '@seglog/types';
import { Histogram } from './histogram.js';

const SLOTS = 5;

export class SlidingHistogram {
  readonly intervalMicros: number;
  readonly #slotMicros: number;
  readonly #slots: Histogram[] = Array.from({ length: SLOTS }, () => new Histogram());
  /** Which slot number (time / slotMicros) each slot currently holds. */
  readonly #slotEpochs = new Array<number>(SLOTS).fill(-1);
  /** Every value recorded in slots that have since been reused. */
  readonly #retired = new Histogram();

  constructor(intervalMicros: number) {
    this.intervalMicros = intervalMicros;
    this.#slotMicros = intervalMicros / SLOTS;
  }

  #slotFor(nowMicros: number): Histogram {
    const epoch = Math.floor(nowMicros / this.#slotMicros);
    const index = epoch % SLOTS;
    if (this.#slotEpochs[index] !== epoch) {
      this.#retired.add(this.#slots[index]!);
      this.#slots[index]!.clear();
      this.#slotEpochs[index] = epoch;
    }
    return this.#slots[index]!;
  }

  record(value: number, nowMicros: number): void {
    this.#slotFor(nowMicros).record(value);
  }

  /** Values recorded within the interval before `nowMicros`. */
  merged(nowMicros: number): Histogram {
    const epoch = Math.floor(nowMicros / this.#slotMicros);
    const merged = new Histogram();
    for (let i = 0; i < SLOTS; i++) {
      const slotEpoch = this.#slotEpochs[i]!;
      if (slotEpoch >= 0 && epoch - slotEpoch < SLOTS) merged.add(this.#slots[i]!);
    }
    return merged;
  }

  /** Every value ever recorded. */
  total(): Histogram {
    const total = new Histogram();
    total.add(this.#retired);
    for (const slot of this.#slots) total.add(slot);
    return total;
  }

  summary(nowMicros: number): Summary {
    return this.merged(nowMicros).summary();
  }
}
