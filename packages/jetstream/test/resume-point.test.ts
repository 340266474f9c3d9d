/** resumePoint: where shipping resumes, for every shape of stream tail and local range. */
import test from 'ava';
import { isSeglogError } from '@seglog/types';
import { resumePoint } from '../src/resume-point.js';

const ours = 'a'.repeat(32);
const local = { logIdHex: ours, firstOffset: 0, durableOffset: 100 };
const tailAt = (offset: number, seq: number, logIdHex = ours) => ({
  seq,
  meta: { logIdHex, offset, appendTimeMs: undefined },
});

test('an empty subject starts at the log\'s first offset, following the stream\'s last sequence', (t) => {
  t.deepEqual(resumePoint(null, 0, local, 'fail'), { fromOffset: 0, lastSeq: 0, skipped: null });
  t.deepEqual(resumePoint(null, 7, { ...local, firstOffset: 40 }, 'fail'), { fromOffset: 40, lastSeq: 7, skipped: null });
});

test('resumes one past the stream\'s last offset, after its sequence', (t) => {
  t.deepEqual(resumePoint(tailAt(41, 42), 42, local, 'fail'), { fromOffset: 42, lastSeq: 42, skipped: null });
  t.deepEqual(resumePoint(tailAt(99, 100), 100, local, 'fail'), { fromOffset: 100, lastSeq: 100, skipped: null }, 'caught up: waits at the end');
});

test('another log, a foreign message, or a stream past the durable end diverge', (t) => {
  for (const tail of [tailAt(5, 6, 'b'.repeat(32)), { seq: 6, meta: null }, tailAt(100, 101)]) {
    const error = t.throws(() => resumePoint(tail, tail.seq, local, 'fail'));
    t.true(isSeglogError(error, 'SEGLOG_JETSTREAM_DIVERGED'), String(error));
  }
});

test('records the log dropped before they were shipped: a gap, or skipped when asked', (t) => {
  const trimmed = { ...local, firstOffset: 60 };
  const error = t.throws(() => resumePoint(tailAt(49, 50), 50, trimmed, 'fail'));
  t.true(isSeglogError(error, 'SEGLOG_JETSTREAM_GAP'));
  t.is((error as { offset?: number }).offset, 50);
  t.deepEqual(resumePoint(tailAt(49, 50), 50, trimmed, 'skip'), { fromOffset: 60, lastSeq: 50, skipped: { fromOffset: 50, toOffset: 60 } });
  t.deepEqual(resumePoint(tailAt(59, 60), 60, trimmed, 'fail'), { fromOffset: 60, lastSeq: 60, skipped: null }, 'dropped only what was shipped');
});
