/**
 * The queue under power loss on the simulated disk: seeded cases (helpers/crash-case.ts), each
 * several boots cut at random instants, then a final boot that drains everything. Set SEGLOG_SEED
 * to replay one case.
 */
import test from 'ava';
import { seedFromEnv } from '@seglog/testkit';
import { addCrashTotals, runQueueCrashCase } from './helpers/crash-case.js';
import type { QueueCrashResult } from './helpers/crash-case.js';

const BASE_SEED = 0x0051_eed5;
const CASES = 120;
const single = (process.env['SEGLOG_SEED'] ?? '').trim() !== '';
const baseSeed = seedFromEnv(BASE_SEED);

if (single) {
  test(`queue crash case SEGLOG_SEED=${baseSeed}`, async (t) => {
    const result = await runQueueCrashCase(baseSeed);
    t.log(result);
    t.true(result.crashPoints > 0);
  });
} else {
  test.serial(`no durable enqueue lost, no acknowledged settle undone, every message settled, redeliveries only for a cause: seeds ${baseSeed}..${baseSeed + CASES - 1}`, async (t) => {
    const totals: Record<string, number> = {};
    const failures: string[] = [];
    for (let seed = baseSeed; seed < baseSeed + CASES; seed++) {
      try {
        const result = await runQueueCrashCase(seed);
        addCrashTotals(totals, result);
      } catch (error) {
        failures.push(error instanceof Error ? error.message : String(error));
      }
    }
    t.deepEqual(failures, [], failures.join('\n'));
    t.log(totals);
    const sum = totals as unknown as QueueCrashResult;
    t.true(sum.crashPoints >= 300, 'enough power cuts');
    t.true(sum.durableEnqueues > 2000 && sum.acks > 1000, 'real traffic');
    t.true(sum.redeliveredAfterCrash > 0 && sum.redeliveredAfterLapse > 0 && sum.redeliveredAfterNak > 0, 'every redelivery cause happened');
    t.true(sum.deadLetters > 0 && sum.terms > 0, 'dead letters and terms happened');
    t.true(sum.snapshotOpens > 0, 'some opens started from a snapshot');
    t.true(sum.segmentsDropped > 0, 'retention dropped segments behind the queue hold, between power cuts');
  });
}

test('a case replays exactly from its seed', async (t) => {
  const seed = baseSeed + 3;
  t.deepEqual(await runQueueCrashCase(seed), await runQueueCrashCase(seed), `reproduce with SEGLOG_SEED=${seed}`);
});
