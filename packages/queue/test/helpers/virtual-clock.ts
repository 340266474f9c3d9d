/** A wall clock that moves only when the test says, with timers that fire as it passes them. */
import type { QueueClock } from '../../src/index.js';

export class VirtualClock implements QueueClock {
  #now: number;
  #nextId = 1;
  readonly #timers = new Map<number, { dueMs: number; callback: () => void }>();

  constructor(startMs: number) {
    this.#now = startMs;
  }

  nowMs(): number {
    return this.#now;
  }

  setTimer(callback: () => void, delayMs: number): unknown {
    const id = this.#nextId++;
    this.#timers.set(id, { dueMs: this.#now + delayMs, callback });
    return id;
  }

  /** Timers set and not yet run or cleared. */
  get pendingTimers(): number {
    return this.#timers.size;
  }

  clearTimer(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /** Moves time on by `ms` and runs the timers that fell due, in due order (then id order). */
  advance(ms: number): void {
    this.#now += ms;
    const due = [...this.#timers]
      .filter(([, timer]) => timer.dueMs <= this.#now)
      .sort(([a, x], [b, y]) => x.dueMs - y.dueMs || a - b);
    for (const [id, timer] of due) {
      this.#timers.delete(id);
      timer.callback();
    }
  }
}

export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
