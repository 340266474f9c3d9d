/**
 * One job: keep many publishes in flight to the stream, bounded, and turn their acknowledgements,
 * which may settle in any order, into one advancing "shipped" position.
 *
 * Invariants:
 * - Publish k names the stream sequence of publish k-1 as the subject's expected last sequence,
 *   so JetStream stores publish k only right after k-1: the stream stays a gap-free prefix of the
 *   log however the publishes race, and a publish that lands twice is refused or de-duplicated.
 * - The shipped position moves only over a run of acknowledged publishes that starts at it, and
 *   only forward. An acknowledgement that names another sequence than the one publish k must get
 *   is divergence (someone else writes the subject), fatal.
 * - The first failure stops the window: `send` throws it from then on, and the shipper waits for
 *   `settled()` before it asks the stream where to resume.
 * - At most `maxInFlight` publishes and `maxInFlightBytes` payload bytes are unacknowledged
 *   (one publish is always allowed, so a record larger than the byte cap still ships).
 *
 * Why `send` does not publish at once: the nats client flushes its outbound buffer to the socket
 * in a microtask queued by the first message after the buffer was empty, and the follower yields
 * one record per microtask, so publishing from `send` wrote one socket write per record (the
 * largest cost in the shipper's CPU profile). `send` queues the record and the window publishes
 * every queued record in one synchronous run on the next macrotask turn (`setImmediate`): one
 * write per run. Order, expected sequences and bounds are unchanged: queued records count as in
 * flight, and are published in the order they were sent.
 */
import type { MsgHdrs, PubAck } from 'nats';
import { assert, ErrorCodes, SeglogError } from '@seglog/types';
import { publishHeaders, type ShippedRecordMeta } from './message-headers.js';

/** Where the window publishes: a `Stream` (stream.ts), or a stand-in in tests. */
export interface Publisher {
  readonly spec: { readonly stream: string };
  publish(payload: Uint8Array, headers: MsgHdrs, timeoutMillis: number): Promise<PubAck>;
}

export interface WindowLimits {
  readonly maxInFlight: number;
  readonly maxInFlightBytes: number;
  readonly publishTimeoutMillis: number;
}

/** One run of acknowledgements handled together. */
export interface ShippedRun {
  /** One past the last acknowledged offset. */
  readonly shippedOffset: number;
  readonly records: number;
  readonly bytes: number;
  /** Acknowledgements JetStream marked duplicate (the record was already stored). */
  readonly duplicates: number;
}

interface Entry {
  readonly offset: number;
  readonly bytes: number;
  readonly expectedSeq: number;
  /** Append time when the log knows it, else when the shipper read the record: lag's clock. */
  readonly sinceMs: number;
  state: 'pending' | 'acked' | 'duplicate' | 'failed';
}

/** A record `send` queued for the next publishing turn. */
interface Unsent {
  readonly entry: Entry;
  readonly payload: Uint8Array;
  readonly headers: MsgHdrs;
}

export class PublishWindow {
  readonly #stream: Publisher;
  readonly #logIdHex: string;
  readonly #limits: WindowLimits;
  readonly #onShipped: (run: ShippedRun) => void;
  readonly #onFailure: (error: Error) => void;
  readonly #entries: Entry[] = [];
  #head = 0;
  #lastSeq: number;
  #inFlightBytes = 0;
  #failure: Error | null = null;
  #drainScheduled = false;
  #unsent: Unsent[] = [];
  #publishScheduled = false;
  #wakeRoom: (() => void) | null = null;
  #wakeSettled: (() => void) | null = null;

  constructor(parts: {
    stream: Publisher;
    logIdHex: string;
    lastSeq: number;
    limits: WindowLimits;
    onShipped: (run: ShippedRun) => void;
    /** Told of the first failure at once, so a follower waiting for records stops waiting. */
    onFailure: (error: Error) => void;
  }) {
    assert(Number.isSafeInteger(parts.lastSeq) && parts.lastSeq >= 0, 'the stream sequence to follow is a count');
    this.#stream = parts.stream;
    this.#logIdHex = parts.logIdHex;
    this.#limits = parts.limits;
    this.#onShipped = parts.onShipped;
    this.#onFailure = parts.onFailure;
    this.#lastSeq = parts.lastSeq;
  }

  get inFlight(): number {
    return this.#entries.length - this.#head;
  }

  get inFlightBytes(): number {
    return this.#inFlightBytes;
  }

  get failure(): Error | null {
    return this.#failure;
  }

  /** Lag's clock of the oldest unacknowledged record, or undefined when none is in flight. */
  get oldestSinceMs(): number | undefined {
    return this.#entries[this.#head]?.sinceMs;
  }

