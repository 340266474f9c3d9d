/**
 * One job: know where a reader must stop: the durable end of the log, learned from the writer's
 * `Log` in this process or from the HEAD file (docs/format.md "HEAD") in any process.
 *
 * Why HEAD and not the chain of batches: a batch is in the file (and verifies) as soon as its
 * writev completes, before its flush; a power loss can still take it back and later appends reuse
 * its offsets. The writer writes HEAD's `durableOffset` only after the batch is acknowledged, so
 * HEAD never claims a record that is not durable. Change events and checksums prove nothing about
 * durability, so nothing else may move the end.
 *
 * HEAD is re-read only when a caller needs more than the end already learned, so a reader inside
 * the known range does no extra I/O. A follower re-reads it at every wake-up, up to a thousand
 * times a second, so with an engine that offers `readSync` and `isLinkedSync` (node:fs does) the
 * descriptor is kept open and each re-read is one pread of 1.5 KiB on the event-loop thread (plus
 * an fstat when it brings no news): microseconds from the page cache, where an open, a read and a
 * close through the thread pool cost three round trips, about half a millisecond of CPU per
 * wake-up (docs/benchmarks.md, "Follow latency"). A writer replaces HEAD by rename (a new log in
 * the directory, an accepted loss, the v1 -> v2 rewrite at open); the old file then has no link
 * left and is written no more, so the first re-read that finds no news in it sees that and opens
 * the new one. (A read between the rename and that check reads the old file's last state: a
 * lower bound, as a read just before the rename would have been.) A HEAD that brought no news for
 * `readLimits.headReopenMs` is opened anew too, as NFS revalidates its cache only at an open; an
 * idle follower, polling once a second, thus opens it once a second. Other engines open, read and
 * close HEAD at each re-read. A read that meets a slot being rewritten fails that slot's CRC and
 * falls back to the next newest valid slot (an older, still valid lower bound), unless a newer slot
 * was learned already: then it is read again, since after a truncation announcement an older slot
 * still claims the records being cut (taken only if it stays); a read with no valid slot is
 * tried again after a short, doubling wait (see `readLimits.headReadAttempts` for why it happens),
 * then SEGLOG_CORRUPT. A pending truncation after an offset (HEAD's pending kind 1) ends the
 * visible log at its offset at once and counts as a step of the truncation generation (`epoch`).
 * A directory with no HEAD (a v1 log, or one no writer has opened
 * since) has no durable end to learn: the reader then sees every batch that verifies.
 */
import { join } from 'node:path';
import { decodeHead, HEAD_FILE_BYTES, HEAD_FILE_NAME, readFully } from '@seglog/format';
import { readLimits, SeglogError, type DurableSource, type FileHandle, type FileIO } from '@seglog/types';

export interface VisibleEnd {
  /** One past the last visible record as last learned, without I/O; undefined: no limit (the chain's end). */
  readonly known: number | undefined;
  /** Offsets below this are durable for sure: a break in the chain below it is corruption. */
  readonly proof: number | undefined;
  /** The low-water mark as last learned (0 when none is known): offsets below it were dropped by retention. */
  readonly retainedFrom: number;
  /**
   * The truncation generation as last learned (undefined: none known): 2 x HEAD's `truncateEpoch`,
   * plus 1 while a truncation is announced (pending kind 1) but not yet carried out. It moves when
   * the writer reused offsets (`truncateAfter`, an accepted loss): records from `truncatedAt` on
   * were taken back. It moves again when an announced truncation is finished, because what was
   * read from the files in between came from the uncut files: a walk must start over.
   */
  readonly epoch: number | undefined;
  /** Where the newest reuse of offsets began, as last learned (0: unknown, or none). */
  readonly truncatedAt: number;
  /** Learns the end (and the low-water mark) anew (HEAD re-read) and returns the end. */
  refresh(): Promise<number | undefined>;
  /** Frees what it holds (HEAD's descriptor); a later `refresh` keeps what was learned. */
  close(): Promise<void>;
}

/**
 * The writer's `Log` in this process: its acknowledged end, or with 'written' no limit beyond the
 * chain. While a `truncateAfter` runs (`pendingTruncation`), the end is its cut and the epoch is odd,
 * as `HeadVisibleEnd` reads them from HEAD's pending truncation: the log keeps its old
 * `durableOffset` until the cut log is reopened, yet the chain may end below the cut meanwhile.
 */
