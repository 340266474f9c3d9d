/**
 * The binary record layout (record-binary.ts): every command shape round-trips through it, with
 * its optional fields, strings in any script and payloads of any size; truncated or damaged bytes
 * are SEGLOG_CORRUPT, never a thrown RangeError or a silently wrong command.
 */
import test from 'ava';
import { Prng, seedFromEnv } from '@seglog/testkit';
import { isSeglogError } from '@seglog/types';
import { decodeTransactions, encodeTransactions } from '../src/queue/record-codec.js';
import type { Command } from '../src/queue/commands.js';

const names = ['g', 'work', 'work.dead', 'groupe-é', '群組', ''];

function randomCommand(prng: Prng): Command {
  const g = names[prng.int(0, names.length)]!;
  const seq = prng.int(0, 2 ** 40);
  const attempt = prng.int(1, 100);
  const time = 1_765_000_000_000 + prng.int(0, 1e9);
  switch (prng.int(0, 9)) {
    case 0:
      return { t: 'group', g, from: prng.bool() ? 'earliest' : 'latest', at: time };
    case 1:
      return { t: 'deliver', g, seq, attempt, deadline: time };
    case 2:
      return { t: 'ack', g, seq, attempt };
    case 3:
      return { t: 'nak', g, seq, attempt, notBefore: time };
    case 4:
      return { t: 'extend', g, seq, attempt, deadline: time };
    case 5:
      return { t: 'retire', g, seq, attempt, reason: prng.bool() ? 'maxDeliveries' : 'raison ü', ...(prng.bool() ? { deadLetter: `${g}.dead` } : {}), at: time };
    case 6:
      return { t: 'pause', g, paused: prng.bool() };
    case 7:
      return { t: 'redrive', g, seq, at: time };
    default:
      return {
        t: 'enq',
        at: time,
        prio: prng.int(0, 8),
        notBefore: prng.bool() ? 0 : time,
        ...(prng.bool(0.3) ? { key: `key-${prng.int(0, 5)}-ключ` } : {}),
        ...(prng.bool(0.2) ? { dedup: `d${prng.int(0, 3)}`, dedupUntil: time + 120_000 } : {}),
        ...(prng.bool(0.2) ? { target: g } : {}),
        ...(prng.bool(0.2) ? { ref: [prng.int(0, 2 ** 40), prng.int(0, 5000)] as const } : {}),
        ...(prng.bool(0.1) ? { dead: { origin: g, originOffset: seq, deliveries: attempt, reason: 'r' } } : {}),
        ...(prng.bool(0.8) ? { payload: prng.bytes(prng.int(0, 300)) } : {}),
      };
  }
}

/** Commands as plain data (payload bytes as arrays), so deepEqual compares contents. */
const plain = (transactions: readonly (readonly Command[])[]): unknown =>
  transactions.map((commands) => commands.map((command) => (command.t === 'enq' && command.payload !== undefined ? { ...command, payload: [...command.payload] } : command)));

test('every command shape round-trips through the binary layout', (t) => {
  const base = seedFromEnv(0xb1a7);
  for (let seed = base; seed < base + 300; seed++) {
    const prng = new Prng(seed);
    const transaction = (): Command[] => Array.from({ length: prng.int(1, 12) }, () => randomCommand(prng));
    const transactions = Array.from({ length: prng.int(1, 6) }, transaction);
    const decoded = decodeTransactions(encodeTransactions(transactions), 9);
    t.deepEqual(plain(decoded), plain(transactions), `reproduce with SEGLOG_SEED=${seed}`);
  }
});

test('a group name repeated by every command of a record is stored once', (t) => {
  const acks: Command[] = Array.from({ length: 64 }, (_, seq) => ({ t: 'ack', g: 'a-long-group-name', seq, attempt: 1 }));
  const record = encodeTransactions([acks]);
  const occurrences = Buffer.from(record).toString('latin1').split('a-long-group-name').length - 1;
  t.is(occurrences, 1);
  t.is(record.byteLength, 4 + 4 + 4 + 17 + 4 + 4 + 64 * 17, 'marker, table, counts, 64 acks of 17 bytes');
});

test('truncated or damaged binary records are SEGLOG_CORRUPT', (t) => {
  const prng = new Prng(seedFromEnv(0xdead));
  const record = encodeTransactions([Array.from({ length: 20 }, () => randomCommand(prng)), [randomCommand(prng)]]);
  for (let length = 4; length < record.byteLength; length += 7) {
    const error = t.throws(() => decodeTransactions(record.subarray(0, length), 3));
    t.true(isSeglogError(error) && error.code === 'SEGLOG_CORRUPT', `cut at ${length}`);
  }
  const longer = new Uint8Array(record.byteLength + 1);
  longer.set(record);
  const extra = t.throws(() => decodeTransactions(longer, 3));
  t.true(isSeglogError(extra) && extra.code === 'SEGLOG_CORRUPT', 'a byte after the payloads');
  const badString = record.slice();
  new DataView(badString.buffer).setUint32(4, 0, true);
  const missing = t.throws(() => decodeTransactions(badString, 3));
  t.true(isSeglogError(missing) && missing.code === 'SEGLOG_CORRUPT', 'a string index past the table');
});
