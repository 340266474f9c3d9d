/**
 * Queues written before the binary encoding still open: test/fixtures/json-records.json holds
 * records (JSON headers v1 and v2) and a snapshot body (JSON v1) that the JSON writer produced
 * (scripts/make-json-fixture.ts). Replayed through today's code, the records give the state the
 * old code had, equal to the old snapshot restored, and every payload is read back from them.
 */
import { readFileSync } from 'node:fs';
import test from 'ava';
import { openLog } from '@seglog/store';
import { openQueue } from '../src/index.js';
import type { GroupStats } from '../src/index.js';
import { QueueState } from '../src/queue/state.js';
import { QUEUE_DIR, take, text } from './helpers/queue.js';
import { freshSim } from './helpers/sim.js';

interface Fixture {
  readonly nextSeq: number;
  readonly heldOffset: number;
  readonly groups: Record<string, GroupStats>;
  readonly records: readonly string[];
  readonly snapshot: string;
}

const fixture = JSON.parse(readFileSync(new URL('fixtures/json-records.json', import.meta.url), 'utf8')) as Fixture;
const fromBase64 = (value: string): Uint8Array => new Uint8Array(Buffer.from(value, 'base64'));
/** The fixture was written with the clock at 1_765_000_001_000 when it ended. */
const clock = {
  nowMs: () => 1_765_000_001_000,
  setTimer: (callback: () => void, delayMs: number) => setTimeout(callback, delayMs),
  clearTimer: (handle: unknown) => clearTimeout(handle as NodeJS.Timeout),
};

test('records and a snapshot written by the JSON encoding are read by the binary one', async (t) => {
  const sim = await freshSim(71);
  const io = sim.boot();
  await io.mkdirp(QUEUE_DIR);
  const log = await openLog({ dir: `${QUEUE_DIR}/log`, io });
  for (const record of fixture.records) await log.append(fromBase64(record));
  await log.close();
  t.true(fixture.records.some((record) => fromBase64(record)[4] === 0x7b), 'the fixture holds JSON headers');

  const queue = await openQueue({ dir: QUEUE_DIR, io, clock, payloadCacheBytes: 0, snapshotEveryRecords: 1_000_000 });
  t.is(queue.machine.stats.replayedRecords, fixture.records.length);
  t.is(queue.state.nextSeq, fixture.nextSeq);
  // The JSON code had no `expired` count; a queue it wrote has expired nothing.
  for (const [name, stats] of Object.entries(fixture.groups)) t.deepEqual(queue.stats(name), { ...stats, expired: 0 }, `group ${name}`);

  const restored = new QueueState();
  restored.restore(fromBase64(fixture.snapshot));
  t.deepEqual(Buffer.from(restored.snapshot()), Buffer.from(queue.state.snapshot()), 'the old snapshot restores to the replayed state');

  // Every deliverable message of `other` (all but the delayed one and the one acked before) is read
  // from the JSON records.
  const consumer = queue.consumer('other', { concurrency: 2 })[Symbol.asyncIterator]();
  const seen = new Set<string>();
  for (let i = 0; i < 6; i++) {
    const message = await take(consumer);
    seen.add(text(message.payload));
    await message.ack();
  }
  const written = ['plain', 'keyed ü', 'dedup', 'many-0', 'many-1', '', 'follow-up'];
  t.is(seen.size, 6);
  for (const payload of seen) t.true(written.includes(payload), `payload ${JSON.stringify(payload)} was enqueued`);
  t.like(queue.stats('other'), { backlog: 1, inFlight: 0 });
  await queue.close({ drainMs: 0 });
});
