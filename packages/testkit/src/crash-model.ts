/**
 * One job: what a crash-tested log must hold, and the check of a reopened log against it.
 *
 * The model knows, per offset, the payload it must hold: `known` (acknowledged, or read back after
 * an earlier recovery, which makes it part of the log for good) and, for the current run of the
 * log, what was submitted. An append admitted at once (log.nextOffset moved when it was called) has
 * a `predicted` offset: the one nextOffset had, and an appendMany run is contiguous from there. An
 * append that had to wait for room (backpressure) gets its offset later, in an order the store may
 * choose (it alternates a small-record and a large-record queue): it is `floating` until
 * acknowledged. An unacknowledged record may survive a crash; then it must be the one predicted at
 * its offset, or else one of the floating payloads (each used once).
 *
 * The check after recovery, on every record the system under test reads back on the new boot
 * (its `readAll`, which must start at offset 0 and return offsets densely, in order):
 * - every acknowledged offset is there (end >= one past the highest acknowledged offset), and
 *   `log.nextOffset` equals that end;
 * - every record read equals the payload known or submitted at its offset, byte for byte: no
 *   record is returned that was never appended there.
 */

/** A broken guarantee, with everything needed to replay it. */
export class CrashCheckFailure extends Error {
  readonly seed: number;

  constructor(seed: number, where: string, what: string, options?: { cause?: unknown }) {
    super(`${what} [${where}]; reproduce with SEGLOG_SEED=${seed}`, options);
    this.name = 'CrashCheckFailure';
    this.seed = seed;
  }
}

export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (cause: ${error.cause.message})` : '';
  return `${error.message}${cause}`;
}

function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : length;
}

/** What one append or appendMany handed to the log, for checking its acknowledgement. */
export interface Submission {
  readonly payloads: readonly Uint8Array[];
  /** Offset of the first record if any of the run was admitted at once, else null. */
  readonly predicted: number | null;
}

function keyOf(payload: Uint8Array): string {
  return Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('base64');
}

export class LogModel {
  readonly seed: number;
  /** Where the model is, for failure messages: updated by the workload. */
  where = 'setup';
  readonly #known = new Map<number, Uint8Array>();
  /** One past the highest acknowledged (or recovered) offset: everything below must survive. */
  #ackedEnd = 0;
  readonly #predicted = new Map<number, Uint8Array>();
  /** Payloads submitted without an offset yet, by content, with how many times each was submitted. */
  readonly #floating = new Map<string, number>();
  #acks = 0;

  constructor(seed: number) {
    this.seed = seed;
  }

  get ackedEnd(): number {
    return this.#ackedEnd;
  }

  /** Acknowledgements seen so far, all boots together. */
  get acks(): number {
    return this.#acks;
  }

  fail(what: string, cause?: unknown): CrashCheckFailure {
    return new CrashCheckFailure(this.seed, this.where, what, cause === undefined ? undefined : { cause });
  }

  /**
   * Records a submission. `before` and `after` are log.nextOffset just before and just after the
   * call: the records admitted at once took the offsets in between.
   */
  submit(payloads: readonly Uint8Array[], before: number, after: number): Submission {
    const copies = payloads.map((payload) => payload.slice());
    if (after === before) {
      for (const payload of copies) this.#float(keyOf(payload), +1);
      return { payloads: copies, predicted: null };
    }
    if (after - before > copies.length) throw this.fail(`one append of ${copies.length} records moved nextOffset from ${before} to ${after}`);
    // The run is contiguous from its first admitted record, queued rest included.
    for (const [i, payload] of copies.entries()) this.#predicted.set(before + i, payload);
    return { payloads: copies, predicted: before };
  }

  /** `submission` resolved with `offset`. */
  ack(submission: Submission, offset: number): void {
    const { payloads, predicted } = submission;
    if (predicted !== null && offset !== predicted) {
      throw this.fail(`an append admitted at offset ${predicted} resolved with ${offset}`);
    }
    if (predicted === null) {
      for (const payload of payloads) this.#float(keyOf(payload), -1);
    }
    for (const [i, payload] of payloads.entries()) {
      const o = offset + i;
      if (this.#known.has(o)) throw this.fail(`offset ${o} acknowledged again: it already holds a record`);
      this.#known.set(o, payload);
      if (predicted === null) this.#predicted.set(o, payload);
    }
    this.#ackedEnd = Math.max(this.#ackedEnd, offset + payloads.length);
    this.#acks++;
  }

  #float(key: string, delta: number): void {
    const count = (this.#floating.get(key) ?? 0) + delta;
    if (count > 0) this.#floating.set(key, count);
    else this.#floating.delete(key);
  }

  /**
   * Checks the reopened log against the model (see the file header): `payloads` is every record
   * read back from offset 0, `nextOffset` what the reopened log says comes next. Then takes what
   * was read as the new truth: records that survived are part of the log from now on.
   */
  check(payloads: readonly Uint8Array[], nextOffset: number): { records: number; unackedSurvivors: number } {
    if (payloads.length < this.#ackedEnd) {
      throw this.fail(`acknowledged records lost: the log ends at offset ${payloads.length} but offsets up to ${this.#ackedEnd - 1} were acknowledged`);
    }
    if (nextOffset !== payloads.length) {
      throw this.fail(`log.nextOffset is ${nextOffset} after recovery but the reader finds ${payloads.length} records`);
    }
    for (const [offset, payload] of payloads.entries()) this.#checkRecord(offset, payload);
    const unackedSurvivors = payloads.length - this.#ackedEnd;
    this.#known.clear();
    for (const [offset, payload] of payloads.entries()) this.#known.set(offset, payload);
    this.#predicted.clear();
    this.#floating.clear();
    this.#ackedEnd = payloads.length;
    return { records: payloads.length, unackedSurvivors };
  }

  #checkRecord(offset: number, payload: Uint8Array): void {
    const known = this.#known.get(offset);
    const expected = known ?? this.#predicted.get(offset);
    if (expected === undefined) {
      const key = keyOf(payload);
      if (!this.#floating.has(key)) {
        throw this.fail(`offset ${offset} reads back a ${payload.length}-byte record that was never appended (nor waiting to be)`);
      }
      this.#float(key, -1);
      return;
    }
    const at = firstDifference(payload, expected);
    if (at >= 0) {
      const kind = known !== undefined ? (offset < this.#ackedEnd ? 'acknowledged' : 'known') : 'unacknowledged, admitted at once';
      throw this.fail(`offset ${offset} (${kind}) reads back ${payload.length} bytes differing from the ${expected.length} bytes appended there, first at byte ${at}`);
    }
  }
}
