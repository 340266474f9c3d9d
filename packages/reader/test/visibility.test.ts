/**
 * One job: what a reader beside a live log sees (issue 9 item 10). The README's example must open
 * its reader the safe way (`durable: log`), and that way never returns a record the log has not
 * acknowledged, while a reader without it sees the batch whose flush is still in flight.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
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
