/**
 * Writes test/fixtures/json-records.json: the records and the snapshot body of a queue written by
 * the JSON encoding (record headers v1/v2, snapshot body v1), the format every queue used before
 * the binary one. Kept so that the reader of today's code is tested against bytes the old code
 * wrote (test/json-compat.test.ts). It was run once, on the code before the binary encoding:
 * `node --import=tsx --conditions=@seglog/source scripts/make-json-fixture.ts` in packages/queue.
 * Running it again on newer code would write binary records and defeat the purpose.
 */
import { writeFile } from 'node:fs/promises';
import { SimFileIO } from '@seglog/testkit';
import { openQueue } from '../src/index.js';
import type { QueueMessage } from '../src/index.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const sim = new SimFileIO({ seed: 7 });
await sim.mkdirp('/data');
await sim.syncDir('/');
let now = 1_765_000_000_000;
const clock = {
  nowMs: () => now,
  setTimer: (callback: () => void, delayMs: number) => setTimeout(callback, delayMs),
  clearTimer: (handle: unknown) => clearTimeout(handle as NodeJS.Timeout),
};
const queue = await openQueue({ dir: '/data/q', io: sim.boot(), clock, snapshotEveryRecords: 1_000_000 });
const main = queue.consumer('main', { concurrency: 8, maxDeliveries: 2, backoff: { type: 'fixed', delayMs: 0 } })[Symbol.asyncIterator]();
const other = queue.consumer('other', { concurrency: 2 })[Symbol.asyncIterator]();
await queue.enqueue(bytes('plain'));
await queue.enqueue(bytes('keyed ü'), { key: 'user-ü', priority: 3 });
await queue.enqueue(bytes('dedup'), { dedupId: 'd-1' });
await queue.enqueue(bytes('dedup again'), { dedupId: 'd-1' });
await queue.enqueue(bytes('delayed'), { delayMs: 3_600_000 });
await queue.enqueueMany([{ payload: bytes('many-0') }, { payload: bytes('many-1'), options: { key: 'k', priority: 7 } }, { payload: new Uint8Array(0) }]);
const take = async (iterator: AsyncIterator<QueueMessage>): Promise<QueueMessage> => {
  const next = await iterator.next();
  if (next.done === true) throw new Error('ended');
  return next.value;
};
const first = await take(main);
await first.ack();
const second = await take(main);
await second.nak({ delayMs: 0 });
const third = await take(main);
await third.inProgress({ extendMs: 90_000 });
await third.term({ reason: 'bad input' });
const fourth = await take(main);
await queue.transact((tx) => {
  tx.ack(fourth);
  tx.enqueue(bytes('follow-up'), { key: 'k' });
});
now += 1000;
const inOther = await take(other);
await inOther.ack();
await queue.pause('other');
await queue.resume('other');
const redriven = await queue.redrive('main');
const held = await take(main);
const records: string[] = [];
for await (const record of queue.machine.reader.read({ from: 0, to: queue.machine.log.nextOffset })) {
  records.push(Buffer.from(record.payload).toString('base64'));
}
const snapshot = Buffer.from(queue.state.snapshot()).toString('base64');
const fixture = {
  note: 'Records (base64) and a snapshot body written by the JSON encoding of @seglog/queue; see scripts/make-json-fixture.ts.',
  redriven,
  heldOffset: held.offset,
  nextSeq: queue.state.nextSeq,
  groups: Object.fromEntries(queue.groupNames().map((name) => [name, queue.stats(name)])),
  records,
  snapshot,
};
await writeFile(new URL('../test/fixtures/json-records.json', import.meta.url), `${JSON.stringify(fixture, null, 1)}\n`);
console.log(`${records.length} records, snapshot ${Buffer.from(snapshot, 'base64').byteLength} bytes`);
process.exit(0);
