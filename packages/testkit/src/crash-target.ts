/**
 * One job: what the crash runner (crash-runner.ts) needs from the system it tests. Testkit never
 * imports the store or the reader: the caller injects a `CrashSystem`, which opens its system on
 * whatever FileIO the runner hands it (one fenced view per simulated boot) and reads back what
 * survived. Any append-only log with dense offsets fits: seglog's Log, or a queue built on it.
 *
 * The store's adapter is packages/store/test/helpers/crash-log.ts.
 */
import type { FileIO } from '@seglog/types';
import type { Prng } from './prng.js';

/** One open of the system under test. */
export interface CrashTarget {
  /** The offset the next append will get; moves at once when an append is admitted. */
  readonly nextOffset: number;
  /** Resolves with the record's offset once it is durable. */
  append(payload: Uint8Array): Promise<number>;
  /** Resolves with the first offset of a contiguous run once all of it is durable. */
  appendMany(payloads: readonly Uint8Array[]): Promise<number>;
  close(): Promise<void>;
  /** Whether the recovery of this open dropped a torn tail (coverage only). */
  readonly recoveredTornTail: boolean;
  /** Files (segments) this open has created so far (coverage only). */
  filesCreated(): number;
}

/** One case of the system: what stays fixed across the case's boots, drawn from its PRNG. */
export interface CrashCase {
  /** The largest payload the appenders may submit. */
  readonly maxRecordBytes: number;
  /**
   * Opens (creating or recovering) the system on `io`, one boot's view of the simulated disk, which
   * has a durable `/data` directory to work in. Options that may change between opens (clock pace,
   * sync method, ...) are drawn from `prng`, so a seed replays them.
   */
  open(io: FileIO, prng: Prng): Promise<CrashTarget>;
  /**
   * Every record from offset 0 to the end, as a fresh reader on `io` sees them; throws if the
   * offsets are not dense or the data cannot be read. Called right after each open.
   */
  readAll(io: FileIO): Promise<Uint8Array[]>;
}

/** The system under test: draws one case per seed. */
export interface CrashSystem {
  /**
   * `seed` is the case's seed, for values that must not shift the PRNG's draws (such as an id
   * derived from it: a log id injected this way makes a replay byte-exact).
   */
  drawCase(prng: Prng, seed: number): CrashCase;
}
