/**
 * One job: a queue's event stream, shaped like the Redis stream BullMQ's QueueEvents reads. Entries
 * get ids `<ms>-<seq>` that strictly increase in the order they are appended; since the state
 * machine applies records one at a time, in log order, an entry can never appear with an id lower
 * than one a reader already saw (the PostgreSQL backend's lost-event race cannot happen here).
 *
 * The stream is part of the state, rebuilt from the log with everything else, so events survive a
 * restart exactly as Redis streams do. It is trimmed to `maxLength` entries (BullMQ's
 * `streams.events.maxLen`, default 10,000).
 */
export interface StreamEntry {
  readonly id: string;
  readonly ms: number;
  readonly seq: number;
  /** `event`, its name, then the payload as field/value strings. */
  readonly fields: string[];
}

export const EVENTS_MAX_LENGTH_DEFAULT = 10_000;

/** What a trimmed slot holds until the next compaction, so its entry can be collected. */
const DROPPED: StreamEntry = { id: '0-0', ms: 0, seq: 0, fields: [] };

export class EventStream {
  /**
   * entries[head..] are the stream, oldest first. Trimming moves `head` (every finish trims, as
   * moveToFinished.lua's XTRIM does; copying 10,000 entries each time was most of a finish's cost)
   * and the array is compacted once the dead prefix is over half of it.
   */
  #entries: StreamEntry[] = [];
  #head = 0;
  #lastMs = 0;
  #lastSeq = 0;
  maxLength = EVENTS_MAX_LENGTH_DEFAULT;

  /** The id of the newest entry ever appended (`0-0` before the first). */
  get lastId(): string {
    return `${this.#lastMs}-${this.#lastSeq}`;
  }

  get length(): number {
    return this.#entries.length - this.#head;
  }

  append(nowMs: number, fields: string[]): string {
    const ms = Math.max(Math.floor(nowMs), this.#lastMs);
    let seq = ms === this.#lastMs ? this.#lastSeq + 1 : 0;
    if (this.#lastMs === 0 && this.#lastSeq === 0 && ms === 0) seq = 1;
    this.#lastMs = ms;
    this.#lastSeq = seq;
    const id = `${ms}-${seq}`;
    this.#entries.push({ id, ms, seq, fields });
    if (this.length > this.maxLength + 64) this.trim(this.maxLength);
    return id;
  }

  /** Entries with an id greater than `afterId`, oldest first, at most `limit`. */
  after(afterId: string, limit: number): StreamEntry[] {
    const [ms, seq] = parseId(afterId);
    let low = this.#head;
    let high = this.#entries.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const entry = this.#entries[mid] as StreamEntry;
      if (entry.ms < ms || (entry.ms === ms && entry.seq <= seq)) low = mid + 1;
      else high = mid;
    }
    return this.#entries.slice(low, low + limit);
  }

  /** Keeps the newest `maxLength` entries; returns how many were dropped. */
  trim(maxLength: number): number {
    const drop = Math.max(0, this.length - Math.max(0, maxLength));
    if (drop === 0) return 0;
    this.#entries.fill(DROPPED, this.#head, this.#head + drop);
    this.#head += drop;
    if (this.#head > 1024 && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
    return drop;
  }

  clear(): void {
    this.#entries = [];
    this.#head = 0;
  }

  toJSON(): { entries: [string, string[]][]; lastMs: number; lastSeq: number; maxLength: number } {
    return {
      entries: this.#entries.slice(this.#head).map((entry) => [entry.id, entry.fields]),
      lastMs: this.#lastMs,
      lastSeq: this.#lastSeq,
      maxLength: this.maxLength,
    };
  }

  static fromJSON(json: ReturnType<EventStream['toJSON']>): EventStream {
    const stream = new EventStream();
    stream.#entries = json.entries.map(([id, fields]) => {
      const [ms, seq] = parseId(id);
      return { id, ms, seq, fields };
    });
    stream.#lastMs = json.lastMs;
    stream.#lastSeq = json.lastSeq;
    stream.maxLength = json.maxLength;
    return stream;
  }
}

/** `<ms>-<seq>` or `<ms>` (seq 0 then, as Redis reads it); anything unparsable counts as 0-0. */
export function parseId(id: string): [number, number] {
  const dash = id.indexOf('-');
  const ms = Number(dash < 0 ? id : id.slice(0, dash));
  const seq = dash < 0 ? 0 : Number(id.slice(dash + 1));
  return [Number.isFinite(ms) ? ms : 0, Number.isFinite(seq) ? seq : 0];
}
