/**
 * One job: check, message by message, that a stream read in order is a whole log: every message a
 * shipper's, all of one log, offsets dense from 0 (a seglog log always starts at offset 0, so a
 * restored log can have the original's offsets only if the stream has them all). Pure.
 */
import { ErrorCodes, SeglogError } from '@seglog/types';
import type { ShippedRecordMeta } from './message-headers.js';

export class RestoreCheck {
  #logIdHex: string | null = null;
  #next = 0;

  get logIdHex(): string | null {
    return this.#logIdHex;
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
    if (this.#logIdHex === null) this.#logIdHex = meta.logIdHex;
    if (meta.logIdHex !== this.#logIdHex) {
      throw new SeglogError(ErrorCodes.JETSTREAM_DIVERGED, `stream message ${seq} belongs to log ${meta.logIdHex}, earlier ones to ${this.#logIdHex}`, { offset: meta.offset });
    }
    if (meta.offset !== this.#next) {
      throw new SeglogError(
        ErrorCodes.JETSTREAM_GAP,
        `stream message ${seq} holds offset ${meta.offset} where offset ${this.#next} was expected: the stream lacks records ${this.#next}..${meta.offset - 1}` +
          (this.#next === 0 ? ' (shipping started after retention had dropped them)' : ''),
        { offset: this.#next },
      );
    }
    this.#next += 1;
  }
}
