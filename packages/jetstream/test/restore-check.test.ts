/** RestoreCheck: a stream read in order must be one log's offsets, dense from the first message's. */
import test from 'ava';
import { isSeglogError } from '@seglog/types';
import { RestoreCheck } from '../src/restore-check.js';

const id = 'c'.repeat(32);
const meta = (offset: number, logIdHex = id) => ({ logIdHex, offset, appendTimeMs: undefined });

test('accepts dense offsets from 0 and learns the log id', (t) => {
  const check = new RestoreCheck();
  for (let offset = 0; offset < 5; offset++) check.accept(offset + 1, 's', 's', meta(offset));
  t.is(check.nextOffset, 5);
  t.is(check.logIdHex, id);
});

test('a stream that starts past 0 starts the restored log there', (t) => {
  const check = new RestoreCheck();
  t.is(check.firstOffset, null);
  for (let offset = 3; offset < 6; offset++) check.accept(offset - 2, 's', 's', meta(offset));
  t.is(check.firstOffset, 3);
  t.is(check.nextOffset, 6);
  const hole = t.throws(() => check.accept(4, 's', 's', meta(7)));
  t.true(isSeglogError(hole, 'SEGLOG_JETSTREAM_GAP'));
  t.is((hole as { offset?: number }).offset, 6);
});

test('a stream that skips an offset is a gap naming the first missing offset', (t) => {
  const check = new RestoreCheck();
  check.accept(1, 's', 's', meta(0));
  const hole = t.throws(() => check.accept(2, 's', 's', meta(2)));
  t.is((hole as { offset?: number }).offset, 1);
});

test('a duplicate, another log, another subject or a foreign message diverge', (t) => {
  const check = new RestoreCheck();
  check.accept(1, 's', 's', meta(0));
  t.true(isSeglogError(t.throws(() => check.accept(2, 's', 's', meta(0))), 'SEGLOG_JETSTREAM_GAP'), 'a repeated offset is never accepted');
  t.true(isSeglogError(t.throws(() => check.accept(2, 's', 's', meta(1, 'd'.repeat(32)))), 'SEGLOG_JETSTREAM_DIVERGED'));
  t.true(isSeglogError(t.throws(() => check.accept(2, 'other', 's', meta(1))), 'SEGLOG_JETSTREAM_DIVERGED'));
  t.true(isSeglogError(t.throws(() => check.accept(2, 's', 's', null)), 'SEGLOG_JETSTREAM_DIVERGED'));
});
