import test from 'ava';
import { encodeBatch, encodeSegmentHeader, segmentFileName } from '@seglog/format';
import { SimFileIO, readLog } from '../src/index.js';

const BLOCK = 512;
const DIR = '/log';
const LOG_ID = Uint8Array.from({ length: 16 }, (_, i) => i + 1);

function payload(offset: number): Uint8Array {
  return Uint8Array.from({ length: 1 + (offset % 40) }, (_, i) => (offset * 7 + i) & 0xff);
}

/** A segment file of `counts.length` batches, starting at `baseOffset`, with `tail` appended raw. */
function segment(baseOffset: number, counts: readonly number[], logId = LOG_ID, tail = new Uint8Array(0)): Uint8Array {
  const parts: Uint8Array[] = [];
  const header = new Uint8Array(BLOCK);
  header.set(encodeSegmentHeader({ blockBytes: BLOCK, baseOffset, logId }));
  parts.push(header);
  let offset = baseOffset;
  for (const count of counts) {
    const payloads = Array.from({ length: count }, (_, i) => payload(offset + i));
    parts.push(encodeBatch(logId, offset, payloads, BLOCK));
    offset += count;
  }
  parts.push(tail);
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

async function machine(files: Record<string, Uint8Array>): Promise<SimFileIO> {
  const sim = new SimFileIO({ seed: 1 });
  await sim.mkdirp(DIR);
  for (const [name, bytes] of Object.entries(files)) {
    const handle = await sim.open(`${DIR}/${name}`, 'truncate');
    await handle.writev([bytes], 0);
    await handle.close();
  }
  return sim;
}

test('reads every record of every segment in offset order, ignoring zeros, index files and next.seg.tmp', async (t) => {
  const sim = await machine({
    [segmentFileName(0)]: segment(0, [3, 1, 5]),
    [segmentFileName(9)]: segment(9, [2, 4], LOG_ID, new Uint8Array(4 * BLOCK)),
    '00000000000000000000.idx': new Uint8Array(32).fill(9),
    'next.seg.tmp': new Uint8Array(BLOCK),
  });
  const log = await readLog(sim, DIR);
  t.is(log.endOffset, 15);
  t.is(log.segments, 2);
  t.deepEqual(log.payloads, Array.from({ length: 15 }, (_, offset) => payload(offset)));
});

test('an empty directory is an empty log', async (t) => {
  const sim = await machine({});
  t.deepEqual(await readLog(sim, DIR), { payloads: [], firstOffset: 0, endOffset: 0, segments: 0 });
});

test('a torn last batch ends the log where the chain breaks', async (t) => {
  const bytes = segment(0, [2, 3]);
  bytes[BLOCK + BLOCK + 40] = bytes[BLOCK + BLOCK + 40]! ^ 0xff; // inside the second batch's payloads
  const sim = await machine({ [segmentFileName(0)]: bytes });
  const log = await readLog(sim, DIR);
  t.is(log.endOffset, 2);
});

test('a gap between segments, a foreign segment or a misnamed segment throws, naming the file', async (t) => {
  const gap = await machine({ [segmentFileName(0)]: segment(0, [2]), [segmentFileName(5)]: segment(5, [1]) });
  await t.throwsAsync(readLog(gap, DIR), { message: /00000000000000000005\.seg: starts at offset 5, but the log continues at 2/ });
  const otherLogId = new Uint8Array(16).fill(7);
  const foreign = await machine({
    [segmentFileName(0)]: segment(0, [2]),
    [segmentFileName(2)]: segment(2, [1], otherLogId),
  });
  await t.throwsAsync(readLog(foreign, DIR), { message: /another log/ });
  const misnamed = await machine({ [segmentFileName(3)]: segment(0, [2]) });
  await t.throwsAsync(readLog(misnamed, DIR), { message: /header says base offset 0, the name 3/ });
});

test('firstOffset lets a log start past 0', async (t) => {
  const sim = await machine({ [segmentFileName(4)]: segment(4, [2]) });
  t.is((await readLog(sim, DIR, { firstOffset: 4 })).endOffset, 6);
  await t.throwsAsync(readLog(sim, DIR));
});
