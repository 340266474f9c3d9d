/**
 * One job: make every seeded test replayable the same way. Property tests (fast-check) and
 * simulations take their seed from `SEGLOG_SEED` (see seedFromEnv), default to a fixed seed so a
 * run in CI is reproducible, and a failure says how to replay it: `reproduce with SEGLOG_SEED=<n>`.
 * Testkit does not depend on fast-check: `propertyRuns` returns the parameters `fc.assert` takes.
 */
import { seedFromEnv } from './prng.js';

/** The line every seeded failure ends with. */
export function replayHint(seed: number): string {
  return `reproduce with SEGLOG_SEED=${seed}`;
}

export interface PropertyRuns {
  readonly seed: number;
  readonly numRuns: number;
}

/** `{ seed, numRuns }` for fast-check's `fc.assert`: the seed from SEGLOG_SEED, else `defaultSeed`. */
export function propertyRuns(numRuns: number, defaultSeed = 0x5eed_0001): PropertyRuns {
  return { seed: seedFromEnv(defaultSeed), numRuns };
}

function withHint(error: unknown, seed: number): Error {
  if (!(error instanceof Error)) return new Error(`${String(error)}; ${replayHint(seed)}`, { cause: error });
  if (!error.message.includes(replayHint(seed))) error.message = `${error.message}\n${replayHint(seed)}`;
  return error;
}

/** Runs `run`; an error it throws (or a promise it rejects) gets the replay hint for `seed` appended. */
export function withReplay<T>(seed: number, run: () => T): T {
  let result: T;
  try {
    result = run();
  } catch (error) {
    throw withHint(error, seed);
  }
  if (result instanceof Promise) {
    return result.catch((error: unknown) => {
      throw withHint(error, seed);
    }) as T;
  }
  return result;
}
