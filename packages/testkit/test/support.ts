/**
 * One job: helpers shared by the testkit tests: seeds for many-seed properties (replayable with
 * SEGLOG_SEED), byte helpers, and a few durable-setup steps on a SimFileIO.
 */
import type { ExecutionContext } from 'ava';
import type { FileHandle } from '@seglog/types';
import { errorCode, seedFromEnv, SimFileIO } from '../src/index.js';

/**
 * The seeds a property runs over: `count` seeds from a fixed base, or only SEGLOG_SEED when it is
 * set, so the seed printed by a failure replays exactly that run.
 */
export function seedsFor(count: number): number[] {
  const single = process.env['SEGLOG_SEED'];
  if (single !== undefined && single.trim() !== '') return [seedFromEnv(0)];
  const baseSeed = 0x5eed_0000;
  return Array.from({ length: count }, (_, index) => baseSeed + index);
}

export function replay(seed: number): string {
  return `reproduce with SEGLOG_SEED=${seed}`;
}

export function bytesOf(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

export function textOf(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

export async function rejectsWithCode(t: ExecutionContext, promise: Promise<unknown>, code: string): Promise<unknown> {
  const error = await t.throwsAsync(promise);
  t.is(errorCode(error), code);
  return error;
}

/** `/d` created and made durable in `/`, so files in it can become durable with syncDir('/d'). */
export async function simWithDurableDir(seed: number): Promise<SimFileIO> {
  const sim = new SimFileIO({ seed });
  await sim.mkdirp('/d');
  await sim.syncDir('/');
  return sim;
}

/** Creates `path` with `bytes`, datasyncs it and syncs its directory: fully durable. */
export async function writeDurable(sim: SimFileIO, path: string, bytes: Uint8Array): Promise<FileHandle> {
  const handle = await sim.open(path, 'create');
  await handle.writev([bytes], 0);
  await handle.datasync();
  await sim.syncDir(path.slice(0, path.lastIndexOf('/')) || '/');
  return handle;
}
