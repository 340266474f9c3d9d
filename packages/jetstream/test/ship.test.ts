/**
 * ship and restore against a real 3-node cluster: every record reaches the stream exactly once,
 * in order, byte for byte; the shipper resumes from the stream after a restart; restore rebuilds
 * an identical log.
 */
import test from 'ava';
import { join } from 'node:path';
import { openLog } from '@seglog/store';
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

async function appendRange(log: Awaited<ReturnType<typeof openLog>>, from: number, to: number, size = 128): Promise<void> {
  for (let at = from; at < to; at += 500) {
    const payloads = [];
    for (let offset = at; offset < Math.min(to, at + 500); offset++) payloads.push(payloadFor(offset, size));
    await log.appendMany(payloads);
  }
}

function shippedTo(shipper: { shippedOffset: number; onShipped(l: (o: number) => void): () => void }, target: number): Promise<void> {
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
  t.is(restored.records, 8000);
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
