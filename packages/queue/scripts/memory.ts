/**
 * Memory per message: heap bytes per held (unsettled) message and per in-flight (leased, handed
 * out) message, on the real disk. Run: `node --expose-gc --import=tsx --conditions=@seglog/source
 * scripts/memory.ts [count]` (default 100000). Payloads are 128 bytes and stay in the log; what is
 * measured is the queue's per-message state, the leases, the wheel timers and the message objects.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openQueue } from '../src/index.js';
import type { QueueMessage } from '../src/index.js';

const count = Number(process.argv[2] ?? 100_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');

function heapBytes(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed;
}

const dir = await mkdtemp(join(tmpdir(), 'seglog-queue-memory-'));
try {
  const queue = await openQueue({ dir, snapshotEveryRecords: 1_000_000_000, snapshotEveryBytes: 2 ** 40 });
  const payload = new Uint8Array(128).fill(7);
  const empty = heapBytes();
  for (let done = 0; done < count; done += 1000) {
    await queue.enqueueMany(Array.from({ length: Math.min(1000, count - done) }, () => ({ payload })));
  }
  const held = heapBytes();
  const consumer = queue.consumer('work', { concurrency: count, ackDeadlineMs: 3_600_000 });
  const messages: QueueMessage[] = [];
  const started = performance.now();
  const pending = Array.from({ length: count }, () =>
    consumer.next().then((next) => void messages.push(next.value as QueueMessage)),
  );
  await Promise.all(pending);
  const deliverMs = performance.now() - started;
  const inFlight = heapBytes();
  console.log(JSON.stringify({
    messages: count,
    heldBytesPerMessage: Math.round((held - empty) / count),
    inFlightExtraBytesPerMessage: Math.round((inFlight - held) / count),
    deliverPerSecond: Math.round(count / (deliverMs / 1000)),
    stats: queue.stats('work'),
  }, null, 2));
  for (const message of messages.splice(0)) void message;
  await queue.close({ drainMs: 0 });
} finally {
  await rm(dir, { recursive: true, force: true });
}
