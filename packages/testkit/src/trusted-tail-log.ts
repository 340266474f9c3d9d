/**
 * One job: a log whose last segment the writer's open trusts in part instead of scanning it (store
 * recovery.ts, issue 11): one segment of 100-odd records of 60 KiB, one per batch, in the
 * simulator, since a prefix is only trusted past `readLimits.recoveryTrustedPrefixBytesMin`. The
 * store's and the reader's trusted-tail tests build it here; the store is injected (`open`), as
 * testkit never imports it.
 */
import type { LogOptions } from '@seglog/types';
import { layoutSegment, segmentNames, type SegmentLayout } from './log-layout.js';
import { SimFileIO } from './sim-file-io.js';

/** The options every open of such a log passes, beside `dir` and `io`. */
export const TRUSTED_TAIL_SHAPE = {
  blockBytes: 4096,
  segmentBytes: 8 * 1024 * 1024,
  indexIntervalBytes: 256 * 1024,
  commitWindow: { fixedMicros: 0 },
  preallocate: false,
} as const;

export const TRUSTED_TAIL_DIR = '/trusted';

/** The part of a Log the builder drives. */
export interface TrustedTailWriter {
  readonly nextOffset: number;
  append(payload: Uint8Array): Promise<number>;
  close(): Promise<void>;
}

/** The record at `offset`: 60 KiB, so each batch holds one and 100 of them pass the trusted minimum. */
export function trustedTailPayload(offset: number): Uint8Array {
  const bytes = new Uint8Array(60 * 1024);
  for (let i = 0; i < bytes.length; i += 97) bytes[i] = (offset * 7 + i) & 0xff;
  bytes[0] = offset & 0xff;
  return bytes;
}

/** Appends `count` records, one per batch (each awaited), at the log's next offsets. */
export async function appendTrustedTailRecords(log: TrustedTailWriter, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const offset = log.nextOffset;
    const got = await log.append(trustedTailPayload(offset));
    if (got !== offset) throw new Error(`append got ${got}, expected ${offset}`);
  }
}

/**
 * A closed log of `records` records in one segment at TRUSTED_TAIL_DIR on a new simulated disk, with
 * that segment's path and layout (where each batch sits).
 */
export async function writeTrustedTailLog(
  open: (options: LogOptions) => Promise<TrustedTailWriter>,
  records: number,
  seed: number,
): Promise<{ sim: SimFileIO; path: string; segment: SegmentLayout }> {
  const sim = new SimFileIO({ seed });
  const log = await open({ dir: TRUSTED_TAIL_DIR, io: sim, ...TRUSTED_TAIL_SHAPE });
  await appendTrustedTailRecords(log, records);
  await log.close();
  const name = segmentNames(sim.listDir(TRUSTED_TAIL_DIR))[0]?.name;
  if (name === undefined) throw new Error(`no segment in ${TRUSTED_TAIL_DIR} after ${records} appends`);
  const path = `${TRUSTED_TAIL_DIR}/${name}`;
  return { sim, segment: layoutSegment(name, sim.readFileSync(path), path), path };
}
