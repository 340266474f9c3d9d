import test from 'ava';
import { SeglogError } from '@seglog/types';
import { expectCode } from '../src/index.js';
import type { ExecutionContextLike } from '../src/index.js';

/** A context that records which checks failed instead of failing the test. */
function recorder(): { t: ExecutionContextLike; failed: string[] } {
  const failed: string[] = [];
  const t: ExecutionContextLike = {
    is: (actual, expected, message) => void (actual !== expected && failed.push(message ?? 'is')),
    deepEqual: () => undefined,
    true: (actual, message) => void (!actual && failed.push(message ?? 'true')),
  };
  return { t, failed };
}

test('expectCode passes only for a rejection with the code and the named fields', async (t) => {
  const corrupt = SeglogError.corrupt('bad batch', { file: '/x/0.seg', positionBytes: 512 });
  const ok = recorder();
  await expectCode(ok.t, Promise.reject(corrupt), 'SEGLOG_CORRUPT', { file: '/x/0.seg', positioned: true });
  t.deepEqual(ok.failed, []);
  const resolved = recorder();
  await expectCode(resolved.t, Promise.resolve(1), 'SEGLOG_CORRUPT');
  t.true(resolved.failed.length > 0, 'a success is a failure of the expectation');
  const otherCode = recorder();
  await expectCode(otherCode.t, Promise.reject(SeglogError.closed('log')), 'SEGLOG_CORRUPT');
  t.true(otherCode.failed.length > 0, 'another code is a failure');
  const otherFile = recorder();
  await expectCode(otherFile.t, Promise.reject(corrupt), 'SEGLOG_CORRUPT', { file: '/x/1.seg' });
  t.true(otherFile.failed.length > 0, 'another file is a failure');
});
