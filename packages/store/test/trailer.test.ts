/**
 * The sealed-segment trailers the writer leaves at each roll (segment-writer.ts, format's
 * segment-trailer.ts): what each says, that open trusts them instead of scanning, and that a log
 * whose trailers do not vouch for the rest is checked segment by segment.
 */
import test from 'ava';
import { openLog } from '@seglog/store';
import { SimFileIO } from '@seglog/testkit';
import { decodeSegmentHeader, readSegmentTrailer, segmentFileName } from '@seglog/format';
import type { SegmentTrailer } from '@seglog/format';
import type { FileIO } from '@seglog/types';

const DIR = '/data/log';
const OPTIONS = { blockBytes: 512, segmentBytes: 4096, commitWindow: { fixedMicros: 0 } } as const;

async function bases(io: FileIO): Promise<number[]> {
  return (await io.readdir(DIR))
    .filter((name) => name.endsWith('.seg'))
    .map((name) => Number(name.slice(0, 20)))
    .sort((a, b) => a - b);
}

async function logIdOf(io: FileIO, base: number): Promise<Uint8Array> {
  const handle = await io.open(`${DIR}/${segmentFileName(base)}`, 'read');
  try {
    const bytes = new Uint8Array(OPTIONS.blockBytes);
    await handle.read(bytes, 0);
    return decodeSegmentHeader(bytes, 'first').logId;
  } finally {
    await handle.close();
  }
}

async function trailerOf(io: FileIO, base: number, logId: Uint8Array): Promise<SegmentTrailer | null> {
  const handle = await io.open(`${DIR}/${segmentFileName(base)}`, 'read');
  try {
    const decoded = await readSegmentTrailer(handle, await handle.sizeBytes(), logId, OPTIONS.blockBytes);
    return decoded.kind === 'trailer' ? decoded.trailer : null;
  } finally {
    await handle.close();
  }
}

test('every sealed segment ends with a trailer that matches the names, ordinals and append times', async (t) => {
  const sim = new SimFileIO({ seed: 3 });
  const io = sim.boot();
  const before = Date.now();
  const log = await openLog({ dir: DIR, io, ...OPTIONS });
  for (let i = 0; i < 30; i++) await log.append(new Uint8Array(100).fill(i));
  await log.close();
  const names = await bases(io);
  const logId = await logIdOf(io, names[0]!);
  t.true(names.length >= 4, `${names.length} segments`);
  for (const [i, base] of names.entries()) {
    const trailer = await trailerOf(io, base, logId);
    if (i === names.length - 1) {
      t.is(trailer, null, 'the last segment has no trailer');
      continue;
    }
    t.truthy(trailer, `segment ${base} has a trailer`);
    t.is(trailer!.baseOffset, base);
    t.is(trailer!.endOffset, names[i + 1]!);
    t.is(trailer!.segmentSeq, i);
    t.is(trailer!.batches, names[i + 1]! - base, 'one record per batch here');
    t.true(trailer!.firstAppendTimeMs !== undefined && trailer!.firstAppendTimeMs >= before - 1000, 'v2 append times');
    t.true(trailer!.lastAppendTimeMs! >= trailer!.firstAppendTimeMs!);
  }
  const reopened = await openLog({ dir: DIR, io, ...OPTIONS });
  t.like(reopened.recovery, { trailersRead: 2, sealedScanned: 0 });
  t.is(reopened.nextOffset, 30);
  await reopened.close();
});

test('a damaged trailer makes open check the sealed segments one by one, and lose nothing', async (t) => {
  const sim = new SimFileIO({ seed: 4 });
  const io = sim.boot();
  const log = await openLog({ dir: DIR, io, ...OPTIONS });
  for (let i = 0; i < 30; i++) await log.append(new Uint8Array(100).fill(i));
  await log.close();
  const [first] = await bases(io);
  const handle = await io.open(`${DIR}/${segmentFileName(first!)}`, 'write');
  await handle.writev([new Uint8Array([0xff])], (await handle.sizeBytes()) - OPTIONS.blockBytes + 20);
  await handle.datasync();
  await handle.close();
  const reopened = await openLog({ dir: DIR, io, ...OPTIONS });
  t.is(reopened.recovery.sealedScanned, 1, 'only the segment whose trailer failed was scanned');
  t.is(reopened.nextOffset, 30);
  await reopened.close();
});

test('a middle segment taken away is SEGLOG_CORRUPT at open, from the ordinals alone', async (t) => {
  const sim = new SimFileIO({ seed: 5 });
  const io = sim.boot();
  const log = await openLog({ dir: DIR, io, ...OPTIONS });
  for (let i = 0; i < 30; i++) await log.append(new Uint8Array(100).fill(i));
  await log.close();
  const names = await bases(io);
  await io.unlink(`${DIR}/${segmentFileName(names[2]!)}`);
  const error = await t.throwsAsync(openLog({ dir: DIR, io, ...OPTIONS }));
  t.is((error as { code?: string }).code, 'SEGLOG_CORRUPT');
  t.regex(error.message, new RegExp(segmentFileName(names[1]!)), 'names the segment before the gap');
});
