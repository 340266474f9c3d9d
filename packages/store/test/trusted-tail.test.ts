/**
 * One job: open scans the last segment only from the batch HEAD vouches for (recovery.ts), and
 * what it leaves out is still checked: the background check (tail-prefix-check.ts) counts its
 * batches for the trailer and turns damage there into SEGLOG_CORRUPT for every later append;
 * readLog (every CRC) fails on it too. Crashes after such an open lose nothing acknowledged.
 * Logs here are a few MiB in the simulator, as the prefix is only trusted past
 * `readLimits.recoveryTrustedPrefixBytesMin`.
 */
import test from 'ava';
import { decodeSegmentTrailer, segmentFileName } from '@seglog/format';
import {
  appendTrustedTailRecords as appendRecords, layoutSegment, Prng, readLog, SimFileIO, TRUSTED_TAIL_DIR as DIR,
  TRUSTED_TAIL_SHAPE as shape, trustedTailPayload as payloadAt, writeTrustedTailLog,
} from '@seglog/testkit';
import { readLimits, SeglogError } from '@seglog/types';
import { openLog } from '../src/index.js';

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

async function expectCorrupt(t: { fail: (m: string) => void }, run: () => Promise<unknown>): Promise<SeglogError> {
  try {
    await run();
  } catch (error) {
    if (error instanceof SeglogError && error.code === 'SEGLOG_CORRUPT') return error;
    throw error;
  }
  t.fail('expected SEGLOG_CORRUPT');
  throw new Error('unreachable');
}

/** A closed log of `records` records in one segment, big enough that open trusts its start. */
async function bigTail(records: number): ReturnType<typeof writeTrustedTailLog> {
  return writeTrustedTailLog(openLog, records, 11);
}

test('open scans the last segment only from the last batch HEAD vouches for, and reads back whole', async (t) => {
  const { sim } = await bigTail(100);
  const log = await openLog({ dir: DIR, io: sim, ...shape });
  t.is(log.nextOffset, 100);
  t.true(log.recovery.tailTrustedBytes >= readLimits.recoveryTrustedPrefixBytesMin, `${log.recovery.tailTrustedBytes} bytes trusted`);
  t.true(log.recovery.batchesScanned <= 8, `${log.recovery.batchesScanned} batches scanned, not 100`);
  await appendRecords(log, 3);
  await log.close();
  const read = await readLog(sim, DIR);
  t.is(read.payloads.length, 103);
  t.is(read.payloads.findIndex((payload, offset) => !sameBytes(payload, payloadAt(offset))), -1, 'every record as appended');
});

test('a short last segment is still scanned whole', async (t) => {
  const { sim } = await bigTail(20);
  const log = await openLog({ dir: DIR, io: sim, ...shape });
  t.is(log.recovery.tailTrustedBytes, 0);
  t.is(log.recovery.batchesScanned, 20);
  await log.close();
});

test('the trailer of a segment opened this way counts the batches open did not scan', async (t) => {
  const { sim, path, segment } = await bigTail(100);
  const log = await openLog({ dir: DIR, io: sim, ...shape });
  t.true(log.recovery.tailTrustedBytes > 0);
  // Past 8 MiB: the segment rolls and gets its trailer.
  await appendRecords(log, 60);
  t.true(log.metrics().segmentsCreated >= 1, 'rolled');
  await log.close();
  const bytes = sim.readFileSync(path);
  const decoded = decodeSegmentTrailer(bytes.subarray(bytes.length - shape.blockBytes), segment.logId);
  t.is(decoded.kind, 'trailer');
  const { batches } = layoutSegment(segmentFileName(0), bytes, path);
  if (decoded.kind === 'trailer') {
    t.is(decoded.trailer.batches, batches.length, 'every batch of the segment, scanned at open or not');
    t.is(decoded.trailer.endOffset, batches.length);
  }
});

test('damage before the trusted batch: open succeeds, the background check refuses writes with SEGLOG_CORRUPT at the damaged byte', async (t) => {
  const { sim, path, segment } = await bigTail(100);
  const damaged = segment.batches[10]!;
  sim.corrupt(path, damaged.positionBytes + 5000, Uint8Array.of(0x5a, 0xa5));
  const log = await openLog({ dir: DIR, io: sim, ...shape });
  t.true(log.recovery.tailTrustedBytes > damaged.positionBytes, 'the damage lies in the part open trusted');
  const error = await expectCorrupt(t, async () => {
    // Appends go on until the check (running beside them) finds the damage; bounded.
    for (let i = 0; i < 2000; i++) await log.append(new Uint8Array(10));
  });
  t.like(error, { file: path, positionBytes: damaged.positionBytes, offset: damaged.firstOffset });
  t.is(log.durableOffset < 2100, true);
  await log.close();
  // testkit's readLog (every CRC) stops there; the reader and `seglog verify` report SEGLOG_CORRUPT
  // (reader/test/trusted-tail.test.ts, cli/test/verify-trusted-tail.test.ts).
  t.is((await readLog(sim, DIR)).payloads.length, damaged.firstOffset);
});

test('crashes after an open that trusted the tail lose nothing acknowledged (12 seeds)', async (t) => {
  t.timeout(120_000);
  const { sim: base } = await bigTail(80);
  const image = new Map(base.listDir(DIR).map((name) => [`${DIR}/${name}`, base.readFileSync(`${DIR}/${name}`)]));
  for (let seed = 1; seed <= 12; seed++) {
    const prng = new Prng(seed);
    const sim = new SimFileIO({ seed });
    await sim.mkdirp(DIR);
    for (const [path, bytes] of image) {
      const handle = await sim.open(path, 'truncate');
      await handle.writev([bytes], 0);
      await handle.datasync();
      await handle.close();
    }
    await sim.syncDir(DIR);
    await sim.syncDir('/');
    const log = await openLog({ dir: DIR, io: sim.boot(), ...shape });
    t.true(log.recovery.tailTrustedBytes > 0, `seed ${seed}: trusted`);
    const acknowledged = 80 + prng.int(1, 30);
    const appending = appendRecords(log, acknowledged - 80).catch(() => undefined);
    await appending;
    // More in flight at the crash, never acknowledged.
    void log.append(payloadAt(acknowledged)).catch(() => undefined);
    for (let turn = prng.int(0, 30); turn > 0; turn--) await new Promise((resolve) => setImmediate(resolve));
    sim.crash(prng);
    const again = await openLog({ dir: DIR, io: sim.boot(), ...shape });
    t.true(again.nextOffset >= acknowledged, `seed ${seed}: ends at ${again.nextOffset}, ${acknowledged} acknowledged`);
    await again.close();
    const read = await readLog(sim.boot(), DIR);
    t.is(read.payloads.length, again.nextOffset, `seed ${seed}`);
    const wrong = read.payloads.findIndex((payload, offset) => !sameBytes(payload, payloadAt(offset)));
    t.is(wrong, -1, `seed ${seed}: record ${wrong} reads back as appended`);
  }
});
