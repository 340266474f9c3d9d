import test from 'ava';
import { isSeglogError } from '@seglog/types';
import { decodeTransactions, encodeTransactions } from '../src/queue/record-codec.js';
import type { Command } from '../src/queue/commands.js';
import type { QueueMessage } from '../src/index.js';
import { bytes, simQueue, take, text } from './helpers/queue.js';

test('proposals made in one turn share one record, each applied on its own, and replay the same', async (t) => {
  const { queue, reopen } = await simQueue(11);
  const before = queue.machine.log.nextOffset;
  const receipts = await Promise.all(['a', 'b', 'c', 'd'].map((word) => queue.enqueue(bytes(word))));
  t.deepEqual(receipts.map((receipt) => receipt.offset), [0, 1, 2, 3], 'offsets follow proposal order');
  t.is(queue.machine.log.nextOffset, before + 1, 'four enqueues of one turn are one log record');
  const consumer = queue.consumer('work', { concurrency: 4 })[Symbol.asyncIterator]();
  const messages: QueueMessage[] = [];
  for (let i = 0; i < 4; i++) messages.push(await take(consumer));
  t.deepEqual(messages.map((message) => text(message.payload)), ['a', 'b', 'c', 'd'], 'payloads are found at their index in the shared record');
  await Promise.all(messages.map((message) => message.ack()));
  await queue.close();
  const again = await reopen({ payloadCacheBytes: 0 });
  t.like(again.stats('work'), { acked: 4, backlog: 0, inFlight: 0 });
  await again.close();
});

test('a stale settle in a shared record is refused alone: the other transactions of the record apply', async (t) => {
  const { queue } = await simQueue(12);
  await queue.enqueueMany([{ payload: bytes('x') }, { payload: bytes('y') }]);
  const consumer = queue.consumer('work', { concurrency: 2 })[Symbol.asyncIterator]();
  const first = await take(consumer);
  const second = await take(consumer);
  // One turn, one record, three transactions: the ack of `first` applies, which makes the nak of
  // `first` behind it stale at apply time (both passed the hand-out check); the ack of `second` is live.
  const before = queue.machine.log.nextOffset;
  const [acked, stale, live] = await Promise.allSettled([first.ack(), first.nak(), second.ack()]);
  t.is(queue.machine.log.nextOffset, before + 1, 'the three settles were one record');
  t.is(acked.status, 'fulfilled');
  t.is(stale.status, 'rejected');
  t.true(stale.status === 'rejected' && isSeglogError(stale.reason) && stale.reason.code === 'SEGLOG_STALE_DELIVERY');
  t.is(live.status, 'fulfilled');
  t.like(queue.stats('work'), { acked: 2, inFlight: 0 });
  await queue.close();
});

test('shared-record bytes round-trip; bad transaction counts are SEGLOG_CORRUPT', (t) => {
  const one: Command[] = [{ t: 'enq', at: 1, prio: 0, notBefore: 0, payload: bytes('p') }];
  const two: Command[] = [{ t: 'ack', g: 'g', seq: 0, attempt: 1 }, { t: 'enq', at: 2, prio: 1, notBefore: 0, payload: bytes('qq') }];
  const decoded = decodeTransactions(encodeTransactions([one, two]), 7);
  t.is(decoded.length, 2);
  t.is(decoded[0]!.length, 1);
  t.is(decoded[1]!.length, 2);
  t.is(text((decoded[1]![1] as { payload: Uint8Array }).payload), 'qq');
  t.is(decodeTransactions(encodeTransactions([one]), 7).length, 1);
  // The transaction counts sit after the string table (one string, "g"): u32 at 8 + 4 + 1.
  const record = encodeTransactions([one, two]);
  const view = new DataView(record.buffer);
  t.is(view.getUint32(13, true), 2, 'two transactions');
  view.setUint32(21, 1, true);
  const error = t.throws(() => decodeTransactions(record, 7));
  t.true(isSeglogError(error) && error.code === 'SEGLOG_CORRUPT');
  // The same for a record of the JSON layout (written before the binary one).
  const header = new TextEncoder().encode('{"v":2,"c":[{"t":"ack","g":"g","seq":0,"attempt":1},{"t":"ack","g":"g","seq":1,"attempt":1}],"n":[1,2]}');
  const json = new Uint8Array(4 + header.byteLength);
  new DataView(json.buffer).setUint32(0, header.byteLength, true);
  json.set(header, 4);
  const jsonError = t.throws(() => decodeTransactions(json, 7));
  t.true(isSeglogError(jsonError) && jsonError.code === 'SEGLOG_CORRUPT');
});
