/**
 * One job: the shipper: follow a log with the reader's durable follow and publish every record to
 * its JetStream stream exactly once, re-syncing with the stream after any failure.
 *
 * The exactly-once argument (docs/jetstream.md has it in full):
 * 1. Every publish names the stream sequence it must follow (publish-window.ts), so the stream
 *    only ever holds a gap-free run of the log's records in offset order.
 * 2. After any failure (timeout, leader election, lost connection, a crash of the shipper) the
 *    shipper waits for its in-flight publishes to settle, then reads the stream's last message
 *    and resumes one past its offset (resume-point.ts). It never re-sends a record below it, so
 *    nothing is duplicated whatever the time since, duplicate window or not; and nothing past it
 *    is skipped, so nothing is lost.
 * 3. A publish from before the failure that lands late carries the same message id and expected
 *    sequence as its re-send: JetStream de-duplicates one or refuses it (wrong last sequence).
 *
 * The retention hold (when on) is raised to the shipped position after the stream acknowledged,
 * at most every `holdIntervalMillis`: records stay in the log until the stream holds them.
 */
import { openReader, type Reader } from '@seglog/reader';
import { setRetentionHold } from '@seglog/store';
import { ErrorCodes, isSeglogError, SeglogError, shipLimits } from '@seglog/types';
import { holdConnection, type HeldConnection } from './connection.js';
import { readLogHead } from './log-identity.js';
import { logIdHexOf } from './message-headers.js';
import { describe } from './nats-errors.js';
import { resolveShipOptions, type ResolvedShipOptions, type ShipOptions } from './options.js';
import { PublishWindow, type ShippedRun } from './publish-window.js';
import { resumePoint, type ResumePoint } from './resume-point.js';
import { lagOf, type ShipperMetrics, type ShipperState } from './shipper-metrics.js';
import { Stream } from './stream.js';

/** Where the shipper records its position in the log's retention holds. */
export interface HoldWriter {
  set(offset: number): Promise<void>;
}

/** How often the shipper re-reads the log's durable end for its lag figures, when nothing else moves it. */
const END_REFRESH_MILLIS = 250;

/**
 * Starts shipping `options.dir` to `options.stream`; resolves once the stream is checked and
 * shipping has begun. While the cluster cannot answer (no server up, a leader election) it keeps
 * trying for `startTimeoutMillis`; divergence, a gap and bad options reject at once.
 */
export async function ship(options: ShipOptions): Promise<Shipper> {
  const resolved = resolveShipOptions(options);
  const head = await readLogHead(resolved.io, resolved.dir);
  const deadline = Date.now() + resolved.startTimeoutMillis;
  for (let backoff: number = shipLimits.retryMillisMin; ; backoff = Math.min(2 * backoff, shipLimits.retryMillisMax)) {
    try {
      return await startShipper(resolved, logIdHexOf(head.logId));
    } catch (error) {
      if (!isSeglogError(error, ErrorCodes.JETSTREAM_UNAVAILABLE) || Date.now() + backoff > deadline) throw error;
      resolved.onError?.(error);
      await pause(backoff, new AbortController().signal);
    }
  }
}

async function startShipper(options: ResolvedShipOptions, logIdHex: string): Promise<Shipper> {
  const held = await holdConnection(options.connection, options.servers, `seglog-shipper ${options.stream}`);
  let reader: Reader | null = null;
  try {
    const spec = { ...options, duplicateWindowMillis: shipLimits.duplicateWindowMillisDefault };
    const stream = await Stream.attach(held.connection, spec);
    await stream.ensure(options.createStream);
    const durable = options.log === undefined ? {} : { durable: options.log };
    reader = await openReader({ dir: options.dir, io: options.io, ...durable });
    const hold = options.holdRetention ? retentionHold(options) : null;
    const shipper = new Shipper({ options, held, stream, reader, logIdHex, hold });
    await shipper.start();
    return shipper;
  } catch (error) {
    await reader?.close();
    await held.release();
    throw error;
  }
}

/** The shipper's retention hold in the log directory (@seglog/store's holds: one durable file, any process). */
function retentionHold(options: ResolvedShipOptions): HoldWriter {
  return {
    set: async (offset) => {
      await setRetentionHold({ dir: options.dir, io: options.io, name: options.holdName, offset });
    },
  };
}

export class Shipper {
  readonly stream: string;
  readonly subject: string;
  /** The log's id, as every shipped message's `Seglog-Log-Id` header carries it. */
  readonly logIdHex: string;
  readonly #options: ResolvedShipOptions;
  readonly #held: HeldConnection;
  readonly #stream: Stream;
  readonly #reader: Reader;
  readonly #hold: HoldWriter | null;
  readonly #listeners = new Set<(shippedOffset: number) => void>();
  readonly #stop = new AbortController();
  #state: ShipperState = 'resyncing';
  #window: PublishWindow | null = null;
  #shipped = 0;
  #readOffset = 0;
  #endOffset = 0;
  #behindSinceMs: number | undefined;
  #counters = { shippedRecords: 0, shippedBytes: 0, duplicates: 0, resyncs: 0, errors: 0, skippedRecords: 0 };
  #heldOffset: number | null = null;
  #heldAtMs = 0;
  #holding: Promise<void> = Promise.resolve();
  #lastError: string | null = null;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> = Promise.resolve();
  #failure: Error | null = null;
  #closing: Promise<void> | null = null;

