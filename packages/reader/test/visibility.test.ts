/**
 * One job: what a reader beside a live log sees (issue 9 item 10). The README's example must open
 * its reader the safe way (`durable: log`), and that way never returns a record the log has not
 * acknowledged, even while appends are in flight.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openLog } from '@seglog/store';
import { SimFileIO } from '@seglog/testkit';
import { openReader } from '../src/index.js';

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

test('a reader opened with durable: log never returns a record that is not acknowledged yet', async (t) => {
  const io = new SimFileIO({ seed: 9, datasyncDelayMs: 1 });
  const log = await openLog({ dir: '/live', io, blockBytes: 512, segmentBytes: 64 * 1024 });
  const reader = await openReader({ dir: '/live', io, durable: log });
  const appends: Promise<number>[] = [];
  let polls = 0;
  let next = 0;
  for (let round = 0; round < 40; round++) {
    for (let i = 0; i < 8; i++) appends.push(log.append(Uint8Array.of(round, i)));
    const durable = log.durableOffset;
    const end = await reader.endOffset();
    t.true(end <= log.durableOffset, `poll ${polls}: end ${end} is acknowledged (durable was ${durable})`);
    for await (const record of reader.read({ from: next })) {
      t.true(record.offset < log.durableOffset, `record ${record.offset} is acknowledged`);
      next = record.offset + 1;
    }
    polls++;
  }
  await Promise.all(appends);
  t.is(await reader.endOffset(), log.durableOffset, 'once every append resolved, the reader sees them all');
  t.is(log.durableOffset, 320);
  await reader.close();
  await log.close();
});
