/**
 * One job: the 128-byte message of the end-to-end queue benchmark, as text (BullMQ and pg-boss
 * carry it as a JSON string field) and as bytes (seglog carries it as the payload), and reading its
 * sequence number back out of either.
 *
 * Layout, 128 ASCII characters: the sequence number in `seqDigits` zero-padded decimal digits, a
 * ':', then 'x' padding. Every system carries the same 128 bytes; the consumer's side reads only
 * the fixed header (a length check, the digits, the separator), so identifying a message costs
 * about 13 character reads, not a hash of a freshly decoded 128-character string, and no decode of
 * the whole payload. The send time is not in the message: the ledger (ack-ledger.ts) keeps it by
 * sequence number, so nothing is formatted or parsed as a float per message.
 *
 * Bytes come from slabs: a 64 KiB Uint8Array filled with the message template once, handed out as
 * 128-byte views whose digits are written in place. A fresh `new Uint8Array(128)` (or
 * TextEncoder.encode) gets its own off-heap backing store, which cost 650-850 ns per message on this
 * machine against about 55 ns for a view (micro-benchmark, docs/benchmarks.md); Node's own
 * `Buffer.from`/`Buffer.allocUnsafe` pool small buffers the same way, so a queue receiving views of
 * a shared ArrayBuffer is what applications hand it too. A view is never written again after it is
 * handed out (the queue may keep it as its cached payload).
 */
import { ErrorCodes, SeglogError } from '@seglog/types';

export const messageBytes = 128;
/** Decimal digits of the sequence number: 10^12 messages, far beyond any run. */
export const seqDigits = 12;
export const maxMessageSeq = 10 ** seqDigits - 1;
/** `seqOf*` for a message that is not one of ours (wrong length, not digits, no separator). */
export const malformedSeq = -1;

const separator = ':';
const separatorCode = 0x3a;
const padding = 'x';
const paddingCode = 0x78;
const zeroCode = 0x30;
const zeros = '0'.repeat(seqDigits);
/** Everything after the digits: ':' and the padding, built once. */
const textTail = separator + padding.repeat(messageBytes - seqDigits - 1);
const slabMessages = 512;

function checkSeq(seq: number): void {
  if (!Number.isSafeInteger(seq) || seq < 0 || seq > maxMessageSeq) {
    throw new SeglogError(ErrorCodes.OUT_OF_RANGE, `message sequence ${seq} is outside 0-${maxMessageSeq}`);
  }
}

/** The message with sequence number `seq` as a 128-character string. */
export function messageText(seq: number): string {
  checkSeq(seq);
  const digits = String(seq);
  return zeros.slice(digits.length) + digits + textTail;
}

/** The sequence number of a message read back as text, or `malformedSeq`. */
export function seqOfText(text: string): number {
  if (text.length !== messageBytes || text.charCodeAt(seqDigits) !== separatorCode) return malformedSeq;
  let seq = 0;
  for (let i = 0; i < seqDigits; i++) {
    const digit = text.charCodeAt(i) - zeroCode;
    if (digit < 0 || digit > 9) return malformedSeq;
    seq = seq * 10 + digit;
  }
  return seq;
}

/** The sequence number of a message read back as bytes, or `malformedSeq`. */
export function seqOfBytes(bytes: Uint8Array): number {
  if (bytes.length !== messageBytes || bytes[seqDigits] !== separatorCode) return malformedSeq;
  let seq = 0;
  for (let i = 0; i < seqDigits; i++) {
    const digit = bytes[i]! - zeroCode;
    if (digit < 0 || digit > 9) return malformedSeq;
    seq = seq * 10 + digit;
  }
  return seq;
}

/** A slab of `slabMessages` copies of the template (digits all '0'), filled by doubling copies. */
function templateSlab(): Uint8Array {
  const slab = new Uint8Array(slabMessages * messageBytes);
  slab.fill(zeroCode, 0, seqDigits);
  slab[seqDigits] = separatorCode;
  slab.fill(paddingCode, seqDigits + 1, messageBytes);
  for (let filled = messageBytes; filled < slab.length; filled *= 2) slab.copyWithin(filled, 0, filled);
  return slab;
}

/** Hands out messages as 128-byte views of template slabs (see the file comment). */
export class MessageSlabs {
  #slab = templateSlab();
  #next = 0;

  /** The message with sequence number `seq` as bytes: a view nobody else is given. */
  bytes(seq: number): Uint8Array {
    checkSeq(seq);
    if (this.#next === this.#slab.length) {
      this.#slab = templateSlab();
      this.#next = 0;
    }
    const start = this.#next;
    this.#next += messageBytes;
    const view = this.#slab.subarray(start, this.#next);
    // Digits right to left; the template's '0's stay where the number has no digit.
    for (let i = seqDigits - 1, rest = seq; rest > 0; i--, rest = Math.floor(rest / 10)) {
      view[i] = zeroCode + (rest % 10);
    }
    return view;
  }
}
