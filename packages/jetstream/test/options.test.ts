/** ship and restore refuse bad options with SEGLOG_INVALID_OPTION before touching the network. */
import test from 'ava';
import { isSeglogError } from '@seglog/types';
import { restore, ship, type ShipOptions } from '../src/index.js';
import { lagOf } from '../src/shipper-metrics.js';

const base: ShipOptions = { dir: '/nonexistent/log', servers: ['127.0.0.1:1'], stream: 'S' };

test('bad ship options are coded errors naming the option', async (t) => {
  const cases: [Partial<ShipOptions> | Record<string, unknown>, string][] = [
    [{ stream: 'has space' }, 'stream'],
    [{ stream: 'a.b' }, 'stream'],
    [{ subject: 'x.*' }, 'subject'],
    [{ servers: [] }, 'servers'],
    [{ dir: '' }, 'dir'],
    [{ maxInFlight: 0 }, 'maxInFlight'],
    [{ maxInFlightBytes: 1.5 }, 'maxInFlightBytes'],
    [{ replicas: 6 }, 'replicas'],
    [{ onBehind: 'ignore' }, 'onBehind'],
    [{ holdRetention: 'yes' }, 'holdRetention'],
    [{ holdName: '.hidden' }, 'holdName'],
    [{ onSkip: 3 }, 'onSkip'],
  ];
  for (const [patch, name] of cases) {
    const error = await t.throwsAsync(ship({ ...base, ...patch }));
    t.true(isSeglogError(error, 'SEGLOG_INVALID_OPTION') && error.message.includes(name), `${JSON.stringify(patch)}: ${String(error)}`);
  }
});

test('a directory that is not a log is refused before connecting', async (t) => {
  const error = await t.throwsAsync(ship(base));
  t.true(isSeglogError(error, 'SEGLOG_INVALID_OPTION'), String(error));
});

test('restore refuses a directory that is not empty', async (t) => {
  const error = await t.throwsAsync(restore({ dir: new URL('.', import.meta.url).pathname, servers: ['127.0.0.1:1'], stream: 'S' }));
  t.true(isSeglogError(error, 'SEGLOG_INVALID_OPTION'), String(error));
});

test('lag: records exact, bytes exact in flight plus the mean size of what is unread, age from the oldest', (t) => {
  const lag = lagOf({
    shippedOffset: 100, endOffset: 150, readOffset: 120, inFlightBytes: 2000,
    shippedRecords: 100, shippedBytes: 10_000, oldestInFlightSinceMs: 1000, behindSinceMs: undefined, nowMs: 1600,
  });
  t.deepEqual(lag, { lagRecords: 50, lagBytes: 2000 + 30 * 100, oldestUnshippedAgeMs: 600 });
  const idle = lagOf({
    shippedOffset: 150, endOffset: 150, readOffset: 150, inFlightBytes: 0,
    shippedRecords: 0, shippedBytes: 0, oldestInFlightSinceMs: undefined, behindSinceMs: 500, nowMs: 1600,
  });
  t.deepEqual(idle, { lagRecords: 0, lagBytes: 0, oldestUnshippedAgeMs: 0 });
});
