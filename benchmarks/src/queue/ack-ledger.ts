/**
 * One job: the end-to-end harness's exactly-once bookkeeping, the same for every peer. Each
 * message gets the next sequence number when its enqueue is called (`send`), and its send time is
 * kept under that number; an ack (`ack`) of an outstanding message settles it and returns its send
 * time. Anything else is counted and never settles a message: a second ack of the same message
 * (`duplicateAcks`), a sequence number never sent or a malformed message (`unknownAcks`). Whatever
 * is still outstanding at the end was never acked (`outstanding`, reported as missing).
 *
 * One Float64Array slot per message (dense-column.ts): the send time while outstanding, `ackedMark`
 * once acked. No Set keyed by message text (a hash of a 128-character string per ack), no second
 * table for send times.
 */
import { SeglogError } from '@seglog/types';
import { DenseColumn } from './dense-column.js';

/** What an acked message's slot holds: below any send time (clock readings are >= 0). */
const ackedMark = -1;

export class AckLedger {
  readonly #sentMs = new DenseColumn(ackedMark);
  #sent = 0;
  #acked = 0;
  #duplicateAcks = 0;
  #unknownAcks = 0;

  /** Registers a message sent at `nowMs` (>= 0) and returns its sequence number. */
  send(nowMs: number): number {
    if (!(nowMs >= 0)) throw SeglogError.invalidOption('nowMs', `must be a clock reading >= 0, got ${nowMs}`);
    const seq = this.#sent;
    this.#sentMs.set(seq, nowMs);
    this.#sent = seq + 1;
    return seq;
  }

  /**
   * Settles message `seq` and returns its send time, or returns -1 (and counts it) when it was
   * never sent, is malformed (a negative `seq`) or was acked before.
   */
  ack(seq: number): number {
    if (!(seq >= 0 && seq < this.#sent)) {
      this.#unknownAcks++;
      return ackedMark;
    }
    const sentMs = this.#sentMs.get(seq);
    if (sentMs === ackedMark) {
      this.#duplicateAcks++;
      return ackedMark;
    }
    this.#sentMs.set(seq, ackedMark);
    this.#acked++;
    return sentMs;
  }

  /** Messages sent so far. */
  get sent(): number {
    return this.#sent;
  }

  /** Messages acked once (the first ack of each). */
  get acked(): number {
    return this.#acked;
  }

  /** Sent and not acked yet: at the end of a run, the missing acks. */
  get outstanding(): number {
    return this.#sent - this.#acked;
  }

  get duplicateAcks(): number {
    return this.#duplicateAcks;
  }

  get unknownAcks(): number {
    return this.#unknownAcks;
  }

  /** Acks that settled nothing: duplicates plus unknown. Must be 0. */
  get unexpectedAcks(): number {
    return this.#duplicateAcks + this.#unknownAcks;
  }
}