  /** @internal Use ship(). */
  constructor(parts: {
    options: ResolvedShipOptions;
    held: HeldConnection;
    stream: Stream;
    reader: Reader;
    logIdHex: string;
    hold: HoldWriter | null;
  }) {
    this.#options = parts.options;
    this.#held = parts.held;
    this.#stream = parts.stream;
    this.#reader = parts.reader;
    this.#hold = parts.hold;
    this.logIdHex = parts.logIdHex;
    this.stream = parts.options.stream;
    this.subject = parts.options.subject;
  }

  /** One past the last offset the stream has acknowledged. */
  get shippedOffset(): number {
    return this.#shipped;
  }

  get state(): ShipperState {
    return this.#state;
  }

  /** The error that stopped shipping (divergence, a gap), or null while it runs or after a clean close. */
  get failure(): Error | null {
    return this.#failure;
  }

  /** Resolves when shipping stops: at close, or rejects with the error that stopped it. */
  get stopped(): Promise<void> {
    return this.#running;
  }

  /**
   * Calls `listener` with the new shipped position each time a run of acknowledgements moved it;
   * returns a function that unsubscribes. Keep it cheap: it runs in the acknowledgement path.
   */
  onShipped(listener: (shippedOffset: number) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  metrics(): ShipperMetrics {
    const window = this.#window;
    const inFlight = window?.inFlight ?? 0;
    const inFlightBytes = window?.inFlightBytes ?? 0;
    const endOffset = Math.max(this.#endOffset, this.#readOffset, this.#shipped);
    const lag = lagOf({
      shippedOffset: this.#shipped,
      endOffset,
      readOffset: this.#readOffset,
      inFlightBytes,
      shippedRecords: this.#counters.shippedRecords,
      shippedBytes: this.#counters.shippedBytes,
      oldestInFlightSinceMs: window?.oldestSinceMs,
      behindSinceMs: this.#behindSinceMs,
      nowMs: Date.now(),
    });
    return {
      state: this.#state,
      stream: this.stream,
      subject: this.subject,
      shippedOffset: this.#shipped,
      endOffset,
      ...lag,
      inFlight,
      inFlightBytes,
      ...this.#counters,
      heldOffset: this.#heldOffset,
      lastError: this.#lastError,
    };
  }

  /** @internal Finds the resume point (its errors reject ship()), then runs in the background. */
  async start(): Promise<void> {
    const first = await this.#resync();
    await this.#raiseHold(first.fromOffset);
    this.#timer = setInterval(() => this.#tick(), END_REFRESH_MILLIS);
    this.#timer.unref();
    this.#running = this.#run(first);
    // The failure is kept and reported through `stopped`, `failure` and `metrics()`; never unhandled.
    this.#running.catch(() => undefined);
  }

  /**
   * Stops following, waits for the publishes in flight to be acknowledged (or time out), writes
   * the retention hold at the final position, and closes the reader and the connection it opened.
   * Idempotent. Resolves even if shipping had failed (the failure stays in `failure`).
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#stop.abort(SeglogError.closed(`shipper of ${this.#options.dir}`));
      await this.#running.catch(() => undefined);
      if (this.#timer !== null) clearInterval(this.#timer);
      await this.#holding;
      await this.#raiseHold(this.#shipped).catch((error: unknown) => this.#note(asError(error)));
      await this.#reader.close();
      await this.#held.release();
      if (this.#state !== 'failed') this.#state = 'closed';
    })();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #run(first: ResumePoint): Promise<void> {
    let point: ResumePoint | null = first;
    let backoff: number = shipLimits.retryMillisMin;
    try {
      while (!this.#stop.signal.aborted) {
        if (point === null) point = await this.#resyncPatiently();
        if (point === null) return;
        const before = this.#shipped;
        const failure = await this.#pump(point);
        point = null;
        if (failure === null) return;
        if (isFatal(failure)) throw failure;
        this.#note(failure);
        backoff = this.#shipped > before ? shipLimits.retryMillisMin : Math.min(2 * backoff, shipLimits.retryMillisMax);
        await pause(backoff, this.#stop.signal);
      }
    } catch (error) {
      if (this.#stop.signal.aborted && !isFatal(error)) return;
      this.#failure = asError(error);
      this.#lastError = describe(error);
      this.#state = 'failed';
      throw this.#failure;
    }
  }

  /** Asks the stream where to resume until it answers; fatal answers (divergence, a gap) throw. Null once closed. */
  async #resyncPatiently(): Promise<ResumePoint | null> {
    let backoff: number = shipLimits.retryMillisMin;
    while (!this.#stop.signal.aborted) {
      try {
        return await this.#resync();
      } catch (error) {
        if (isFatal(error)) throw error;
        this.#note(asError(error));
        await pause(backoff, this.#stop.signal);
        backoff = Math.min(2 * backoff, shipLimits.retryMillisMax);
      }
    }
    return null;
  }

  async #resync(): Promise<ResumePoint> {
    this.#state = 'resyncing';
    this.#counters.resyncs += 1;
    const durableOffset = await this.#reader.endOffset();
    const firstOffset = await this.#reader.firstOffset();
    this.#endOffset = Math.max(this.#endOffset, durableOffset);
    const tail = await this.#stream.tail();
    const streamLastSeq = tail === null ? await this.#stream.lastSeq() : tail.seq;
    const local = { logIdHex: this.logIdHex, firstOffset, durableOffset };
    const point = resumePoint(tail, streamLastSeq, local, this.#options.onBehind);
    if (point.skipped !== null) this.#skip(point.skipped);
    this.#shipped = point.fromOffset;
    this.#readOffset = point.fromOffset;
    return point;
  }

  /** Ships from `point` until a failure (returned) or close (null). */
  async #pump(point: ResumePoint): Promise<Error | null> {
    const stopPump = new AbortController();
    const onStop = (): void => stopPump.abort(this.#stop.signal.reason);
    this.#stop.signal.addEventListener('abort', onStop, { once: true });
    const window = new PublishWindow({
      stream: this.#stream,
      logIdHex: this.logIdHex,
      lastSeq: point.lastSeq,
      limits: this.#options,
      onShipped: (run) => this.#shippedRun(run),
      onFailure: (error) => stopPump.abort(error),
    });
    this.#window = window;
    this.#state = 'shipping';
    let failure: Error | null = null;
    try {
      const records = this.#reader.read({
        from: point.fromOffset,
        follow: true,
        signal: stopPump.signal,
        onBehind: this.#options.onBehind === 'skip' ? 'skip' : 'error',
        onGap: (gap) => this.#skip(gap),
      });
      for await (const record of records) {
        this.#readOffset = record.offset + 1;
        await window.send(record.offset, record.payload, record.appendTimeMs, Date.now());
      }
    } catch (error) {
      failure = window.failure ?? asError(error);
    } finally {
      this.#stop.signal.removeEventListener('abort', onStop);
    }
    await window.settled();
    failure = window.failure ?? failure;
    if (this.#stop.signal.aborted && (failure === null || !isFatal(failure))) return null;
    return failure ?? SeglogError.closed(`reader of ${this.#options.dir}`);
  }

  #shippedRun(run: ShippedRun): void {
    if (run.shippedOffset <= this.#shipped) return;
    this.#shipped = run.shippedOffset;
    this.#counters.shippedRecords += run.records;
    this.#counters.shippedBytes += run.bytes;
    this.#counters.duplicates += run.duplicates;
    for (const listener of this.#listeners) listener(this.#shipped);
  }

  #skip(range: { readonly fromOffset: number; readonly toOffset: number }): void {
    this.#counters.skippedRecords += range.toOffset - range.fromOffset;
    this.#note(new SeglogError(ErrorCodes.JETSTREAM_GAP, `records ${range.fromOffset}..${range.toOffset - 1} were dropped from the log before they were shipped; skipped`, { offset: range.fromOffset }));
    this.#options.onSkip?.(range);
  }

  #note(error: Error): void {
    this.#counters.errors += 1;
    this.#lastError = describe(error);
    this.#options.onError?.(error);
  }

