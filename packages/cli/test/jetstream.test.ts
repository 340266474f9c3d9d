/**
 * `seglog jetstream ship|stat|restore` as an operator runs them, against a real single-node
 * nats-server on loopback (port 14240, in the jetstream range): ship until caught up, stop with
 * SIGINT, see no lag, restore an identical log.
 */
import test from 'ava';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { canConnect, startServer, type RunningServer } from '@seglog/benchmarks';
import { openReader } from '@seglog/reader';
import { setRetentionHold } from '@seglog/store';
import { makeLog, payloadOf, removeTempDirs, seglog, tempDir } from './helpers.js';

/**
 * The first of 14240-14248 that nothing listens on (other worktrees on this shared machine run
 * the same test); 14249 stays unused, the "unreachable cluster" below.
 */
let PORT = 14240;
let server: RunningServer | null = null;

test.before(async () => {
  while (PORT < 14248 && (await canConnect(PORT))) PORT += 1;
  servers = `127.0.0.1:${PORT}`;
  const store = await tempDir('nats');
  server = await startServer('/usr/sbin/nats-server', ['-a', '127.0.0.1', '-p', String(PORT), '-js', '-sd', store], store, PORT);
});
test.after.always(async () => {
  await server?.stop();
  await removeTempDirs();
});

let servers = `127.0.0.1:${PORT}`;

test('ship until caught up, stop with SIGINT, stat shows no lag, restore rebuilds the log', async (t) => {
  const dir = await makeLog(500);
  const shipping = seglog(['jetstream', 'ship', dir, '--servers', servers, '--stream', 'CLI', '--replicas', '1', '--every', '0', '--json'], {
    onStderr: {
      waitFor: 'SIGINT stops',
      then: (child) => {
        void (async () => {
          for (;;) {
            const stat = await seglog(['jetstream', 'stat', dir, '--servers', servers, '--stream', 'CLI', '--json']);
            if ((JSON.parse(stat.stdout) as { lagRecords: number }).lagRecords === 0) break;
            await sleep(100);
          }
          child.kill('SIGINT');
        })();
      },
    },
  });
  const shipped = await shipping;
  t.is(shipped.code, 0, shipped.stderr);
  const last = JSON.parse(shipped.stdout.trim().split('\n').at(-1)!) as { shippedOffset: number; state: string; heldOffset: number };
  t.is(last.shippedOffset, 500);
  t.is(last.state, 'closed');
  t.is(last.heldOffset, 500);

  const stat = await seglog(['jetstream', 'stat', dir, '--servers', servers, '--stream', 'CLI']);
  t.is(stat.code, 0, stat.stderr);
  t.regex(stat.stdout, /lag\s+0 records/);
  t.regex(stat.stdout, /hold\s+500/);
  const plain = await seglog(['stat', dir]);
  t.regex(plain.stdout, /shipper\s+CLI: 0 records \(0 bytes\) behind its hold at 500/, 'the plain stat shows the caught-up shipper');

  const target = path.join(await tempDir('restored'), 'log');
  const restored = await seglog(['jetstream', 'restore', target, '--servers', servers, '--stream', 'CLI', '--json']);
  t.is(restored.code, 1, restored.stderr); // "changed": a log was written
  t.is((JSON.parse(restored.stdout) as { records: number }).records, 500);
  const original = await openReader({ dir });
  const copy = await openReader({ dir: target });
  for await (const record of copy.read({ from: 0 })) t.deepEqual(record.payload, await original.get(record.offset));
  t.is(await copy.endOffset(), 500);
  await original.close();
  await copy.close();
});

test('bad flags are usage errors; an unreachable cluster is an operational error', async (t) => {
  const dir = await makeLog(10);
  const usage = await seglog(['jetstream', 'stat', dir, '--servers', servers]);
  t.is(usage.code, 16, usage.stderr);
  const badStream = await seglog(['jetstream', 'stat', dir, '--servers', servers, '--stream', 'no.dots']);
  t.is(badStream.code, 16, badStream.stderr);
  const down = await seglog(['jetstream', 'stat', dir, '--servers', '127.0.0.1:14249', '--stream', 'X']);
  t.is(down.code, 8, down.stderr);
  t.regex(down.stderr, /SEGLOG_JETSTREAM_UNAVAILABLE|connecting/);
});

test('seglog stat shows the lag behind each shipper hold, from the directory alone, and nothing without one', async (t) => {
  const dir = await makeLog(500);
  const none = await seglog(['stat', dir, '--json']);
  t.deepEqual((JSON.parse(none.stdout) as { shippers: unknown[] }).shippers, []);
  t.notRegex((await seglog(['stat', dir])).stdout, /shipper/);

  await setRetentionHold({ dir, name: 'jetstream.ORDERS', offset: 200 });
  await setRetentionHold({ dir, name: 'backup', offset: 100 }); // not a shipper: no row
  const json = await seglog(['stat', dir, '--json']);
  t.is(json.code, 0, json.stderr);
  const { shippers } = JSON.parse(json.stdout) as { shippers: Record<string, unknown>[] };
  let bytes = 0;
  for (let i = 200; i < 500; i++) bytes += payloadOf(i).length;
  t.is(shippers.length, 1);
  t.like(shippers[0], { stream: 'ORDERS', heldOffset: 200, lagRecords: 300, lagBytes: bytes, lagBytesExact: true, droppedRecords: 0 });
  const age = shippers[0]!.oldestUnshippedAgeMs;
  t.true(typeof age === 'number' && age >= 0);
  const text = await seglog(['stat', dir]);
  t.regex(text.stdout, new RegExp(`shipper\\s+ORDERS: 300 records \\(${bytes} bytes\\) behind its hold at 200, written \\S+; oldest unshipped appended \\d+\\.\\d s ago`));
});
