/**
 * Recovery with several batches in flight (issue 11). A torn batch followed by complete later
 * batches is a torn tail exactly when every later one was issued before the torn one was
 * acknowledged (its header's `ackedOffset` is at or below the torn batch's first offset); the
 * later ones are dropped with it and zeroed, so no new chain can run into them. Otherwise valid
 * data follows damaged acknowledged data: SEGLOG_CORRUPT, decided by recovery itself (HEAD is
 * removed, so its own check cannot stand in). These tests fail if recovery treats every later
 * valid batch as corruption, or if it ignores `ackedOffset`.
 */
import test from 'ava';
import { decodeBatch } from '@seglog/format';
import { openLog } from '@seglog/store';
import { layoutSegment, waitTurns } from '@seglog/testkit';
import type { BatchLayout, SimBootIO, SimFileIO } from '@seglog/testkit';
import { isSeglogError } from '@seglog/types';
import type { LogOptions } from '@seglog/types';
import { LOG_DIR, payloadOf, readAll, simMachine } from './helpers/sim-fault-fixtures.js';

const BLOCK_BYTES = 512;
const SEQUENTIAL = 5;
const PIPELINED = 4;

interface PipelinedLog {
  readonly sim: SimFileIO;
  readonly io: SimBootIO;
  readonly options: LogOptions;
  readonly path: string;
  readonly batches: readonly BatchLayout[];
  /** `ackedOffset` of each batch, by position in `batches`. */
  readonly acked: readonly number[];
}

/**
 * A log of 5 records acknowledged one at a time (one batch each), then 4 records appended in
 * consecutive turns while the disk is slow: one batch each, all 4 in flight together, so each
 * of their headers says the log was acknowledged up to offset 5 when it was issued.
 */
async function pipelinedLog(seed: number): Promise<PipelinedLog> {
  const { sim, io } = await simMachine(seed, { datasyncDelayMs: 3 });
  const options: LogOptions = {
    dir: LOG_DIR,
    io,
    blockBytes: BLOCK_BYTES,
    segmentBytes: 64 * 1024,
    maxBatchBytes: 4096,
    commitWindow: { fixedMicros: 0 },
    preallocate: false,
    maxBatchesInFlight: PIPELINED,
  };
  const log = await openLog(options);
  for (let index = 0; index < SEQUENTIAL; index++) await log.append(payloadOf(index));
  const pending: Promise<number>[] = [];
  for (let index = SEQUENTIAL; index < SEQUENTIAL + PIPELINED; index++) {
    pending.push(log.append(payloadOf(index)));
    await waitTurns(1);
  }
  await Promise.all(pending);
  await log.close();
  const name = sim.listDir(LOG_DIR).find((entry) => entry.endsWith('.seg'))!;
  const path = `${LOG_DIR}/${name}`;
  const bytes = sim.readFileSync(path);
  const layout = layoutSegment(name, bytes);
  const acked = layout.batches.map((batch) => {
    const decoded = decodeBatch(layout.logId, bytes, batch.positionBytes, layout.blockBytes, batch.firstOffset);
    return decoded!.header.ackedOffset!;
  });
  // Recovery must decide alone: without HEAD, nothing else knows how far the log was acknowledged.
  await io.unlink(`${LOG_DIR}/HEAD`);
  await io.syncDir(LOG_DIR);
  return { sim, io, options, path, batches: layout.batches, acked };
}

function batchAt(log: PipelinedLog, firstOffset: number): BatchLayout {
  return log.batches.find((batch) => batch.firstOffset === firstOffset)!;
}

test('the fixture: one batch per record, the last four issued before any of them was acknowledged', async (t) => {
  const log = await pipelinedLog(21);
  t.deepEqual(
    log.batches.map((batch) => batch.firstOffset),
    Array.from({ length: SEQUENTIAL + PIPELINED }, (_, i) => i),
  );
  t.deepEqual(log.acked.slice(0, SEQUENTIAL), [0, 1, 2, 3, 4], 'sequential batches: everything before them was acknowledged');
  t.deepEqual(log.acked.slice(SEQUENTIAL), [5, 5, 5, 5], 'pipelined batches: issued while 5.. was in flight');
});

for (const tornOffset of [5, 6, 7]) {
  test(`a torn batch at offset ${tornOffset} followed by complete batches in flight with it is a torn tail; they are zeroed`, async (t) => {
    const log = await pipelinedLog(22 + tornOffset);
    const torn = batchAt(log, tornOffset);
    // The batch's header and first frames never reached the disk.
    log.sim.corrupt(log.path, torn.positionBytes, new Uint8Array(BLOCK_BYTES));
    const reopened = await openLog(log.options);
    t.is(reopened.nextOffset, tornOffset);
    t.is(reopened.recovery.tornTailAt, torn.positionBytes);
    const last = log.batches[log.batches.length - 1]!;
    const stale = log.sim.readFileSync(log.path).subarray(torn.positionBytes, last.endBytes);
    t.true(stale.every((byte) => byte === 0), 'the remains of the batches in flight are zeroed');
    const offsets = await Promise.all([100, 101, 102].map((index) => reopened.append(payloadOf(index))));
    t.deepEqual(offsets, [tornOffset, tornOffset + 1, tornOffset + 2]);
    await reopened.close();
    const records = await readAll(log.io);
    t.is(records.length, tornOffset + 3);
    for (let offset = 0; offset < tornOffset; offset++) t.deepEqual(records[offset], payloadOf(offset));
    for (let i = 0; i < 3; i++) t.deepEqual(records[tornOffset + i], payloadOf(100 + i));
  });
}

for (const damagedOffset of [2, 4]) {
  test(`damage to batch ${damagedOffset}, followed by a batch issued after it was acknowledged, is SEGLOG_CORRUPT`, async (t) => {
    const log = await pipelinedLog(30 + damagedOffset);
    const damaged = batchAt(log, damagedOffset);
    t.true(log.acked[damagedOffset + 1]! > damagedOffset, 'the next batch says this one was acknowledged');
    // One flipped byte in a payload: the batch's CRC no longer holds.
    const at = damaged.endBytes - 1;
    const flipped = new Uint8Array([log.sim.readFileSync(log.path)[at]! ^ 0xff]);
    log.sim.corrupt(log.path, at, flipped);
    const error = await t.throwsAsync(openLog(log.options));
    t.true(isSeglogError(error, 'SEGLOG_CORRUPT'), String(error));
    t.like(error, { positionBytes: damaged.positionBytes, offset: damagedOffset });
    t.regex(String(error), /issued when offsets below \d+ were acknowledged/, 'recovery decided it, by the header');
  });
}
