/**
 * One job: a worker backend's prefetch book. BullMQ's worker fetches its jobs one `moveToActive`
 * at a time, awaiting each, with tokens `<workerId>:<n>`, `<workerId>:<n+1>`, ...; here each fetch
 * is a durable record, so filling a worker of concurrency C took C flushes in a row. Instead, the
 * first fetch also takes jobs for the tokens the worker will ask with next (up to its free slots),
 * in the same record; those calls are then answered from this book without a record.
 *
 * Invariants: a reserved job is active under exactly the token it is reserved for (checked again
 * when claimed: a job taken back meanwhile is not handed out); a worker never holds more than its
 * concurrency (handed + reserved <= concurrency); reservations nobody claims are given back
 * (`drain`) when the worker pauses, closes, asks with a token that was not predicted, or leaves
 * them unclaimed for `RESERVATION_IDLE_MS`.
 */
import { lockHeld } from './state/locks.js';
import type { QueueState } from './state/queue-state.js';

/** Unclaimed reservations are given back after this long (they hold a lock nobody extends). */
export const RESERVATION_IDLE_MS = 500;

const TOKEN = /^(.*):(\d+)$/;

export class Prefetch {
  /** token -> job id: taken for a fetch the worker has not made yet. */
  readonly #reserved = new Map<string, string>();
  /** token -> job id: handed to the worker and, as far as we know, still active. */
  readonly #handed = new Map<string, string>();

  /** The reserved job for `token`, still active under it; removes it from the book either way. */
  claim(token: string, queue: QueueState | undefined, serverNow: number): string | undefined {
    const id = this.#reserved.get(token);
    if (id === undefined) return undefined;
    this.#reserved.delete(token);
    const job = queue?.jobs.get(id);
    if (job === undefined || job.state !== 'active' || lockHeld(job, serverNow) !== token) return undefined;
    this.#handed.set(token, id);
    return id;
  }

  /** True when reservations exist that `token` does not claim (the worker's numbering went elsewhere). */
  mispredicted(token: string): boolean {
    return this.#reserved.size > 0 && !this.#reserved.has(token);
  }

  /**
   * The worker's next tokens to reserve for, after `token`: as many as its free slots allow, none
   * when the token is not of the worker's `<id>:<n>` form.
   */
  plan(token: string, concurrency: number, queue: QueueState | undefined, serverNow: number): string[] {
    const match = TOKEN.exec(token);
    if (match === null || concurrency <= 1) return [];
    this.#prune(queue, serverNow);
    const free = concurrency - 1 - this.#handed.size - this.#reserved.size;
    const prefix = match[1] ?? '';
    const n = Number(match[2]);
    const tokens: string[] = [];
    for (let i = 1; i <= free; i++) tokens.push(`${prefix}:${n + i}`);
    return tokens;
  }

  handed(token: string, id: string): void {
    this.#handed.set(token, id);
  }

  reserve(pairs: readonly (readonly [string, string])[]): void {
    for (const [token, id] of pairs) this.#reserved.set(token, id);
  }

  get reservedCount(): number {
    return this.#reserved.size;
  }

  /** Empties the reservations and returns them, in reservation order, to be given back. */
  drain(): [string, string][] {
    const pairs = [...this.#reserved];
    this.#reserved.clear();
    return pairs;
  }

  /** Forgets handed jobs that are no longer active under their token (finished, moved, taken back). */
  #prune(queue: QueueState | undefined, serverNow: number): void {
    for (const [token, id] of this.#handed) {
      const job = queue?.jobs.get(id);
      if (job === undefined || job.state !== 'active' || lockHeld(job, serverNow) !== token) this.#handed.delete(token);
    }
  }
}
