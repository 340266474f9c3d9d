import test from 'ava';
import { openMachine } from '../src/machine/index.js';
import { SumMachine, freshSim } from './helpers/sim.js';

/** SumMachine that lets a periodic snapshot happen only every `every`-th time it is asked. */
class PickyMachine extends SumMachine {
  asked: [records: number, bytes: number][] = [];
  constructor(readonly every: number) {
    super();
  }
  snapshotDue(recordsSince: number, bytesSince: number): boolean {
    this.asked.push([recordsSince, bytesSince]);
    return this.asked.length % this.every === 0;
  }
}

test('snapshotDue is asked once the thresholds are reached and can defer the periodic snapshot; close still takes one', async (t) => {
  const sim = await freshSim(41);
  const state = new PickyMachine(3);
  const machine = await openMachine({ dir: '/data/m', io: sim.boot(), machine: state, snapshotEveryRecords: 2 });
  for (let i = 1; i <= 12; i++) await machine.propose([i]);
  t.true(state.asked.length >= 3, 'asked from the second record on');
  t.true(state.asked.every(([records]) => records >= 2), 'never before the records threshold');
  t.true(state.asked.some(([records]) => records > 2), 'a deferred snapshot leaves the count growing');
  await machine.close();
  const written = machine.stats.snapshotsWritten;
  t.true(written >= 2 && written <= 4, `a third of the askings plus the close snapshot, got ${written}`);
  const reopened = new SumMachine();
  const again = await openMachine({ dir: '/data/m', io: sim.boot(), machine: reopened });
  t.is(reopened.total, 78);
  t.is(again.stats.replayedRecords, 0, 'the snapshot at close was taken although snapshotDue said no');
  await again.close();
});
