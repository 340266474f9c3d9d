/**
 * One job: a small seeded pseudo-random generator, so every simulated run replays from its seed.
 *
 * sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, 128-bit state) seeded from one u32
 * through splitmix32, the usual way to spread a small seed over a large state. It is not
 * cryptographic; it is fast, passes PractRand for what tests need, and is a few lines of code we
 * can read. Tests print their seed on failure: `reproduce with SEGLOG_SEED=<n>`.
 */

const u32Count = 2 ** 32;
/** Outputs thrown away after seeding, so nearby seeds do not start with similar numbers. */
const warmupRounds = 12;

function isU32(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value < u32Count;
}

/** splitmix32: one step of a counter-based mixer, used only to fill the sfc32 state from a seed. */
function splitmix32(state: number): [next: number, output: number] {
  const next = (state + 0x9e3779b9) >>> 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  return [next, (z ^ (z >>> 15)) >>> 0];
}

export class Prng {
  readonly seed: number;
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(seed: number) {
    if (!isU32(seed)) throw new TypeError(`seed must be an integer in [0, 2^32), got ${seed}`);
    this.seed = seed;
    let state = seed;
    const words: number[] = [];
    for (let i = 0; i < 3; i++) {
      const [next, output] = splitmix32(state);
      state = next;
      words.push(output);
    }
    this.#a = words[0]!;
    this.#b = words[1]!;
    this.#c = words[2]!;
    this.#d = 1;
    for (let i = 0; i < warmupRounds; i++) this.nextU32();
  }

  /** A uniform integer in [0, 2^32). */
  nextU32(): number {
    const t = (((this.#a + this.#b) >>> 0) + this.#d) >>> 0;
    this.#d = (this.#d + 1) >>> 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) >>> 0;
    this.#c = ((this.#c << 21) | (this.#c >>> 11)) >>> 0;
    this.#c = (this.#c + t) >>> 0;
    return t;
  }

  /** A uniform number in [0, 1). */
  float(): number {
    return this.nextU32() / u32Count;
  }

  /** A uniform integer in [lo, hiExclusive). */
  int(lo: number, hiExclusive: number): number {
    if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hiExclusive) || hiExclusive <= lo) {
      throw new TypeError(`int(lo, hiExclusive) needs integers with lo < hiExclusive, got ${lo}, ${hiExclusive}`);
    }
    return lo + Math.floor(this.float() * (hiExclusive - lo));
  }

  /** True with probability `p`. */
  bool(p = 0.5): boolean {
    if (!(p >= 0 && p <= 1)) throw new TypeError(`bool(p) needs 0 <= p <= 1, got ${p}`);
    return this.float() < p;
  }

  /** One element of a non-empty array, uniformly. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new TypeError('pick() needs a non-empty array');
    return items[this.int(0, items.length)]!;
  }

  /** `countBytes` random bytes. */
  bytes(countBytes: number): Uint8Array {
    if (!Number.isSafeInteger(countBytes) || countBytes < 0) {
      throw new TypeError(`bytes(n) needs a non-negative integer, got ${countBytes}`);
    }
    const out = new Uint8Array(countBytes);
    for (let i = 0; i < countBytes; i += 4) {
      const word = this.nextU32();
      for (let k = 0; k < 4 && i + k < countBytes; k++) out[i + k] = (word >>> (8 * k)) & 0xff;
    }
    return out;
  }

  /** An independent generator seeded from one draw of this one: a sub-stream for one concern. */
  fork(): Prng {
    return new Prng(this.nextU32());
  }
}

/**
 * The seed from `SEGLOG_SEED` (decimal or 0x-hex u32) or `defaultSeed`. A malformed value is an
 * error rather than a silent default: a replay must run the seed that was asked for.
 */
export function seedFromEnv(
  defaultSeed: number,
  env: Readonly<Record<string, string | undefined>> = process.env,
): number {
  const raw = env['SEGLOG_SEED']?.trim();
  if (raw === undefined || raw === '') {
    if (!isU32(defaultSeed)) throw new TypeError(`defaultSeed must be a u32, got ${defaultSeed}`);
    return defaultSeed;
  }
  const seed = /^0x[0-9a-f]+$/i.test(raw) ? Number.parseInt(raw.slice(2), 16) : /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!isU32(seed)) throw new TypeError(`SEGLOG_SEED must be a u32 in decimal or 0x-hex, got '${raw}'`);
  return seed;
}
