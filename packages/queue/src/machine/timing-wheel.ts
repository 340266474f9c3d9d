/**
 * One job: a hashed timing wheel (Varghese and Lauck), the timer index of the queue: ack
 * deadlines, delays and backoff. `schedule` and `cancel` are O(1); `advance` visits only the slots
 * of the ticks that passed (at most one full turn, however long the gap), so no code path scans
 * every pending timer the way NATS's `checkPending` did (nats-server PR #2898).
 *
 * A timer due at `dueMs` lands in slot `tick % slotCount` with its absolute tick; a slot holds
 * timers of several turns, and `advance` fires only those whose tick has come. Timers fire at most
 * one tick late and never early. The wheel holds no clock of its own: the caller passes the time,
 * which keeps it deterministic under test and lets the queue rebuild it at open from state.
 */
import { SeglogError } from '@seglog/types';

export interface TimingWheelOptions {
  /** Resolution in milliseconds. Default 10. */
  readonly tickMs?: number;
  /** Slots in one turn. Default 1024 (about 10 s per turn at 10 ms). */
  readonly slotCount?: number;
  /** The time the wheel starts at; timers due before it fire at the first `advance`. */
  readonly startMs: number;
}

/** A scheduled timer; pass it to `cancel`. */
export interface WheelTimer<T> {
  readonly value: T;
  readonly dueMs: number;
}

interface Slot<T> {
  readonly timers: Set<LiveTimer<T>>;
}

interface LiveTimer<T> extends WheelTimer<T> {
  readonly tick: number;
  slot: Slot<T> | null;
}

export const WHEEL_TICK_MS_DEFAULT = 10;
export const WHEEL_SLOTS_DEFAULT = 1024;

export class TimingWheel<T> {
  readonly tickMs: number;
  readonly #slots: Slot<T>[];
  /** The last tick whose timers have fired. */
  #tick: number;
  #size = 0;

  constructor(options: TimingWheelOptions) {
    this.tickMs = positiveInteger('tickMs', options.tickMs ?? WHEEL_TICK_MS_DEFAULT);
    const slotCount = positiveInteger('slotCount', options.slotCount ?? WHEEL_SLOTS_DEFAULT);
    this.#slots = Array.from({ length: slotCount }, () => ({ timers: new Set<LiveTimer<T>>() }));
    this.#tick = Math.floor(options.startMs / this.tickMs);
  }

  /** Timers scheduled and not yet fired or cancelled. */
  get size(): number {
    return this.#size;
  }

  /** O(1). A timer due now or in the past fires at the next `advance`. */
  schedule(value: T, dueMs: number): WheelTimer<T> {
    if (!Number.isFinite(dueMs)) throw new TypeError(`dueMs must be a finite number, got ${dueMs}`);
    // Round up so a timer never fires early; a due tick already passed moves to the next one.
    const tick = Math.max(Math.ceil(dueMs / this.tickMs), this.#tick + 1);
    const slot = this.#slots[tick % this.#slots.length]!;
    const timer: LiveTimer<T> = { value, dueMs, tick, slot };
    slot.timers.add(timer);
    this.#size++;
    return timer;
  }

  /** O(1). Returns false when the timer already fired or was cancelled. */
  cancel(timer: WheelTimer<T>): boolean {
    const live = timer as LiveTimer<T>;
    if (live.slot === null) return false;
    live.slot.timers.delete(live);
    live.slot = null;
    this.#size--;
    return true;
  }

  /**
   * Fires every timer due at or before `nowMs`, in tick order, and returns their values. Visits
   * min(elapsed ticks, slotCount) slots.
   */
  advance(nowMs: number): T[] {
    const target = Math.floor(nowMs / this.tickMs);
    const fired: T[] = [];
    if (target <= this.#tick) return fired;
    const steps = Math.min(target - this.#tick, this.#slots.length);
    for (let step = 1; step <= steps; step++) {
      this.#fireSlot(this.#slots[(this.#tick + step) % this.#slots.length]!, target, fired);
    }
    this.#tick = target;
    return fired;
  }

  #fireSlot(slot: Slot<T>, target: number, fired: T[]): void {
    if (slot.timers.size === 0) return;
    const due = [...slot.timers].filter((timer) => timer.tick <= target).sort((a, b) => a.tick - b.tick);
    for (const timer of due) {
      slot.timers.delete(timer);
      timer.slot = null;
      this.#size--;
      fired.push(timer.value);
    }
  }
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw SeglogError.invalidOption(name, `must be an integer >= 1, got ${value}`);
  return value;
}
