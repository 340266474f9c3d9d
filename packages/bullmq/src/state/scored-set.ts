/**
 * One job: a Redis-shaped sorted set of job ids (BullMQ's `delayed`, `prioritized`, `completed`,
 * `failed` and `waiting-children` sets). Members are ordered by score, then by member as bytes,
 * exactly as a Redis ZSET orders them, so ranges and pops match the Redis backend.
 *
 * A sorted array plus a member -> score map: insertion and removal are a binary search plus a
 * splice. Scores that only grow (finish times, priority counters) append at the end.
 */
import { normalizeRange } from './job-list.js';

interface Entry {
  readonly member: string;
  readonly score: number;
}

export class ScoredSet {
  #entries: Entry[] = [];
  readonly #scores = new Map<string, number>();

  get size(): number {
    return this.#entries.length;
  }

  has(member: string): boolean {
    return this.#scores.has(member);
  }

  score(member: string): number | undefined {
    return this.#scores.get(member);
  }

  /** Adds `member`, or moves it to `score` if it is already there. */
  add(member: string, score: number): void {
    if (this.#scores.has(member)) this.remove(member);
    const entry = { member, score };
    this.#entries.splice(this.#indexFor(entry), 0, entry);
    this.#scores.set(member, score);
  }

  remove(member: string): boolean {
    const score = this.#scores.get(member);
    if (score === undefined) return false;
    const index = this.#indexFor({ member, score });
    this.#entries.splice(index, 1);
    this.#scores.delete(member);
    return true;
  }

  /** The lowest entry, or undefined when empty. */
  first(): Entry | undefined {
    return this.#entries[0];
  }

  popFirst(): Entry | undefined {
    const entry = this.#entries.shift();
    if (entry !== undefined) this.#scores.delete(entry.member);
    return entry;
  }

  /** Members by rank, `start`..`end` inclusive (negative counts from the end), ascending or descending. */
  range(start: number, end: number, ascending = true): string[] {
    const [from, to] = normalizeRange(start, end, this.#entries.length);
    const out: string[] = [];
    for (let i = from; i <= to; i++) {
      const index = ascending ? i : this.#entries.length - 1 - i;
      out.push((this.#entries[index] as Entry).member);
    }
    return out;
  }

  /** Members with score <= max, lowest first, at most `limit` (0 = no limit). */
  upTo(max: number, limit = 0): string[] {
    const out: string[] = [];
    for (const entry of this.#entries) {
      if (entry.score > max || (limit > 0 && out.length >= limit)) break;
      out.push(entry.member);
    }
    return out;
  }

  /** Number of members with min <= score <= max. */
  countBetween(min: number, max: number): number {
    let count = 0;
    for (const entry of this.#entries) {
      if (entry.score > max) break;
      if (entry.score >= min) count++;
    }
    return count;
  }

  entries(): readonly Entry[] {
    return this.#entries;
  }

  clear(): void {
    this.#entries = [];
    this.#scores.clear();
  }

  /** The index where `entry` is, or where it would be inserted. */
  #indexFor(entry: Entry): number {
    let low = 0;
    let high = this.#entries.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (compare(this.#entries[mid] as Entry, entry) < 0) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}

function compare(a: Entry, b: Entry): number {
  if (a.score !== b.score) return a.score < b.score ? -1 : 1;
  if (a.member === b.member) return 0;
  // UTF-16 order equals byte order for the ASCII ids BullMQ generates; close enough for custom ids.
  return a.member < b.member ? -1 : 1;
}
