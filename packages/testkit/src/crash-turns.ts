/**
 * One job: time in a simulated run, counted in event-loop turns instead of read from a clock, so a
 * seed replays the same interleaving: a clock that ticks on every reading, a helper to wait turns,
 * and the crash timer that cuts the power after a given number of turns.
 *
 * Every SimFileIO call completes on a later turn (setImmediate), so one turn is about one system
 * call deep: a crash timer of n turns lands after roughly n rounds of I/O, at any point of an
 * append, a roll, a recovery or a close.
 */
import type { Clock } from '@seglog/types';
import type { CrashOptions, SimFileIO } from './sim-file-io.js';

export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export async function waitTurns(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await nextTurn();
}

/**
 * A clock that moves `stepMicros` forward on every reading: deterministic, and a commit window
 * below 1 ms (which the store waits out with setImmediate re-checks) always closes.
 */
export function steppingClock(stepMicros: number): Clock {
  let nowMicros = 0;
  return { nowMicros: () => (nowMicros += stepMicros) };
}

/** Cuts the power of `sim` after `turns` unpaused turns. */
export class CrashTimer {
  readonly #sim: SimFileIO;
  readonly #crash: CrashOptions;
  #remaining: number;
  #paused = false;
  #fired = false;
  #stopped = false;
  readonly #waiters: Array<() => void> = [];

  constructor(sim: SimFileIO, turns: number, crash: CrashOptions = {}) {
    this.#sim = sim;
    this.#remaining = turns;
    this.#crash = crash;
    if (Number.isFinite(turns)) void this.#run();
  }

  get fired(): boolean {
    return this.#fired;
  }

  /** Turns do not count while paused: the checks between boots must not be cut short. */
  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
  }

  /** Brings the power cut forward to at most `turns` from now: aims it at what starts now. */
  fireWithin(turns: number): void {
    this.#remaining = Math.min(this.#remaining, turns);
  }

  /** Disarms the timer (the boot ended another way). */
  stop(): void {
    this.#stopped = true;
  }

  /** Resolves when the power has been cut. */
  whenFired(): Promise<void> {
    if (this.#fired) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  async #run(): Promise<void> {
    while (this.#remaining > 0) {
      await nextTurn();
      if (this.#stopped) return;
      if (!this.#paused) this.#remaining--;
    }
    this.#sim.crash(this.#crash);
    this.#fired = true;
    for (const resolve of this.#waiters.splice(0)) resolve();
  }
}
