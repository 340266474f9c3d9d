import test from 'ava';
import { Prng, seedFromEnv } from '@seglog/testkit';
import { decodeSnapshot, encodeSnapshot, openMachine, snapshotFileName } from '../src/machine/index.js';
import { SumMachine, freshSim } from './helpers/sim.js';

const dir = '/data/m';

test('a proposal resolves with the applied result, once durable, and applies in offset order', async (t) => {
  const sim = await freshSim(1);
  const state = new SumMachine();
  const machine = await openMachine({ dir, io: sim.boot(), machine: state });
  const results = await Promise.all([1, 2, 3, 4].map((value) => machine.propose([value])));
  t.is(state.total, 10);
  t.deepEqual([...results].sort((a, b) => a - b), [1, 3, 6, 10], 'each result is a prefix sum: applied one at a time in order');
  t.is(machine.appliedOffset, 4);
  t.true(machine.log.durableOffset >= 4);
  await machine.close();
});

test('reopen restores from the snapshot and replays only the records after it', async (t) => {
  const sim = await freshSim(2);
  const first = await openMachine({
    dir,
    io: sim.boot(),
    machine: new SumMachine(),
    snapshotEveryRecords: 10,
    snapshotOnClose: false,
  });
  for (let i = 1; i <= 25; i++) await first.propose([i]);
  await first.close();
  const state = new SumMachine();
  const second = await openMachine({ dir, io: sim.boot(), machine: state });
  t.is(state.total, 325);
  t.is(state.records, 25);
  t.is(second.stats.snapshotOffsetAtOpen, 20);
  t.is(second.stats.replayedRecords, 5);
  await second.close();
  const third = await openMachine({ dir, io: sim.boot(), machine: new SumMachine() });
  t.is(third.stats.replayedRecords, 0, 'close wrote a snapshot, so the next open replays nothing');
  await third.close();
});

test('a damaged newest snapshot is skipped for the older one, and nothing is lost', async (t) => {
  const sim = await freshSim(3);
  const io = sim.boot();
  const first = await openMachine({
    dir,
    io,
    machine: new SumMachine(),
    snapshotEveryRecords: 5,
    snapshotOnClose: false,
  });
  for (let i = 1; i <= 12; i++) await first.propose([i]);
  await first.close();
  const newest = `${dir}/snapshots/${snapshotFileName(10)}`;
  const handle = await io.open(newest, 'write');
  await handle.writev([new Uint8Array([0xff, 0xff])], 40);
  await handle.datasync();
  await handle.close();
  const state = new SumMachine();
  const second = await openMachine({ dir, io, machine: state });
  t.is(state.total, 78);
  t.is(second.stats.snapshotOffsetAtOpen, 5);
  await second.close();
});

test('snapshot bytes round-trip and reject truncation, bit flips and wrong lengths', (t) => {
  const body = new TextEncoder().encode('state');
  const bytes = encodeSnapshot(42, body);
  t.deepEqual(decodeSnapshot(bytes), { offset: 42, body });
  t.is(decodeSnapshot(bytes.subarray(0, bytes.length - 1)), null);
  const flipped = bytes.slice();
  flipped[33]! ^= 1;
  t.is(decodeSnapshot(flipped), null);
  t.is(decodeSnapshot(new Uint8Array(10)), null);
});

test('power loss at random instants, snapshots included: the reopened state is exactly the acknowledged records plus possibly unacknowledged ones', async (t) => {
  const seed = seedFromEnv(0x5eed);
  for (let round = 0; round < 30; round++) {
    const sim = await freshSim(seed + round);
    const prng = new Prng(seed + round);
    let acked = 0;
    let proposed = 0;
    for (let boot = 0; boot < 3; boot++) {
      const state = new SumMachine();
      const machine = await openMachine({
        dir,
        io: sim.boot(),
        machine: state,
        snapshotEveryRecords: 1 + prng.int(0, 6),
        snapshotOnClose: false,
        log: { blockBytes: 512, segmentBytes: 8192 },
      });
      t.true(state.records >= acked && state.records <= proposed, `seed ${seed + round} boot ${boot}: ${state.records} records, acked ${acked}, proposed ${proposed}`);
      t.is(state.total, state.records, 'every record adds 1');
      acked = state.records;
      proposed = state.records;
      const stopAfter = prng.int(0, 40);
      let turns = 0;
      const pending: Promise<unknown>[] = [];
      while (turns++ < stopAfter) {
        proposed++;
        pending.push(machine.propose([1]).then(() => void acked++, () => undefined));
        await new Promise((resolve) => setImmediate(resolve));
      }
      sim.crash();
      await Promise.allSettled(pending);
      await machine.close().catch(() => undefined);
    }
  }
});

test('a machine directory created several levels deep survives a power cut with its acknowledged records', async (t) => {
  const sim = await freshSim(4);
  const deep = '/data/srv/app/jobs';
  const machine = await openMachine({ dir: deep, io: sim.boot(), machine: new SumMachine(), snapshotOnClose: false });
  await machine.propose([5]);
  sim.crash({ unsynced: 'drop' });
  const state = new SumMachine();
  const again = await openMachine({ dir: deep, io: sim.boot(), machine: state });
  t.is(state.total, 5);
  await again.close();
});
