/**
 * One job: the ack deadlines of one group's deliveries, in delivery order, without a timer per
 * delivery. Every delivery of a group gets the same lease length (its `ackDeadlineMs`), so their
 * deadlines come in order and a line (a FIFO) holds them sorted: the due ones are at its head.
 * A settle, nak or extend removes nothing here; an entry whose lease is no longer the current one
 * is skipped when it comes due, and the line is compacted whenever it holds more than twice the
 * group's live leases, so its size stays proportional to them (amortized O(1) per delivery).
 *
 * A timer per delivery (a wheel timer object, its event, a hash-set entry in the wheel's slot and
 * a map entry to cancel it by) was scheduled and cancelled for every message: the objects and the
 * hash-table churn were a large share of the garbage that lived long enough to be promoted.
 *
 * A deadline earlier than the line's last (a clock that stepped back) is refused: the caller puts
 * that one on the timing wheel, so the line stays sorted and no lease lapses late.
 */
import { queueLimits } from './options.js';

/** Whether an entry is still its message's current lease. */
export type LiveCheck = (seq: number, attempt: number, deadline: number) => boolean;

export class LeaseLine {
  /** Triples (seq, attempt, deadline) from `#head` on: one array of numbers, no object per entry. */
  #entries: number[] = [];
  #head = 0;

  /** Entries held, stale ones included. */
  get length(): number {
    return (this.#entries.length - this.#head) / 3;
  }

  /**
   * Adds a delivery's deadline; false (nothing added) when it is earlier than the last one.
   * `liveLeases`: the group's current leases, which bound the line after a compaction.
   */
  push(seq: number, attempt: number, deadline: number, isLive: LiveCheck, liveLeases: number): boolean {
    const entries = this.#entries;
    if (entries.length > this.#head && entries[entries.length - 1]! > deadline) return false;
    if (this.length >= 2 * liveLeases + queueLimits.leaseLineSlack) this.#compact(isLive);
    this.#entries.push(seq, attempt, deadline);
    return true;
  }

  /**
   * Removes the entries due at `nowMs` (deadline at or before it) and calls `due` for each, in
   * deadline order; the caller tells stale ones apart.
   */
  takeDue(nowMs: number, due: (seq: number, attempt: number, deadline: number) => void): void {
    const entries = this.#entries;
    while (this.#head < entries.length && entries[this.#head + 2]! <= nowMs) {
      const at = this.#head;
      this.#head += 3;
      due(entries[at]!, entries[at + 1]!, entries[at + 2]!);
    }
    if (this.#head === entries.length) this.clear();
    else if (this.#head > 3 * 1024 && this.#head * 2 > entries.length) {
      this.#entries = entries.slice(this.#head);
      this.#head = 0;
    }
  }

  clear(): void {
    this.#entries = [];
    this.#head = 0;
  }

  /** Keeps only the entries whose lease is still current. */
  #compact(isLive: LiveCheck): void {
    const kept: number[] = [];
    const entries = this.#entries;
    for (let at = this.#head; at < entries.length; at += 3) {
      const seq = entries[at]!;
      const attempt = entries[at + 1]!;
      const deadline = entries[at + 2]!;
      if (isLive(seq, attempt, deadline)) kept.push(seq, attempt, deadline);
    }
    this.#entries = kept;
    this.#head = 0;
  }
}
