/**
 * ship and restore against a real 3-node cluster: every record reaches the stream exactly once,
 * in order, byte for byte; the shipper resumes from the stream after a restart; restore rebuilds
 * an identical log.
 */
import test, { type ExecutionContext } from 'ava';
import { join } from 'node:path';
import { connect } from 'nats';
import { listRetentionHolds, openLog } from '@seglog/store';
import { openReader } from '@seglog/reader';
import { isSeglogError } from '@seglog/types';
import { ship, restore } from '../src/index.js';
import { startCluster, type ClusterFixture } from './helpers/cluster.js';
import { assertExactlyOnce, dumpStream, payloadFor } from './helpers/records.js';

let fixture: ClusterFixture;
test.before(async () => {
  fixture = await startCluster(14200);
});
test.after.always(async () => {
  await fixture?.dispose();
});

type OpenedLog = Awaited<ReturnType<typeof openLog>>;

async function appendRange(log: OpenedLog, from: number, to: number, size = 128): Promise<void> {
  for (let at = from; at < to; at += 500) {
    const payloads = [];
    for (let offset = at; offset < Math.min(to, at + 500); offset++) payloads.push(payloadFor(offset, size));
    await log.appendMany(payloads);
  }
}

interface Progress {
  readonly shippedOffset: number;
  onShipped(listener: (offset: number) => void): () => void;
}

function shippedTo(shipper: Progress, target: number): Promise<void> {
  if (shipper.shippedOffset >= target) return Promise.resolve();
  return new Promise((resolve) => {
    const off = shipper.onShipped((offset) => {
      if (offset >= target) {
        off();
        resolve();
      }
    });
  });
}

test('ships every record once, in order, resumes from the stream after a restart, and restore rebuilds the log', async (t) => {
  const dir = join(fixture.root, 'log-a');
  const log = await openLog({ dir });
  await appendRange(log, 0, 3000);
  const servers = fixture.cluster.servers;
  let shipper = await ship({ dir, servers, stream: 'A', log });
  await shippedTo(shipper, 3000);
  await appendRange(log, 3000, 6000); // appended while following
  await shippedTo(shipper, 6000);
  t.is(shipper.metrics().lagRecords, 0);
  await shipper.close();

  await appendRange(log, 6000, 8000); // appended while no shipper runs
  shipper = await ship({ dir, servers, stream: 'A', log });
  await shippedTo(shipper, 8000);
  const metrics = shipper.metrics();
  await shipper.close();
  t.is(metrics.shippedRecords, 2000, 'the second shipper resumed at the stream end, shipping only what was new');
  t.is(metrics.duplicates, 0);
  assertExactlyOnce(await dumpStream(servers, 'A'), 8000, 128);
  await log.close();

  const restored = await restore({ dir: join(fixture.root, 'restored-a'), servers, stream: 'A' });
  t.like(restored, { firstOffset: 0, records: 8000 });
  const original = await openReader({ dir });
  const copy = await openReader({ dir: restored.dir });
  t.is(await copy.endOffset(), 8000);
  for await (const record of copy.read({ from: 0 })) {
    t.deepEqual(record.payload, await original.get(record.offset));
  }
  await original.close();
  await copy.close();
});

test('a stream that holds another log is refused with SEGLOG_JETSTREAM_DIVERGED', async (t) => {
  const servers = fixture.cluster.servers;
  const first = join(fixture.root, 'log-b1');
  const second = join(fixture.root, 'log-b2');
  for (const dir of [first, second]) {
    const log = await openLog({ dir });
    await appendRange(log, 0, 10);
    await log.close();
  }
  const shipper = await ship({ dir: first, servers, stream: 'B' });
  await shippedTo(shipper, 10);
  await shipper.close();
  const error = await t.throwsAsync(ship({ dir: second, servers, stream: 'B' }));
  t.true(isSeglogError(error, 'SEGLOG_JETSTREAM_DIVERGED'), String(error));
});