  /** Refreshes the durable end (lag) and raises the retention hold when the position moved. */
  #tick(): void {
    void this.#reader.endOffset().then(
      (end) => {
        this.#endOffset = Math.max(this.#endOffset, end);
        const behind = end > this.#readOffset && (this.#window?.inFlight ?? 0) === 0;
        if (!behind) this.#behindSinceMs = undefined;
        else this.#behindSinceMs ??= Date.now();
      },
      () => undefined,
    );
    const now = Date.now();
    const moved = this.#heldOffset === null || this.#shipped > this.#heldOffset;
    if (moved && now - this.#heldAtMs >= shipLimits.holdIntervalMillisDefault) {
      this.#heldAtMs = now;
      const raise = (): Promise<void> => this.#raiseHold(this.#shipped);
      this.#holding = this.#holding.then(raise).catch((error: unknown) => this.#note(asError(error)));
    }
  }

  async #raiseHold(offset: number): Promise<void> {
    if (this.#hold === null || !this.#options.holdRetention) return;
    if (this.#heldOffset !== null && offset <= this.#heldOffset) return;
    await this.#hold.set(offset);
    this.#heldOffset = offset;
  }
}

/** Divergence and gaps do not heal by retrying; everything else (timeouts, elections, lost connections) does. */
function isFatal(error: unknown): boolean {
  // A follow that fell behind retention is not fatal by itself: the re-sync that follows tells
  // whether the dropped records had been shipped, and reports a gap if not.
  return isSeglogError(error, ErrorCodes.JETSTREAM_DIVERGED) || isSeglogError(error, ErrorCodes.JETSTREAM_GAP) ||
    isSeglogError(error, ErrorCodes.CORRUPT);
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

function pause(millis: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, millis);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
