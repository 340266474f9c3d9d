/**
 * One job: check, message by message, that a stream read in order is one log's records: every
 * message a shipper's, all of one log, offsets dense from the first message's. That first offset
 * may be above 0 (shipping started after retention had dropped the log's start, or the stream's
 * own limits dropped its oldest messages): the restored log then starts there (the store's
 * `firstOffset` option), so every record keeps its original offset. Pure.
 */
import { ErrorCodes, SeglogError } from '@seglog/types';
import type { ShippedRecordMeta } from './message-headers.js';

export class RestoreCheck {
  #logIdHex: string | null = null;
  #first: number | null = null;
  #next = 0;

  get logIdHex(): string | null {
    return this.#logIdHex;
  }

  /** The offset of the first message accepted: where the restored log starts; null before. */
  get firstOffset(): number | null {
    return this.#first;
  }

  /** The offset the next message must carry. */
  get nextOffset(): number {
    return this.#next;
  }

  /** Accepts the message at stream sequence `seq`, or throws what is wrong with it. */
  accept(seq: number, subject: string, expectedSubject: string, meta: ShippedRecordMeta | null): void {
    if (subject !== expectedSubject || meta === null) {
      throw new SeglogError(ErrorCodes.JETSTREAM_DIVERGED, `stream message ${seq} (subject ${subject}) was not published by a shipper of subject ${expectedSubject}`, { offset: this.#next });
    }
    if (this.#logIdHex === null) {
      this.#logIdHex = meta.logIdHex;
      this.#first = meta.offset;
      this.#next = meta.offset;
    }
    if (meta.logIdHex !== this.#logIdHex) {
      throw new SeglogError(ErrorCodes.JETSTREAM_DIVERGED, `stream message ${seq} belongs to log ${meta.logIdHex}, earlier ones to ${this.#logIdHex}`, { offset: meta.offset });
    }
    if (meta.offset !== this.#next) {
      throw new SeglogError(
        ErrorCodes.JETSTREAM_GAP,
        `stream message ${seq} holds offset ${meta.offset} where offset ${this.#next} was expected: ` +
          (meta.offset > this.#next ? `the stream lacks records ${this.#next}..${meta.offset - 1}` : 'offsets go back'),
        { offset: this.#next },
      );
    }
    this.#next += 1;
  }
}
