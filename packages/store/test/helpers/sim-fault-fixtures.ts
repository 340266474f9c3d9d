/**
 * One job: small fixtures for the injected-fault tests: a simulated machine with a durable log
 * parent directory, payloads that name their index, reading a log back (testkit's readLog), and
 * settling a batch of appends into offsets and errors.
 */
import { SimFileIO, readLog } from '@seglog/testkit';
import type { SimBootIO } from '@seglog/testkit';
import type { FileIO } from '@seglog/types';

export const LOG_DIR = '/data/log';

/** A simulated machine whose `/data` is durable, and the I/O view of its current boot. */
export async function simMachine(
  seed: number,
  settings: { datasyncDelayMs?: number } = {},
): Promise<{ sim: SimFileIO; io: SimBootIO }> {
  const sim = new SimFileIO({ seed, ...settings });
  await sim.mkdirp('/data');
  await sim.syncDir('/');
  return { sim, io: sim.boot() };
}

/** `sizeBytes` bytes that depend on `index`, so a record in the wrong place is seen. */
export function payloadOf(index: number, sizeBytes = 40 + (index % 200)): Uint8Array {
  const bytes = new Uint8Array(sizeBytes);
  for (let i = 0; i < sizeBytes; i++) bytes[i] = (index * 131 + i * 7) & 0xff;
  return bytes;
}

/** Every record of the log, checksums verified, in offset order (testkit's readLog). */
export async function readAll(io: FileIO, dir = LOG_DIR): Promise<Uint8Array[]> {
  return (await readLog(io, dir)).payloads;
}

export interface Settled {
  /** Offsets of the appends that resolved, by submission index. */
  readonly offsets: Map<number, number>;
  /** Errors of the appends that rejected, by submission index. */
  readonly errors: Map<number, unknown>;
}

/** Waits for every append and sorts them into resolved and rejected. */
export async function settle(appends: ReadonlyArray<Promise<number>>): Promise<Settled> {
  const outcomes = await Promise.allSettled(appends);
  const offsets = new Map<number, number>();
  const errors = new Map<number, unknown>();
  for (const [i, outcome] of outcomes.entries()) {
    if (outcome.status === 'fulfilled') offsets.set(i, outcome.value);
    else errors.set(i, outcome.reason);
  }
  return { offsets, errors };
}

/** Total bytes of the files in `dir` now: a full disk is set relative to it. */
export function usedBytes(sim: SimFileIO, dir = LOG_DIR): number {
  return sim.listDir(dir).reduce((sum, name) => sum + sim.readFileSync(`${dir}/${name}`).length, 0);
}
