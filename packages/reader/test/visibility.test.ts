/**
 * One job: what a reader beside a live log sees (issue 9 item 10). The README's example must open
 * its reader the safe way (`durable: log`), and that way never returns a record the log has not
 * acknowledged, while a reader without it sees the batch whose flush is still in flight.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openLog } from '@seglog/store';
import { decodeHead, encodeHeadSlot, HEAD_FILE_BYTES, headSlotPosition } from '@seglog/format';
import { SimFileIO } from '@seglog/testkit';
import { ErrorCodes } from '@seglog/types';
import { openReader } from '../src/index.js';
import { CountingIO } from './helpers/counting-io.js';
import { appendBatch, batchesFrom, buildLog, collect, expectedRecords } from './helpers/build-log.js';

const README = fileURLToPath(new URL('../../../README.md', import.meta.url));

test('the README example opens its reader beside the live log with durable: log', (t) => {
  const text = readFileSync(README, 'utf8');
  const use = /## Use\n+```ts\n([\s\S]*?)```/.exec(text)?.[1];
  if (use === undefined) return t.fail('the README has a "Use" example');
  t.regex(use, /openLog\(/, 'the example has a live log');
  const opens = [...use.matchAll(/openReader\(\{([^}]*)\}\)/g)].map((match) => match[1]!);
  t.true(opens.length > 0, 'the example opens a reader');
  for (const options of opens) t.regex(options, /durable: log/, `openReader({${options}}) passes the live log as durable`);
});

test('a reader opened with durable never returns a record past what the log acknowledged', async (t) => {
  // The writer's side is played by hand, as the log does it: a batch's bytes are in the file (its
  // write completed) before its flush is acknowledged and durableOffset moves past it.
  const io = new CountingIO();
  const log = await buildLog(io, { segments: [{ batches: batchesFrom(0, 2, 3) }] });
  const durable = { durableOffset: 6 };
  const reader = await openReader({ dir: log.dir, io, durable });
  const blind = await openReader({ dir: log.dir, io });
  for (let round = 0; round < 20; round++) {
    const written = await appendBatch(log, batchesFrom(6 + round * 2, 1, 2)[0]!);
    const flushing = written.firstOffset + 2;
    t.is(await blind.endOffset(), flushing, 'without durable, the batch whose flush is in flight is visible');
    t.is(await reader.endOffset(), durable.durableOffset, 'with durable, only what was acknowledged');
    const seen = await collect(reader.read({ from: 0 }));
    t.is(seen.length, durable.durableOffset, 'read stops at the acknowledged end');
    await t.throwsAsync(reader.get(written.firstOffset), { code: ErrorCodes.OUT_OF_RANGE } as never);
    durable.durableOffset = flushing; // the flush completed: acknowledged
    t.deepEqual(await reader.get(flushing - 1), log.payloads.get(flushing - 1));
  }
  t.deepEqual(await collect(reader.read({ from: 0 })), expectedRecords(log, 0, 46));
  await blind.close();
  await reader.close();
});

test('a reader without durable takes the durable end from HEAD: never a record the log has not acknowledged', async (t) => {
  const io = new SimFileIO({ seed: 12, datasyncDelayMs: 1 });
  const log = await openLog({ dir: '/head', io, blockBytes: 512, segmentBytes: 16 * 1024 });
  const reader = await openReader({ dir: '/head', io });
  const appends: Promise<number>[] = [];
  let next = 0;
  let aheadOfDurable = 0;
  for (let round = 0; round < 40; round++) {
    for (let i = 0; i < 8; i++) appends.push(log.append(new Uint8Array(200).fill(round)));
    await new Promise((resolve) => setImmediate(resolve));
    // What a reader without HEAD would see: every batch whose write completed.
    const written = await openReader({ dir: '/head', io, durable: log, visibility: 'written' });
    if ((await written.endOffset()) > log.durableOffset) aheadOfDurable++;
    await written.close();
    const end = await reader.endOffset();
    t.true(end <= log.durableOffset, `round ${round}: end ${end} is acknowledged (durable ${log.durableOffset})`);
    for await (const record of reader.read({ from: next })) {
      t.true(record.offset < log.durableOffset, `record ${record.offset} is acknowledged`);
      t.is(record.payload[0], Math.floor(record.offset / 8), `record ${record.offset} holds what was appended`);
      next = record.offset + 1;
    }
  }
  await Promise.all(appends);
  t.true(aheadOfDurable > 0, `written-but-not-durable records existed in ${aheadOfDurable} rounds, so the clamp was tested`);
  await log.close();
  t.is(await reader.endOffset(), 320, 'after close HEAD says everything is durable');
  t.is((await reader.get(319))[0], 39);
  await reader.close();
});

test("visibility: 'written' beside the log sees records whose write completed before their flush", async (t) => {
  // A slow flush, so the batch sits written but not durable for a while.
  const io = new SimFileIO({ seed: 13, datasyncDelayMs: 300 });
  const log = await openLog({ dir: '/written', io, blockBytes: 512 });
  const reader = await openReader({ dir: '/written', io, durable: log, visibility: 'written' });
  const durableReader = await openReader({ dir: '/written', io, durable: log });
  const appends = [log.append(Uint8Array.of(1)), log.append(Uint8Array.of(2))];
  let seen = 0;
  let durableWhenSeen = -1;
  for (let turn = 0; turn < 1000 && seen === 0; turn++) {
    await new Promise((resolve) => setImmediate(resolve));
    seen = await reader.endOffset();
    durableWhenSeen = log.durableOffset;
  }
  t.is(seen, 2, 'the written reader saw the batch');
  t.is(durableWhenSeen, 0, 'before its flush completed');
  t.is(await durableReader.endOffset(), log.durableOffset, 'the durable reader stops at the durable end');
  await Promise.all(appends);
  t.is(await durableReader.endOffset(), 2);
  await Promise.all([reader.close(), durableReader.close(), log.close()]);
});

test('a reopened log publishes what recovery found, so a reader sees it before the next append', async (t) => {
  const io = new SimFileIO({ seed: 14 });
  const first = await openLog({ dir: '/reopen', io, blockBytes: 512 });
  await first.appendMany([Uint8Array.of(1), Uint8Array.of(2), Uint8Array.of(3)]);
  await first.close();
  // As after a crash between an acknowledgement and its HEAD write: HEAD one batch behind.
  const handle = await io.open('/reopen/HEAD', 'write');
  const bytes = new Uint8Array(HEAD_FILE_BYTES);
  await handle.read(bytes, 0);
  const state = decodeHead(bytes, 'HEAD')!;
  const behind = { ...state, seq: state.seq + 1, durableOffset: 0 };
  await handle.writev([encodeHeadSlot(behind)], headSlotPosition(behind.seq));
  await handle.close();
  const stale = await openReader({ dir: '/reopen', io });
  t.is(await stale.endOffset(), 0, 'HEAD says nothing is durable');
  await stale.close();
  const again = await openLog({ dir: '/reopen', io, blockBytes: 512 });
  const reader = await openReader({ dir: '/reopen', io });
  t.is(await reader.endOffset(), 3);
  await again.close();
  await reader.close();
});
