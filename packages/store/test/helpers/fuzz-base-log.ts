/**
 * One job: build the small, real logs the corruption fuzz damages, and map where every byte of
 * acknowledged data sits (segment headers, each batch's checksummed range, its offsets), so a case
 * can tell exactly which records a damage touched.
 *
 * A log is written by the real store on testkit's SimFileIO, a few segments of 16 KiB, records from
 * fuzz-pattern.ts appended in concurrent groups (so batches hold 1 to ~12 records), then closed.
 * Each variant also gets a second, unrelated log of the same shape to splice blocks from.
 */
import { Prng, SimFileIO, layoutLog } from '@seglog/testkit';
import type { LogImage, SegmentLayout } from '@seglog/testkit';
import { openLog } from '../../src/index.js';
import { FUZZ_PROFILE, payloadAt, payloadMismatch } from './fuzz-pattern.js';

export const FUZZ_DIR = '/fuzz/log';

export interface BaseLogOptions {
  readonly segmentBytes: number;
  readonly blockBytes: number;
  readonly indexIntervalBytes: number;
  readonly preallocate: boolean;
}

/** Three shapes: small blocks with a dense index, no preallocation with one index entry per segment, bigger blocks. */
export const VARIANTS: readonly BaseLogOptions[] = [
  { segmentBytes: 16 * 1024, blockBytes: 512, indexIntervalBytes: 1024, preallocate: true },
  { segmentBytes: 16 * 1024, blockBytes: 512, indexIntervalBytes: 16 * 1024, preallocate: false },
  { segmentBytes: 16 * 1024, blockBytes: 1024, indexIntervalBytes: 2048, preallocate: true },
];

/** A log to damage (testkit's LogImage), with what the store wrote it with. */
export interface BaseLog extends LogImage {
  readonly options: BaseLogOptions;
  readonly salt: number;
  readonly nextOffset: number;
}

const SEGMENTS_WANTED = 3;

/** The files of `dir` as reads see them now: name -> bytes. */
export function snapshotFiles(sim: SimFileIO, dir: string): Map<string, Uint8Array> {
  return new Map(sim.listDir(dir).map((name) => [name, sim.readFileSync(`${dir}/${name}`)]));
}

/** A simulated disk holding `files` in `dir` (no crash will happen, so nothing needs a sync). */
export async function simWithFiles(dir: string, files: ReadonlyMap<string, Uint8Array>): Promise<SimFileIO> {
  const sim = new SimFileIO({ seed: 1 });
  await sim.mkdirp(dir);
  for (const [name, bytes] of files) {
    const handle = await sim.open(`${dir}/${name}`, 'truncate');
    await handle.writev([bytes], 0);
    await handle.close();
  }
  return sim;
}

async function writeLog(options: BaseLogOptions, salt: number, prng: Prng): Promise<Map<string, Uint8Array>> {
  const io = new SimFileIO({ seed: 1 });
  // A fixed window of 0 makes batching depend only on the PRNG, and the log id comes from the
  // salt: a replay builds the same bytes.
  const logId = new Prng(salt).bytes(16);
  const log = await openLog({ dir: FUZZ_DIR, io, ...options, commitWindow: { fixedMicros: 0 }, logId });
  const segmentCount = async (): Promise<number> => (await io.readdir(FUZZ_DIR)).filter((name) => name.endsWith('.seg')).length;
  // Fill until the third segment exists, then part of it, so the last segment has several batches.
  let extraGroups = prng.int(4, 12);
  while ((await segmentCount()) < SEGMENTS_WANTED || extraGroups-- > 0) {
    const first = log.nextOffset;
    const count = prng.int(1, 13);
    const payloads = Array.from({ length: count }, (_, i) => payloadAt(first + i, salt, FUZZ_PROFILE));
    if (prng.bool(0.2)) {
      await log.appendMany(payloads);
    } else {
      await Promise.all(payloads.map((payload) => log.append(payload)));
    }
  }
  await log.close();
  return snapshotFiles(io, FUZZ_DIR);
}

/** Every payload of every segment must be the pattern's before any damage. */
function checkPattern(segments: readonly SegmentLayout[], salt: number): void {
  for (const batch of segments.flatMap((segment) => segment.batches)) {
    batch.payloads.forEach((payload, i) => {
      const mismatch = payloadMismatch(batch.firstOffset + i, salt, FUZZ_PROFILE, payload);
      if (mismatch !== null) throw new Error(`base log is wrong before any damage: ${mismatch}`);
    });
  }
}

export async function buildBaseLog(options: BaseLogOptions, seed: number): Promise<BaseLog> {
  const prng = new Prng(seed);
  const salt = prng.nextU32();
  const files = await writeLog(options, salt, prng.fork());
  const foreign = await writeLog(options, prng.nextU32(), prng.fork());
  const segments = layoutLog(files);
  checkPattern(segments, salt);
  for (let i = 1; i < segments.length; i++) {
    if (segments[i]!.baseOffset !== segments[i - 1]!.endOffset) throw new Error('base log: segments do not continue each other');
  }
  const nextOffset = segments[segments.length - 1]!.endOffset;
  if (segments.length < SEGMENTS_WANTED || nextOffset === 0) throw new Error(`base log has ${segments.length} segments, ${nextOffset} records`);
  return { options, blockBytes: options.blockBytes, salt, files, segments, nextOffset, foreign };
}
