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

test('never holds more than the cap: at the cap tryAcquire refuses and counts a wait, a release serves the next', (t) => {
  const pool = new BufferPool({ bufferBytes: 1024, bytesCap: 2 * 1024 });
  const a = pool.tryAcquire()!;
  const b = pool.tryAcquire()!;
  t.is(pool.tryAcquire(), null);
  t.is(pool.tryAcquire(), null);
  t.is(pool.metrics().waits, 2, 'each refusal is one wait');
  pool.release(a);
  t.is(pool.tryAcquire(), a, 'the released buffer, not a new one');
  t.not(a, b);
  t.is(pool.metrics().buffersAllocated, 2);
  t.is(pool.metrics().waits, 2);
});

test('close drops the free buffers', (t) => {
  const pool = new BufferPool({ bufferBytes: 512, bytesCap: 1024 });
  pool.release(pool.tryAcquire()!);
  t.is(pool.metrics().buffersFree, 1);
  pool.close();
  t.is(pool.metrics().buffersFree, 0);
});

test('a release of a foreign buffer is an assertion, not silent corruption', (t) => {
  const pool = new BufferPool({ bufferBytes: 512, bytesCap: 1024 });
  pool.tryAcquire();
  const error = t.throws(() => pool.release(new Uint8Array(100)));
  t.true(isSeglogError(error, 'SEGLOG_ASSERTION'));
});
