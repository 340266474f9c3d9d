/**
 * One job: wait, for a follower, until it is worth looking at the durable end again.
 *
 * Wake-ups are hints, never counted: the follower re-reads the end (HEAD or the log) after each
 * one and decides for itself. Sources, fastest first: the log's `onDurable` hook when the reader
 * was given the log; otherwise the writer's push wake-up (FileIO's optional `notifySubscribe` on
 * `<dir>/notify.sock`: the writer pokes after each HEAD write, so the HEAD read it triggers finds
 * the news) and, while that is not connected, a directory watch (FileIO's optional `watch`: it
 * fires on every write, before the flush, so it only says "look again"); and always a poll as the
 * safety net for file systems that give no events (NFS, some container mounts),
 * `readLimits.followPollMinMs` doubling to `followPollMaxMs` while nothing moves, back to the
 * minimum when the end moved. While a source is known to work (the hook, a connected socket, or a
 * watch that has fired), the poll only guards against a lost hint and stays at `followPollMaxMs`:
 * each tick costs a HEAD read (a pread from the page cache, visible-end.ts), and polling every 5 ms
 * after each record was most of what a follower of a slow stream did. The watch is closed while
 * the socket is connected: it would wake
 * the follower at every segment write, before HEAD says anything new, for nothing.
 * Without a connection (no writer yet, one that crashed and restarts, a stale socket file), the
 * connect is tried again at a hint or poll tick at most every `readLimits.notifyReconnectMs`.
 * A hint that arrives while nobody waits is remembered, so the next wait returns at once.
 * `close` frees the hook, the socket, the watch and any timer, and ends a pending wait.
 */
import { join } from 'node:path';
import { NOTIFY_SOCKET_NAME } from '@seglog/format';
import { readLimits, type DirWatch, type DurableSource, type FileIO, type NotifySubscription } from '@seglog/types';

/** Which sources woke a follower so far (for tests and the follow benchmark). */
export interface WakeUpCounts {
  pushes: number;
  watches: number;
  polls: number;
}

export class WakeUps {
  readonly #io: FileIO;
  readonly #dir: string;
  readonly #unsubscribe: (() => void) | null;
  #watch: DirWatch | null = null;
  #push: NotifySubscription | null = null;
  #pushConnected = false;
  #lastConnectMs = Number.NEGATIVE_INFINITY;
  #pending = false;
  /** The poll's delay while no source is known to work. */
  #delayMs: number = readLimits.followPollMinMs;
  /** The directory watch has reported a change: on this file system it works. */
  #watchFired = false;
  #wake: (() => void) | null = null;
  #closed = false;
  readonly counts: WakeUpCounts = { pushes: 0, watches: 0, polls: 0 };

  constructor(io: FileIO, dir: string, durable: DurableSource | undefined) {
    this.#io = io;
    this.#dir = dir;
    this.#unsubscribe = durable?.onDurable?.(() => this.#hint()) ?? null;
    if (this.#unsubscribe !== null) return;
    this.#startWatch();
    this.#connect();
  }

  /** True while the writer's push wake-up is connected. */
  get pushConnected(): boolean {
    return this.#pushConnected;
  }

  /** The end moved: poll quickly again (while no source is known to work), since more is likely coming. */
  progressed(): void {
    this.#delayMs = readLimits.followPollMinMs;
  }

  /** The delay of the next safety-net poll, ms: the longest while a wake-up source is known to work. */
  get pollDelayMs(): number {
    const live = this.#unsubscribe !== null || this.#pushConnected || this.#watchFired;
    return live ? readLimits.followPollMaxMs : this.#delayMs;
  }

  /** Resolves at the next hint or poll tick, or at close; rejects with `signal.reason` on abort. */
  wait(signal: AbortSignal | undefined): Promise<void> {
    signal?.throwIfAborted();
    if (this.#closed) return Promise.resolve();
    if (this.#pending) {
      this.#pending = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.counts.polls++;
        this.#connect(); // a writer that (re)started since: get its pokes again
        finish();
      }, this.pollDelayMs);
      this.#delayMs = Math.min(this.#delayMs * 2, readLimits.followPollMaxMs);
      // signal.reason: an Error or a DOMException, unless the caller aborted with something else.
      const onAbort = (): void => finish(signal!.reason as Error);
      const finish = (reason?: Error): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.#wake = null;
        this.#pending = false;
        if (reason === undefined) resolve();
        else reject(reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#wake = () => finish();
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe?.();
    this.#push?.close();
    this.#push = null;
    this.#watch?.close();
    this.#watch = null;
    this.#wake?.();
  }

  #startWatch(): void {
    if (this.#watch !== null || this.#closed) return;
    this.#watch =
      this.#io.watch?.(this.#dir, () => {
        this.counts.watches++;
        this.#watchFired = true;
        if (!this.#pushConnected) this.#connect(); // e.g. the socket file was just created
        this.#hint();
      }) ?? null;
  }

  /** Tries to connect to the writer's socket, unless connected, closed, or tried less than notifyReconnectMs ago. */
  #connect(): void {
    if (this.#closed || this.#push !== null || this.#io.notifySubscribe === undefined) return;
    const nowMs = performance.now();
    if (nowMs - this.#lastConnectMs < readLimits.notifyReconnectMs) return;
    this.#lastConnectMs = nowMs;
    const subscription = this.#io.notifySubscribe(
      join(this.#dir, NOTIFY_SOCKET_NAME),
      () => {
        if (!this.#pushConnected) {
          this.#pushConnected = true;
          this.#watch?.close(); // the pokes come after HEAD writes; the watch would only add early wake-ups
          this.#watch = null;
        }
        this.counts.pushes++;
        this.#hint();
      },
      () => {
        if (this.#push !== subscription) return;
        this.#push = null;
        this.#pushConnected = false;
        this.#startWatch();
        this.#hint(); // the writer went away: look at HEAD once more (it may have closed cleanly)
      },
    );
    this.#push = subscription;
  }

  #hint(): void {
    if (this.#wake !== null) this.#wake();
    else this.#pending = true;
  }
}