export class LogVisibleEnd implements VisibleEnd {
  readonly #log: DurableSource;
  readonly #written: boolean;

  constructor(log: DurableSource, written: boolean) {
    this.#log = log;
    this.#written = written;
  }

  get known(): number | undefined {
    const pending = this.#log.pendingTruncation;
    if (this.#written) return pending;
    return pending === undefined ? this.#log.durableOffset : Math.min(pending, this.#log.durableOffset);
  }

  get proof(): number {
    const pending = this.#log.pendingTruncation;
    return pending === undefined ? this.#log.durableOffset : Math.min(pending, this.#log.durableOffset);
  }

  get retainedFrom(): number {
    return this.#log.firstOffset ?? 0;
  }

  get epoch(): number | undefined {
    const epoch = this.#log.truncateEpoch;
    const pending = this.#log.pendingTruncation !== undefined;
    if (epoch === undefined && !pending) return undefined;
    return 2 * (epoch ?? 0) + (pending ? 1 : 0);
  }

  get truncatedAt(): number {
    return this.#log.pendingTruncation ?? this.#log.truncatedAt ?? 0;
  }

  refresh(): Promise<number | undefined> {
    return Promise.resolve(this.known);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** HEAD's `durableOffset`, for a reader in any process. */
export class HeadVisibleEnd implements VisibleEnd {
  readonly #io: FileIO;
  readonly #path: string;
  #known: number | undefined;
  #epoch: number | undefined;
  #truncatedAt = 0;
  #retainedFrom = 0;
  /** The newest slot learned (seq and log id): an older one read later is a stale view, not news. */
  #newest: { readonly seq: number; readonly logId: Uint8Array } | null = null;
  #refreshing: Promise<number | undefined> | null = null;
  /** HEAD kept open (an engine with `readSync` and `isLinkedSync`), or null. */
  #held: FileHandle | null = null;
  /** When `#held` was opened or last brought news (performance.now(), ms). */
  #newsAtMs = 0;
  /** Where each read lands: allocated once, as a follower reads HEAD at every wake-up. */
  readonly #bytes = Buffer.alloc(HEAD_FILE_BYTES);
  /** The bytes of the last read whose state was taken, and their count: the same again is no news. */
  readonly #taken = Buffer.alloc(HEAD_FILE_BYTES);
  #takenCount = -1;
  #closed = false;

  constructor(io: FileIO, dir: string) {
    this.#io = io;
    this.#path = join(dir, HEAD_FILE_NAME);
  }

  get known(): number | undefined {
    return this.#known;
  }

  get proof(): number | undefined {
    return this.#known;
  }

  get retainedFrom(): number {
    return this.#retainedFrom;
  }

  get epoch(): number | undefined {
    return this.#epoch;
  }

  get truncatedAt(): number {
    return this.#truncatedAt;
  }

  /** Concurrent callers share one read. */
  refresh(): Promise<number | undefined> {
    this.#refreshing ??= this.#learn().finally(() => {
      this.#refreshing = null;
    });
    return this.#refreshing;
  }

  async #learn(): Promise<number | undefined> {
    for (let attempt = 1; ; attempt++) {
      const bytes = await this.#read();
      if (bytes === null) return this.#known; // no HEAD (yet): keep what was learned, if anything
      // The bytes of the state last taken, again: nothing to decode (an idle poll, a redundant wake-up).
      if (this.#isTaken(bytes)) return this.#known;
      const state = decodeHead(bytes, this.#path);
      // A copy that met the newest slot mid-write falls back to an older one: after a truncation
      // announcement that older slot still claims the records being cut. So an older slot than
      // one already learned is read again; only if it stays (a HEAD made anew after an accepted
      // loss may start its seq again) is it taken.
      const stale = state !== null && attempt < readLimits.headReadAttempts && this.#isOlder(state.seq, state.logId);
      if (state !== null && !stale) {
        this.#newest = { seq: state.seq, logId: state.logId };
        // A truncation after an offset in progress (pending kind 1): nothing from its offset on
        // is visible any more, even before it is finished.
        const pending = state.pendingTruncation;
        const end = pending?.kind === 1 ? Math.min(pending.offset, state.durableOffset) : state.durableOffset;
        // The end only grows, except when the writer reuses offsets (a new truncateEpoch, or one pending).
        const generation = 2 * state.truncateEpoch + (pending?.kind === 1 ? 1 : 0);
        const reused = generation !== this.#epoch || pending?.kind === 1;
        const grown = this.#known === undefined || end > this.#known || reused;
        if (grown) this.#known = end;
        this.#epoch = generation;
        this.#truncatedAt = pending?.kind === 1 ? pending.offset : state.truncatedAt;
        this.#retainedFrom = Math.max(this.#retainedFrom, state.firstOffset);
        this.#taken.set(bytes);
        this.#takenCount = bytes.length;
        return this.#known;
      }
      if (attempt >= readLimits.headReadAttempts) {
        const problem = `${this.#path} has no valid slot after ${attempt} reads: the durable end cannot be learned`;
        throw SeglogError.corrupt(problem, { file: this.#path, positionBytes: 0 });
      }
      const delayMs = readLimits.headReadRetryMs * 2 ** (attempt - 1);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }

  #isOlder(seq: number, logId: Uint8Array): boolean {
    const newest = this.#newest;
    if (newest === null || seq >= newest.seq) return false;
    // Another log's HEAD (the directory was emptied and a new log made): its seq starts anew.
    return newest.logId.length === logId.length && newest.logId.every((byte, i) => byte === logId[i]);
  }

  close(): Promise<void> {
    this.#closed = true;
    const held = this.#held;
    this.#held = null;
    return held === null ? Promise.resolve() : held.close().catch(() => undefined); // read only: nothing to lose
  }

  /**
   * HEAD's bytes (a view of `#bytes`, valid until the next read), or null when there is no HEAD.
   * From the held descriptor when there is one and HEAD was not replaced since; otherwise HEAD is
   * opened, and kept open when the engine can read it synchronously and tell a replaced file.
   */
  async #read(): Promise<Buffer | null> {
    const held = this.#held;
    if (held !== null) {
      const bytes = this.#bytes.subarray(0, this.#readSync(held));
      // News is from a file that was written since the last read: the live HEAD, or, just
      // replaced, its last state (a lower bound all the same). No news may be a replaced file that
      // nobody writes any more: that is worth an fstat (which also allocates ~3 KB) only when the
      // last news is `headLinkCheckMs` old, not at the read a follower makes right after taking
      // a batch's news. And no news for `headReopenMs` (since the open or the last news) reopens
      // it: on NFS only an open revalidates what the client cached (close-to-open consistency),
      // so a descriptor held for ever could read an old HEAD long after another host moved on.
      const nowMs = performance.now();
      if (!this.#isTaken(bytes)) {
        this.#newsAtMs = nowMs;
        return bytes;
      }
      const quietMs = nowMs - this.#newsAtMs;
      if (quietMs < readLimits.headLinkCheckMs) return bytes;
      if (quietMs < readLimits.headReopenMs && this.#isLinked(held)) return bytes;
      this.#held = null; // replaced by a rename (or removed), or held long enough: open it anew
      await held.close().catch(() => undefined);
    }
    let handle: FileHandle;
    try {
      handle = await this.#io.open(this.#path, 'read');
    } catch (error) {
      if ((error as { code?: unknown } | null)?.code === 'ENOENT') return null;
      throw SeglogError.io('open', this.#path, error);
    }
    if (!this.#closed && handle.readSync !== undefined && handle.isLinkedSync !== undefined) {
      this.#held = handle;
      this.#newsAtMs = performance.now();
      return this.#bytes.subarray(0, this.#readSync(handle));
    }
    try {
      const read = await readFully(handle, this.#bytes, 0).catch((error: unknown) => {
        throw SeglogError.io('read', this.#path, error);
      });
      return this.#bytes.subarray(0, read);
    } finally {
      await handle.close().catch(() => undefined); // read only: nothing to lose
    }
  }

  /** True when `bytes` are those of the state last taken. */
  #isTaken(bytes: Buffer): boolean {
    return bytes.length === this.#takenCount && this.#taken.subarray(0, this.#takenCount).equals(bytes);
  }

  #isLinked(handle: FileHandle): boolean {
    try {
      return handle.isLinkedSync!();
    } catch (error) {
      throw SeglogError.io('fstat', this.#path, error);
    }
  }

  /** All of HEAD (or up to its end) into `#bytes` with `readSync`; the count read. */
  #readSync(handle: FileHandle): number {
    let done = 0;
    try {
      while (done < this.#bytes.length) {
        const read = handle.readSync!(this.#bytes.subarray(done), done);
        if (read === 0) break;
        done += read;
      }
    } catch (error) {
      throw SeglogError.io('read', this.#path, error);
    }
    return done;
  }
}
