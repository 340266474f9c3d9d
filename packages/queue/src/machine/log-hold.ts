/**
 * One job: keep the machine's retention hold on its log (docs/retention.md) at the lowest record
 * it may still need, so that retention (`retention` option, `truncateBefore`, the CLI) never drops
 * a record the machine would need to rebuild its state or to read a payload back.
 *
 * What a reopen needs: the records after the snapshot it loads, and every record the state still
 * points into (a queue's unsettled messages keep their payload in the record that enqueued them).
 * Two snapshots are kept and open falls back to the older one when the newest is damaged, so the
 * hold lags one snapshot: after snapshot N is durable it moves to what snapshot N-1 needed, the
 * lower of N-1's offset and the lowest record N-1's state pointed into. What a state points into
 * only moves up (settled messages leave; dead letters and redrives point at records of messages
 * that were held), so that bound covers every state from N-1 on.
 *
 * The hold exists before the log opens (set at the log's first offset when missing), so a
 * retention pass can never run while it is absent. It only moves up: a record below it may be gone.
 */
import { listRetentionHolds, setRetentionHold } from '@seglog/store';
import { isSeglogError } from '@seglog/types';
import type { FileIO } from '@seglog/types';
import { ensureDurableDir } from './durable-dir.js';

export const MACHINE_HOLD_NAME_DEFAULT = 'seglog-machine';

export class LogHold {
  readonly #io: FileIO;
  readonly #dir: string;
  readonly name: string;
  /** The offset the hold file holds (durable). */
  #offset = 0;
  /** What the newest durable snapshot needs: the hold moves here after the next snapshot. */
  #behind = 0;
  #moving: Promise<void> = Promise.resolve();

  constructor(io: FileIO, logDir: string, name: string) {
    this.#io = io;
    this.#dir = logDir;
    this.name = name;
  }

  /** The durable hold's offset: no record at or above it is dropped unless forced. */
  get offset(): number {
    return this.#offset;
  }

  /**
   * Before the log opens: keeps the hold found, or sets one at the lowest offset the log still
   * has (0 for a new log; for a log trimmed before it had a hold, its low-water mark).
   */
  async ensure(): Promise<void> {
    await ensureDurableDir(this.#io, this.#dir);
    const found = (await listRetentionHolds({ dir: this.#dir, io: this.#io })).find((hold) => hold.name === this.name);
    if (found !== undefined) {
      this.#offset = found.offset;
      return;
    }
    try {
      await setRetentionHold({ dir: this.#dir, name: this.name, offset: 0, io: this.#io });
      this.#offset = 0;
    } catch (error) {
      if (!isSeglogError(error) || error.code !== 'SEGLOG_BEHIND_RETENTION') throw error;
      const mark = error.firstOffset ?? 0;
      await setRetentionHold({ dir: this.#dir, name: this.name, offset: mark, io: this.#io });
      this.#offset = mark;
    }
  }

  /** What the snapshot loaded at open (or the empty start) needs; called once recovery has its state. */
  start(needed: number): void {
    this.#behind = Math.max(this.#offset, needed);
  }

  /**
   * A snapshot that needs records from `needed` on is durable: the hold moves to what the previous
   * one needed. Resolves once the hold file is durable (moves run one at a time, in order).
   */
  snapshotWritten(needed: number): Promise<void> {
    const target = this.#behind;
    this.#behind = Math.max(this.#behind, needed);
    this.#moving = this.#moving.then(() => this.#moveTo(target));
    return this.#moving;
  }

  async #moveTo(target: number): Promise<void> {
    if (target <= this.#offset) return;
    await setRetentionHold({ dir: this.#dir, name: this.name, offset: target, io: this.#io });
    this.#offset = target;
  }
}
