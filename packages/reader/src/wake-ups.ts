/**
 * One job: wait, for a follower, until it is worth looking at the durable end again.
 *
 * Wake-ups are hints, never counted: the follower re-reads the end (HEAD or the log) after each
 * one and decides for itself. Sources, fastest first: the log's `onDurable` hook when the reader
 * was given the log; otherwise a directory watch (FileIO's optional `watch`: it fires on every
 * write, before the flush, so it only says "look again"); and always a poll as the safety net for
 * file systems that give no events (NFS, some container mounts), `readLimits.followPollMinMs`
 * doubling to `followPollMaxMs` while nothing moves, back to the minimum when the end moved.
 * A hint that arrives while nobody waits is remembered, so the next wait returns at once.
 * `close` frees the hook, the watch and any timer, and ends a pending wait.
 */
import { readLimits, type DirWatch, type DurableSource, type FileIO } from '@seglog/types';

export class WakeUps {
  readonly #unsubscribe: (() => void) | null;
  readonly #watch: DirWatch | null;
  #pending = false;
  #delayMs: number = readLimits.followPollMinMs;
  #wake: (() => void) | null = null;
  #closed = false;

  constructor(io: FileIO, dir: string, durable: DurableSource | undefined) {
    const hint = (): void => this.#hint();
    this.#unsubscribe = durable?.onDurable?.(hint) ?? null;
    this.#watch = this.#unsubscribe === null ? (io.watch?.(dir, hint) ?? null) : null;
  }

  /** The end moved: poll quickly again, since more is likely coming. */
  progressed(): void {
    this.#delayMs = readLimits.followPollMinMs;
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
      const timer = setTimeout(() => finish(), this.#delayMs);
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
    this.#watch?.close();
    this.#wake?.();
  }

  #hint(): void {
    if (this.#wake !== null) this.#wake();
    else this.#pending = true;
  }
}
