/**
 * The binary snapshot body (snapshot-binary.ts): a state with every kind of field (keys in any
 * script, dead letters, leases, attempts, nak delays, settled sets, dedup ids, a paused group)
 * survives encode and decode unchanged; a damaged body is SEGLOG_CORRUPT.
 */
import test from 'ava';
import { isSeglogError } from '@seglog/types';
import { QueueState } from '../src/queue/state.js';
import type { Command } from '../src/queue/commands.js';

const payload = new Uint8Array([1, 2, 3]);

function busyState(): QueueState {
  const state = new QueueState();
  let offset = 0;
  const apply = (commands: Command[]): void => void state.apply(commands, offset++, 0);
  apply([{ t: 'group', g: 'main', from: 'earliest', at: 1 }, { t: 'group', g: 'другая', from: 'latest', at: 1 }]);
  for (let i = 0; i < 40; i++) {
    apply([{ t: 'enq', at: 100 + i, prio: i % 8, notBefore: i % 3 === 0 ? 5000 : 0, payload, ...(i % 2 === 0 ? { key: `ключ-${i % 5}` } : {}), ...(i % 7 === 0 ? { dedup: `d${i}`, dedupUntil: 9e12 } : {}) }]);
  }
  for (let seq = 0; seq < 12; seq++) apply([{ t: 'deliver', g: 'main', seq, attempt: 1, deadline: 30_000 + seq }]);
  apply([{ t: 'ack', g: 'main', seq: 3, attempt: 1 }]);
  apply([{ t: 'ack', g: 'main', seq: 5, attempt: 1 }]);
  apply([{ t: 'nak', g: 'main', seq: 6, attempt: 1, notBefore: 777 }]);
  apply([{ t: 'retire', g: 'main', seq: 7, attempt: 1, reason: 'ошибка', deadLetter: 'main.dead', at: 200 }]);
  apply([{ t: 'pause', g: 'другая', paused: true }]);
  apply([{ t: 'deliver', g: 'другая', seq: 20, attempt: 1, deadline: 1 }]);
  return state;
}

test('a binary snapshot restores every field of the state', (t) => {
  const state = busyState();
  const body = state.snapshot();
  t.is(new DataView(body.buffer, body.byteOffset).getUint32(0, true), 0xffffff02, 'the binary marker');
  const restored = new QueueState();
  restored.restore(body);
  t.is(restored.nextSeq, state.nextSeq);
  t.deepEqual([...restored.messages.values()], [...state.messages.values()]);
  t.deepEqual([...restored.groups.values()], [...state.groups.values()]);
  t.deepEqual([...restored.dedup], [...state.dedup]);
  t.deepEqual(Buffer.from(restored.snapshot()), Buffer.from(body), 'encode(decode(body)) is the same bytes');
  const main = restored.groups.get('main')!;
  t.true(main.leases.size > 0 && main.settled.size > 0 && main.notBefore.size > 0, 'the state exercised every map');
  t.true(restored.groups.get('main.dead')!.unsettled === 1 && [...restored.messages.values()].some((m) => m.dead?.reason === 'ошибка'));
});

test('a damaged snapshot body is SEGLOG_CORRUPT', (t) => {
  const body = busyState().snapshot();
  for (const length of [4, 13, 100, body.byteLength - 1]) {
    const error = t.throws(() => new QueueState().restore(body.subarray(0, length)));
    t.true(isSeglogError(error) && error.code === 'SEGLOG_CORRUPT', `cut at ${length}`);
  }
  const longer = new Uint8Array(body.byteLength + 2);
  longer.set(body);
  const extra = t.throws(() => new QueueState().restore(longer));
  t.true(isSeglogError(extra) && extra.code === 'SEGLOG_CORRUPT');
  const unknown = t.throws(() => new QueueState().restore(new TextEncoder().encode('{"v":9}')));
  t.true(isSeglogError(unknown) && unknown.code === 'SEGLOG_CORRUPT');
});