  /**
   * Queues one record once there is room; resolves when it is queued, not when it is acknowledged.
   * It is published on the next macrotask turn with every record queued before it.
   */
  async send(offset: number, payload: Uint8Array, appendTimeMs: number | undefined, readAtMs: number): Promise<void> {
    while (this.#failure === null && this.#full(payload.length)) {
      await new Promise<void>((resolve) => (this.#wakeRoom = resolve));
    }
    if (this.#failure !== null) throw this.#failure;
    const meta: ShippedRecordMeta = { logIdHex: this.#logIdHex, offset, appendTimeMs };
    const entry: Entry = { offset, bytes: payload.length, expectedSeq: this.#lastSeq, sinceMs: appendTimeMs ?? readAtMs, state: 'pending' };
    this.#lastSeq += 1;
    this.#entries.push(entry);
    this.#inFlightBytes += entry.bytes;
    this.#unsent.push({ entry, payload, headers: publishHeaders(meta, entry.expectedSeq) });
    if (!this.#publishScheduled) {
      this.#publishScheduled = true;
      setImmediate(() => this.#publishUnsent());
    }
  }

  /** Publishes the queued records in one synchronous run, so the client writes them in one go. */
  #publishUnsent(): void {
    this.#publishScheduled = false;
    const unsent = this.#unsent;
    this.#unsent = [];
    for (const { entry, payload, headers } of unsent) {
      if (this.#failure !== null) {
        // Its expected sequence can no longer match: never sent, it fails with the window.
        this.#settle(entry, this.#failure);
        continue;
      }
      let acked: Promise<PubAck>;
      try {
        acked = this.#stream.publish(payload, headers, this.#limits.publishTimeoutMillis);
      } catch (error) {
        acked = Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
      acked.then(
        (ack) => this.#settle(entry, this.#judge(entry, ack)),
        (error: unknown) => this.#settle(entry, error instanceof Error ? error : new Error(String(error))),
      );
    }
  }

  /** Resolves once no publish is in flight (after a failure, the shipper waits here before re-syncing). */
  async settled(): Promise<void> {
    while (this.#entries.some((entry, index) => index >= this.#head && entry.state === 'pending')) {
      await new Promise<void>((resolve) => (this.#wakeSettled = resolve));
    }
  }

  #full(bytes: number): boolean {
    if (this.inFlight === 0) return false;
    return this.inFlight >= this.#limits.maxInFlight || this.#inFlightBytes + bytes > this.#limits.maxInFlightBytes;
  }

  #judge(entry: Entry, ack: PubAck): 'acked' | 'duplicate' | Error {
    if (ack.seq === entry.expectedSeq + 1 && ack.stream === this.#stream.spec.stream) return ack.duplicate ? 'duplicate' : 'acked';
    return new SeglogError(
      ErrorCodes.JETSTREAM_DIVERGED,
      `offset ${entry.offset} was acknowledged at ${ack.stream} sequence ${ack.seq}${ack.duplicate ? ' (duplicate)' : ''}, not at ${entry.expectedSeq + 1}: another publisher writes the subject`,
      { offset: entry.offset },
    );
  }

  #settle(entry: Entry, outcome: 'acked' | 'duplicate' | Error): void {
    if (outcome instanceof Error) {
      entry.state = 'failed';
      // Later publishes fail after an earlier one did (their expected sequence cannot match):
      // the first failure is the one that counts.
      if (this.#failure === null) {
        this.#failure = outcome;
        this.#onFailure(outcome);
      }
    } else {
      entry.state = outcome;
    }
    if (!this.#drainScheduled) {
      this.#drainScheduled = true;
      // Acknowledgements that arrive in one read of the socket are handled as one run.
      setImmediate(() => this.#drain());
    }
  }

  #drain(): void {
    this.#drainScheduled = false;
    let records = 0;
    let bytes = 0;
    let duplicates = 0;
    let shippedOffset = -1;
    while (this.#head < this.#entries.length) {
      const entry = this.#entries[this.#head]!;
      if (entry.state !== 'acked' && entry.state !== 'duplicate') break;
      this.#head += 1;
      records += 1;
      bytes += entry.bytes;
      if (entry.state === 'duplicate') duplicates += 1;
      shippedOffset = entry.offset + 1;
    }
    this.#inFlightBytes -= bytes;
    this.#compact();
    if (records > 0) this.#onShipped({ shippedOffset, records, bytes, duplicates });
    this.#wake();
  }

  /** Drops handled entries from the front once they are half the array (amortised O(1) per entry). */
  #compact(): void {
    if (this.#head > 1024 && this.#head * 2 >= this.#entries.length) {
      this.#entries.splice(0, this.#head);
      this.#head = 0;
    }
  }

  #wake(): void {
    const room = this.#wakeRoom;
    this.#wakeRoom = null;
    room?.();
    const settled = this.#wakeSettled;
    this.#wakeSettled = null;
    settled?.();
  }
}
