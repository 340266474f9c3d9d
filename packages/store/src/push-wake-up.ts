/**
 * One job: the writer's side of the push wake-up: listen on `<dir>/notify.sock` while the log is
 * open and poke the followers of other processes after each HEAD write, so that they re-read HEAD
 * at once instead of at their next directory event or poll tick.
 *
 * A poke is sent only after HEAD holds the new end (never after the segment write alone), so the
 * HEAD read it triggers finds the news. It is a hint: followers count nothing from it, and a poke
 * lost, coalesced or never sent (no socket support, a path too long for a unix socket, an engine
 * without `notifyListen` such as the simulator) only leaves them on their watch and poll.
 */
import { join } from 'node:path';
import { NOTIFY_SOCKET_NAME } from '@seglog/format';
import type { FileIO, NotifyPublisher } from '@seglog/types';

export class PushWakeUp {
  readonly #publisher: NotifyPublisher | null;

  private constructor(publisher: NotifyPublisher | null) {
    this.#publisher = publisher;
  }

  /** Starts listening; the caller holds the directory lock, so a socket file found there is stale. */
  static async start(io: FileIO, dir: string, fileMode: number): Promise<PushWakeUp> {
    const publisher = (await io.notifyListen?.(join(dir, NOTIFY_SOCKET_NAME), { fileMode })) ?? null;
    return new PushWakeUp(publisher);
  }

  /** Followers connected now (0 without a socket). */
  get subscribers(): number {
    return this.#publisher?.subscribers ?? 0;
  }

  /** HEAD was written: wake the followers. Cheap and never throws (it runs in the HEAD write chain). */
  poke(): void {
    this.#publisher?.poke();
  }

  /** Disconnects the followers and removes the socket file, before the lock is released. */
  close(): Promise<void> {
    return this.#publisher?.close() ?? Promise.resolve();
  }
}
