/**
 * One job: prove that a real crash (SIGKILL of a process with many appends in flight) never loses an
 * acknowledged record, never corrupts the log, and never leaves a lock that blocks the restart.
 * The cycles themselves are in helpers/fuzz-kill9.ts; scripts/kill9-soak.ts runs many more.
 * Reproduce a failure with the seed it prints: SEGLOG_SEED=<n> npx ava test/kill9.test.ts
 * The seed fixes the schedule (kill delays, early kills, each child's options and appendMany runs);
 * how far a child gets before its kill still depends on the machine, so a replay is close, not exact.
 */
import test from 'ava';
import { seedFromEnv } from '@seglog/testkit';
import { runKill9 } from './helpers/fuzz-kill9.js';
import { tempDir } from './helpers/temp-log.js';

const seed = seedFromEnv(0x6b696c6c);
const CYCLES_PER_BLOCK_SIZE = 15;

for (const blockBytes of [4096, 512]) {
  test.serial(`SIGKILL at random moments loses no acknowledged record (blockBytes ${blockBytes}, seed ${seed})`, async (t) => {
    const { dir, cleanup } = tempDir();
    t.teardown(cleanup);
    const report = await runKill9({
      dir,
      seed,
      cycles: CYCLES_PER_BLOCK_SIZE,
      blockBytes,
      segmentBytes: 256 * 1024,
      appenders: 64,
    });
    t.log(`seed ${seed}: ${JSON.stringify(report)}`);
    t.is(report.cycles, CYCLES_PER_BLOCK_SIZE);
    t.true(report.acknowledgedRecords > 0, 'the children got appends acknowledged before the kills');
    t.true(report.records >= report.acknowledgedRecords, 'every acknowledged record is in the log');
    t.true(report.segments > 1, `segments rolled (${report.segments})`);
    t.true(report.staleLocks >= report.cycles - report.earlyKills, `every killed writer left its LOCK, and the reopen took it over (${report.staleLocks})`);
  });
}