test('the retention hold keeps unshipped records; a forced drop past it is a gap, or is skipped and reported', async (t) => {
  const servers = fixture.cluster.servers;
  const dir = join(fixture.root, 'log-c');
  const log = await openLog({ dir, segmentBytes: 64 * 1024 });
  await appendRange(log, 0, 1000);
  let shipper = await ship({ dir, servers, stream: 'C', log });
  await shippedTo(shipper, 1000);
  await shipper.close();
  t.deepEqual((await listRetentionHolds({ dir })).map(({ name, offset }) => ({ name, offset })), [{ name: 'jetstream.C', offset: 1000 }]);

  await appendRange(log, 1000, 2000); // not shipped: no shipper runs
  const held = await log.truncateBefore(1500);
  t.is(held.firstOffset, 1000, 'retention stops at the shipper\'s hold');
  t.deepEqual(held.heldBy.map((hold) => hold.name), ['jetstream.C']);
  const forced = await log.truncateBefore(1500, { force: true });
  t.is(forced.firstOffset, 1500);

  const gap = await t.throwsAsync(ship({ dir, servers, stream: 'C', log }));
  t.true(isSeglogError(gap, 'SEGLOG_JETSTREAM_GAP'), String(gap));
  t.is((gap as { offset?: number }).offset, 1000);

  const skipped: { fromOffset: number; toOffset: number }[] = [];
  shipper = await ship({ dir, servers, stream: 'C', log, onBehind: 'skip', onSkip: (range) => skipped.push({ ...range }) });
  await shippedTo(shipper, 2000);
  t.is(shipper.metrics().skippedRecords, 500);
  await shipper.close();
  t.deepEqual(skipped, [{ fromOffset: 1000, toOffset: 1500 }]);
  t.is((await listRetentionHolds({ dir }))[0]?.offset, 2000, 'the hold follows the shipped position');
  await log.close();

  const offsets = (await dumpStream(servers, 'C')).map((message) => message.offset);
  t.is(offsets.length, 1500);
  t.deepEqual(offsets.slice(998, 1002), [998, 999, 1500, 1501]);
  const refused = await t.throwsAsync(restore({ dir: join(fixture.root, 'restored-c'), servers, stream: 'C' }));
  t.true(isSeglogError(refused, 'SEGLOG_JETSTREAM_GAP'), String(refused));
});

/** A restored copy holds the original's records from `from` on, and nothing below. */
async function assertRestoredFrom(
  t: ExecutionContext,
  originalDir: string,
  copyDir: string,
  from: number,
  end: number,
): Promise<void> {
  const original = await openReader({ dir: originalDir });
  const copy = await openReader({ dir: copyDir });
  t.is(await copy.firstOffset(), from, 'the restored log starts at the stream\'s first offset');
  t.is(await copy.endOffset(), end);
  const below = await copy.get(from - 1).catch((error: unknown) => error);
  t.true(isSeglogError(below, 'SEGLOG_BEHIND_RETENTION'), `below the start: ${String(below)}`);
  let expected = from;
  for await (const record of copy.read({ from })) {
    t.is(record.offset, expected++);
    t.deepEqual(record.payload, await original.get(record.offset));
  }
  t.is(expected, end);
  await original.close();
  await copy.close();
}

test('a stream that starts past offset 0 (shipping began after retention) restores to a log that starts there', async (t) => {
  const servers = fixture.cluster.servers;
  const dir = join(fixture.root, 'log-d');
  const log = await openLog({ dir, segmentBytes: 64 * 1024 });
  await appendRange(log, 0, 3000);
  t.is((await log.truncateBefore(1200)).firstOffset, 1200, 'retention dropped the start before any shipper ran');
  const shipper = await ship({ dir, servers, stream: 'D', log });
  await shippedTo(shipper, 3000);
  await shipper.close();
  await log.close();
  const restored = await restore({ dir: join(fixture.root, 'restored-d'), servers, stream: 'D' });
  t.like(restored, { firstOffset: 1200, records: 1800 });
  await assertRestoredFrom(t, dir, restored.dir, 1200, 3000);
});

test("a stream whose own limits dropped its oldest messages restores to a log that starts at the first one kept", async (t) => {
  const servers = fixture.cluster.servers;
  const dir = join(fixture.root, 'log-e');
  const log = await openLog({ dir });
  await appendRange(log, 0, 2000);
  const shipper = await ship({ dir, servers, stream: 'E', log });
  await shippedTo(shipper, 2000);
  await shipper.close();
  await log.close();
  const connection = await connect({ servers });
  try {
    const manager = await connection.jetstreamManager();
    const { config } = await manager.streams.info('E');
    await manager.streams.update('E', { ...config, max_msgs: 500 });
    t.is((await manager.streams.info('E')).state.messages, 500, 'the stream kept only its newest 500 messages');
  } finally {
    await connection.close();
  }
  const restored = await restore({ dir: join(fixture.root, 'restored-e'), servers, stream: 'E' });
  t.like(restored, { firstOffset: 1500, records: 500 });
  await assertRestoredFrom(t, dir, restored.dir, 1500, 2000);
});
