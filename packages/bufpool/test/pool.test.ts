import test from 'ava';
import { isSeglogError } from '@seglog/types';
import { BufferPool } from '../src/index.js';

test('reuses released buffers before allocating', (t) => {
  const pool = new BufferPool({ bufferBytes: 4096, bytesCap: 4 * 4096 });
  const a = pool.tryAcquire();
  t.truthy(a);
  pool.release(a!);
  const b = pool.tryAcquire();
  t.is(b, a);
  t.deepEqual([pool.metrics().misses, pool.metrics().hits], [1, 1]);
});

test('never holds more than the cap, and waiters are served in order on release', async (t) => {
  const pool = new BufferPool({ bufferBytes: 1024, bytesCap: 2 * 1024 });
  const a = pool.tryAcquire()!;
  const b = pool.tryAcquire()!;
  t.is(pool.tryAcquire(), null);
  const order: string[] = [];
  const first = pool.acquire().then((buffer) => { order.push('first'); return buffer; });
  const second = pool.acquire().then((buffer) => { order.push('second'); return buffer; });
  pool.release(a);
  pool.release(b);
  t.is(await first, a);
  t.is(await second, b);
  t.deepEqual(order, ['first', 'second']);
  t.is(pool.metrics().buffersAllocated, 2);
  t.is(pool.metrics().waits, 2);
});

test('close rejects waiters with SEGLOG_CLOSED', async (t) => {
  const pool = new BufferPool({ bufferBytes: 512, bytesCap: 512 });
  pool.tryAcquire();
  const waiting = pool.acquire();
  pool.close();
  const error = await t.throwsAsync(waiting);
  t.true(isSeglogError(error, 'SEGLOG_CLOSED'));
});

test('a release of a foreign buffer is an assertion, not silent corruption', (t) => {
  const pool = new BufferPool({ bufferBytes: 512, bytesCap: 1024 });
  pool.tryAcquire();
  const error = t.throws(() => pool.release(new Uint8Array(100)));
  t.true(isSeglogError(error, 'SEGLOG_ASSERTION'));
});
